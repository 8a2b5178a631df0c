"""The `Learner` interface and the one loop every learner shares (stable-baselines3's split of
collecting a rollout from computing the loss).

One optimizer step of any learner:

    rollout = learner.collect(agent, world, items, seed, stage, step)
        a fresh batch of dialogs (`new_batch`) and the step's torch generator; then every
        turn: q = agent.turn(obs); chosen = learner.on_turn(rollout, q, obs, active);
        core.step(q) when chosen is None (the best-ranked unshown item is shown), else
        core.show(chosen, q) (the learner picked the shown items)
    loss, stats = learner.loss(rollout)

A learner writes only hooks: `on_turn` (the turn's loss term, the items to show) and, when
its loss is not the mean of the per-turn terms, `loss`; stateful learners add `state_dict` /
`load_state_dict` (saved in checkpoints) and `on_stage_start` / `on_rollout_start` /
`on_checkpoint` (e.g. refresh a frozen copy of the agent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch

from agents.learners.base import LearnerConfig, new_batch, torch_generator
from agents.model import DialogAgent
from agents.policy import obs_tensors, to_action
from dialog_env.batched import BatchedDialogs
from dialog_env.world import DialogWorld


@dataclass
class Rollout:
    """One batch of training dialogs being rolled out by the shared loop: what `on_turn`
    reads and appends to, and what `loss` turns into a loss."""

    agent: DialogAgent
    core: BatchedDialogs
    items: torch.Tensor  # (N, D) the database's item vectors
    targets: torch.Tensor  # (B,)
    generator: torch.Generator  # every random draw of the step comes from it, in turn order
    cfg: LearnerConfig
    active: list[np.ndarray] = field(default_factory=list)
    """Per turn, `(B,)`: the dialogs still running when the turn began."""
    rewards: list[np.ndarray] = field(default_factory=list)
    """Per turn, `(B,)`: the environment's reward for the turn."""
    terms: list[torch.Tensor] = field(default_factory=list)
    """Per turn: the learner's loss term (appended by `on_turn`)."""
    log_probs: list[torch.Tensor] = field(default_factory=list)
    """Per turn, `(B,)`: log-probability of the item the policy chose (policy gradient)."""

    @property
    def device(self) -> torch.device:
        return self.items.device

    def recall_at_10(self) -> float:
        """Fraction of the batch's targets ranked in the top 10 after the last turn."""
        return float((self.core.rank < 10).mean())


class Learner:
    """Base class of the learners: the shared loop (`collect`) and the hooks to override."""

    name: ClassVar[str]
    settings_class: ClassVar[type]
    """The learner's own settings dataclass (registered under `name`)."""

    def __init__(self, cfg: LearnerConfig):
        self.cfg = cfg.bind(self.name)  # settings: an instance of `settings_class`
        self.settings = self.cfg.settings

    # -- hooks --------------------------------------------------------------------------

    def on_stage_start(self, agent: DialogAgent) -> None:
        """The stage begins (or resumes from its checkpoint) with `agent`'s weights."""

    def on_rollout_start(self, rollout: Rollout) -> None:
        """A new batch of dialogs is about to be rolled out."""

    def on_turn(self, rollout: Rollout, q: torch.Tensor, obs: tuple[torch.Tensor, ...],
                active: torch.Tensor) -> np.ndarray | None:
        """After the agent's query `q (B, D)` for the observation `obs` (caption, shown
        item's features, attributes as tensors), `active (B,)` the running dialogs: record
        the turn's loss term in `rollout` and return the items to show `(B,)`, or None to
        show the best-ranked unshown item under `q`."""
        raise NotImplementedError

    def loss(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, float]]:
        """The rollout's loss and the step's statistics (`loss`, `recall@10`, ...); by
        default the mean of the per-turn terms."""
        loss = torch.stack(rollout.terms).mean()
        return loss, {"loss": loss.item(), "recall@10": rollout.recall_at_10()}

    def on_checkpoint(self, agent: DialogAgent) -> None:
        """A checkpoint of `agent` (and of this learner's state) has just been written."""

    def state_dict(self) -> dict:
        """JSON-serialisable state saved with every checkpoint."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned."""

    # -- the shared loop -----------------------------------------------------------------

    def collect(self, agent: DialogAgent, world: DialogWorld, items: torch.Tensor,
                seed: int, stage: int, step: int) -> Rollout:
        """Roll the batch of dialogs of (seed, stage, step) out with `agent` (see the
        module docstring)."""
        device = items.device
        core, obs = new_batch(world, self.cfg, seed, stage, step, agent.needs_embedding)
        rollout = Rollout(agent, core, items, torch.as_tensor(core.target, device=device),
                          torch_generator(device, seed, stage, step), self.cfg)
        state = agent.initial_state(core.B, device)
        self.on_rollout_start(rollout)
        for _ in range(self.cfg.turns):
            running = ~core.done
            active = torch.as_tensor(running, device=device)
            tensors = obs_tensors(obs, device, agent.needs_embedding)
            q, state = agent.turn(*tensors, state, active)
            chosen = self.on_turn(rollout, q, tensors, active)
            if chosen is None:
                obs, reward, *_ = core.step(to_action(q))
            else:
                obs, reward, *_ = core.show(chosen, to_action(q))
            rollout.active.append(running)
            rollout.rewards.append(reward)
            if core.done.all():
                break
        return rollout

    def step_loss(self, agent: DialogAgent, world: DialogWorld, items: torch.Tensor,
                  seed: int, stage: int, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        """One optimizer step's loss and statistics: `loss(collect(...))`."""
        return self.loss(self.collect(agent, world, items, seed, stage, step))
