"""Guo et al.'s rollout policy improvement.

At every turn a frozen copy of the agent proposes its top-K (K = 4) unshown candidates;
each is shown in a copy of the dialog and rolled out greedily by the frozen policy for the
remaining turns, scored by the sum of the target's ranks; the best candidate becomes the
supervised label of the trained agent's query: cross-entropy over `<q, z_a> / tau`
(tau = 0.2) against random negatives. The dialog proceeds with the improved choice.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from agents.learners.base import LearnerConfig, map_state, mask_shown, start_batch
from agents.model import DialogAgent
from agents.policy import obs_tensors, to_action
from dialog_env.batched import BatchedDialogs
from dialog_env.world import DialogWorld

NEGATIVES = 32


class RolloutImprovement:
    def __init__(self):
        self.frozen: DialogAgent | None = None

    def refresh(self, agent: DialogAgent) -> None:
        self.frozen = copy.deepcopy(agent).eval()
        for p in self.frozen.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def _best(self, core: BatchedDialogs, fstate, cand: np.ndarray, qf: torch.Tensor,
              device) -> np.ndarray:
        rows = np.flatnonzero(~core.done)
        k = cand.shape[1]
        best = cand[:, 0].copy()
        if len(rows) == 0:
            return best
        rep = np.repeat(rows, k)
        clone = core.clone(rep)
        rep_t = torch.as_tensor(rep, device=device)
        fs = map_state(lambda x: x[rep_t], fstate)
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

    def step(self, agent: DialogAgent, world: DialogWorld, items: torch.Tensor,
             cfg: LearnerConfig, seed: int, stage: int, step: int):
        if self.frozen is None:
            self.refresh(agent)
        device = items.device
        core, obs, gen, _, state = start_batch(agent, world, items, cfg, seed, stage, step)
        fstate = self.frozen.initial_state(core.B, device)
        losses = []
        for _ in range(cfg.turns):
            active = torch.as_tensor(~core.done, device=device)
            tens = obs_tensors(obs, device, agent.needs_embedding)
            q, state = agent.turn(*tens, state, active)
            with torch.no_grad():
                qf, fstate = self.frozen.turn(*tens, fstate, active)
                scores = mask_shown(F.normalize(qf, dim=1) @ items.T, core.shown)
                cand = scores.topk(cfg.rollout_k, dim=1).indices.cpu().numpy()
            best = self._best(core, fstate, cand, qf, device)
            label = torch.as_tensor(best, device=device)
            neg = torch.randint(0, items.shape[0], (core.B, NEGATIVES), device=device,
                                generator=gen)
            z = items[torch.cat([label[:, None], neg], dim=1)]  # (B, 1 + negatives, D)
            logits = torch.einsum("bd,bkd->bk", F.normalize(q, dim=1), z) / cfg.temperature
            ce = F.cross_entropy(logits[active], torch.zeros(int(active.sum()), dtype=torch.long,
                                                                device=device))
            losses.append(ce)
            obs, *_ = core.show(best, to_action(q))
            if core.done.all():
                break
        loss = torch.stack(losses).mean()
        return loss, {"loss": loss.item(), "recall@10": float((core.rank < 10).mean())}
