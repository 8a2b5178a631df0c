"""Reward functions of FashionDialog: functions of the target's rank before and after a turn.

`rank_percentile(rank, n) = 1 - rank / (n - 1)` (1 = the target ranks first).

The batched core takes the reward as a function (`RewardFn`, RecSim's pattern): the named
rewards with their success bonus are `RewardConfig(kind, success_bonus)`; any callable with
the same signature works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dialog_env.checks import as_real, one_of

REWARDS = ("rank_percentile_gain", "rank_percentile", "log_rank", "hit")
HIT_K = 10


def rank_percentile(rank: np.ndarray, n_items: int) -> np.ndarray:
    return 1.0 - np.asarray(rank, dtype=np.float64) / max(n_items - 1, 1)


def reward(kind: str, rank: np.ndarray, prev_rank: np.ndarray, n_items: int) -> np.ndarray:
    """Per-dialog reward for a turn that moved the target from `prev_rank` to `rank`.

    rank_percentile_gain  change in rank percentile (an episode's return is final minus
                          initial percentile, Guo et al.'s ranking-percentile objective)
    rank_percentile       the percentile after the turn
    log_rank              -log(1 + rank) / log(n_items), in [-1, 0]
    hit                   1 if the target is in the top 10 after the turn
    """
    if kind == "rank_percentile_gain":
        return rank_percentile(rank, n_items) - rank_percentile(prev_rank, n_items)
    if kind == "rank_percentile":
        return rank_percentile(rank, n_items)
    if kind == "log_rank":
        return -np.log1p(np.asarray(rank, dtype=np.float64)) / np.log(max(n_items, 2))
    if kind == "hit":
        return (np.asarray(rank) < HIT_K).astype(np.float64)
    raise ValueError(f"unknown reward {kind!r}; expected one of {REWARDS}")


class RewardFn(Protocol):
    """What the core calls after each turn: the dialogs' rewards `(n,)` from the target's
    new and previous ranks `(n,)`, whether the target was shown `(n,)` bool, and the
    catalog size. Any callable of this shape can be handed to the core."""

    def __call__(self, rank: np.ndarray, prev_rank: np.ndarray, found: np.ndarray,
                 n_items: int) -> np.ndarray: ...


@dataclass(frozen=True)
class RewardConfig:
    """A named reward of `REWARDS` plus `success_bonus` when the target is shown: the
    environment's reward setting and, called, its `RewardFn`."""

    kind: str = "rank_percentile_gain"
    """rank_percentile_gain, rank_percentile, log_rank or hit."""
    success_bonus: float = 1.0
    """Added when the target is shown."""

    def __post_init__(self) -> None:
        one_of(self.kind, "reward", REWARDS)
        object.__setattr__(self, "success_bonus", as_real(self.success_bonus,
                                                          "success_bonus"))

    def __call__(self, rank: np.ndarray, prev_rank: np.ndarray, found: np.ndarray,
                 n_items: int) -> np.ndarray:
        return reward(self.kind, rank, prev_rank, n_items) + self.success_bonus * found
