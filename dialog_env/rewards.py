"""Reward functions of FashionDialog: functions of the target's rank before and after a turn.

`rank_percentile(rank, n) = 1 - rank / (n - 1)` (1 = the target ranks first).
"""

from __future__ import annotations

import numpy as np

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
