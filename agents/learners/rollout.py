"""Guo et al.'s rollout policy improvement.

At every turn a frozen copy of the agent proposes its top-K (K = 4) unshown candidates;
each is shown in a copy of the dialog and rolled out greedily by the frozen policy for the
remaining turns, scored by the sum of the target's ranks; the best candidate becomes the
supervised label of the trained agent's query: cross-entropy over `<q, z_a> / tau`
(tau = 0.2) against random negatives. The dialog proceeds with the improved choice. The
frozen copy is refreshed from the trained agent at the start of the stage and after every
checkpoint.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from agents.learners.base import LearnerConfig, map_state, mask_shown, register_settings
from agents.learners.learner import Learner, Rollout
from agents.learners.losses import ROLLOUT_NEGATIVES, label_sampled_ce
from agents.model import DialogAgent
from agents.policy import obs_tensors, to_action
from dialog_env.batched import BatchedDialogs

NEGATIVES = ROLLOUT_NEGATIVES


@register_settings("rollout")
@dataclass
class RolloutSettings:
    """Rollout policy improvement's own settings."""

    rollout_k: int = 4
    """Candidates proposed by the frozen policy (Guo: 4)."""
    temperature: float = 0.2
    """Softmax temperature of the label loss (Guo: tau = 0.2)."""


class RolloutImprovement(Learner):
    name = "rollout"
    settings_class = RolloutSettings
    settings: RolloutSettings

    def __init__(self, cfg: LearnerConfig):
        super().__init__(cfg)
        self.frozen: DialogAgent | None = None
        self.frozen_state = None  # the frozen copy's tracker state in the current rollout

    def refresh(self, agent: DialogAgent) -> None:
        """The frozen copy becomes a copy of `agent`'s current weights."""
        self.frozen = copy.deepcopy(agent).eval()
        for p in self.frozen.parameters():
            p.requires_grad_(False)

    def on_stage_start(self, agent: DialogAgent) -> None:
        self.refresh(agent)

    def on_checkpoint(self, agent: DialogAgent) -> None:
        self.refresh(agent)

    def on_rollout_start(self, rollout: Rollout) -> None:
        if self.frozen is None:
            self.refresh(rollout.agent)
        self.frozen_state = self.frozen.initial_state(rollout.core.B, rollout.device)

    @torch.no_grad()
    def _best(self, core: BatchedDialogs, cand: np.ndarray, qf: torch.Tensor) -> np.ndarray:
        """Of each running dialog's candidates `cand (B, K)`, the one whose greedy rollout
        by the frozen policy (in a copy of the dialog) ranks the target best overall."""
        device = qf.device
        rows = np.flatnonzero(~core.done)
        k = cand.shape[1]
        best = cand[:, 0].copy()
        if len(rows) == 0:
            return best
        rep = np.repeat(rows, k)
        clone = core.clone(rep)
        rep_t = torch.as_tensor(rep, device=device)
        fs = map_state(lambda x: x[rep_t], self.frozen_state)
        obs, *_ = clone.show(cand[rows].reshape(-1), to_action(qf[rep_t]))
        score = clone.rank.astype(np.float64)
        while not clone.done.all():
            mask = torch.as_tensor(~clone.done, device=device)
            q, fs = self.frozen.turn(*obs_tensors(obs, device, self.frozen.needs_embedding), fs,
                                     mask)
            obs, *_ = clone.step(to_action(q))
            score += clone.rank
        pick = np.argmin(score.reshape(len(rows), k), axis=1)
        best[rows] = cand[rows, pick]
        return best

    def on_turn(self, rollout: Rollout, q: torch.Tensor, obs: tuple[torch.Tensor, ...],
                active: torch.Tensor) -> np.ndarray:
        core, items, device = rollout.core, rollout.items, rollout.device
        with torch.no_grad():
            qf, self.frozen_state = self.frozen.turn(*obs, self.frozen_state, active)
            scores = mask_shown(F.normalize(qf, dim=1) @ items.T, core.shown)
            cand = scores.topk(self.settings.rollout_k, dim=1).indices.cpu().numpy()
        best = self._best(core, cand, qf)
        label = torch.as_tensor(best, device=device)
        rollout.terms.append(label_sampled_ce(q, label, items, active, self.settings.temperature,
                                              rollout.generator, NEGATIVES))
        return best
