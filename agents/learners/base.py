"""What every learner shares: its configuration, one training batch of dialogs, the step's
torch generator, and the small tensor helpers the losses use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dialog_env.batched import BatchedDialogs
from dialog_env.world import DialogWorld


@dataclass
class LearnerConfig:
    """Budgets and optimisation settings of one learner stage."""

    steps: int = 500
    """Optimizer steps (one batch of dialogs each)."""
    batch: int = 128
    """Dialogs per batch."""
    turns: int = 10
    """Turns per training dialog."""
    lr: float = 1e-3
    """Adam learning rate."""
    grad_clip: float = 5.0
    """Gradient-norm clipping."""
    loss: str = "sampled_ce"
    """Supervised loss: sampled_ce, catalog_ce, batch_ce (FashionNTM) or triplet (Guo)."""
    top_k: int = 8
    """REINFORCE: the policy samples the shown item from its top-k."""
    temperature: float = 0.2
    """REINFORCE / rollout improvement softmax temperature (Guo: tau = 0.2)."""
    baseline_decay: float = 0.9
    """REINFORCE moving-average baseline decay."""
    supervised_weight: float = 1.0
    """REINFORCE: weight of the supervised loss added to the policy-gradient loss."""
    rollout_k: int = 4
    """Rollout policy improvement: candidates proposed by the frozen policy (Guo: 4)."""
    checkpoint_every: int = 50
    """Steps between checkpoints."""


def new_batch(world: DialogWorld, cfg: LearnerConfig, seed: int, stage: int, step: int,
              embedding: bool = False) -> tuple[BatchedDialogs, dict]:
    """A fresh batch of training dialogs, seeded by (seed, stage, step) only — so a resumed
    run sees exactly the batches an uninterrupted run would. The world's configuration
    (`world.config`) gives the episode settings (exclude_shown, max_tokens) and the reward;
    split and turn budget are the learner's."""
    config = world.config
    # The world's episode settings and reward, on the train split with the learner's budget.
    episode = world.episode(split="train", max_turns=cfg.turns, feedback_embedding=embedding,
                            info=None, observation="dict")
    core = BatchedDialogs(world, cfg.batch, episode,
                          config.reward if config is not None else None)
    base = ((seed * 100 + stage) * 1_000_000 + step) * cfg.batch
    obs, _ = core.reset(seeds=[base + i for i in range(cfg.batch)])
    return core, obs


def torch_generator(device, seed: int, stage: int, step: int) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(np.random.SeedSequence([seed, stage, step]).generate_state(1)[0]))
    return g


def mask_shown(scores: torch.Tensor, shown: np.ndarray) -> torch.Tensor:
    """`scores (B, N)` with each dialog's already shown items (`shown`, -1 padded) at -inf."""
    r, c = np.nonzero(shown >= 0)
    out = scores.clone()
    out[torch.as_tensor(r, device=scores.device),
        torch.as_tensor(shown[r, c], device=scores.device)] = float("-inf")
    return out


def map_state(fn, state):
    """Apply `fn` to every tensor of a (nested) tracker state."""
    if isinstance(state, tuple):
        return tuple(map_state(fn, s) for s in state)
    return fn(state)
