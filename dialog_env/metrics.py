"""Per-turn retrieval metrics with bootstrap 95% confidence intervals.

Input: `ranks (E, T+1)` — the target's 0-based rank after each turn (column 0: before
the first query, under the first candidate's own features), 0 from the turn the target
was shown on — and `n_items`.
"""

from __future__ import annotations

import numpy as np

from dialog_env.rewards import rank_percentile

KS = (1, 5, 8, 10, 50)


def _bootstrap(values: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile-bootstrap interval of the mean of `values (E, T)` per column."""
    means = values[idx].mean(1)  # (n_boot, T)
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0)


def per_turn_metrics(ranks: np.ndarray, n_items: int, ks=KS, n_boot: int = 1000,
                     seed: int = 0) -> dict:
    """recall@K, mean/median rank, rank percentile and success rate per turn, with CIs,
    and turns to success. Returns plain JSON-serialisable values: each per-turn entry is
    `{"mean", "lo", "hi"}` lists, except `median_rank`, which is `{"median": [...]}` (no
    interval). Files written before that key was named `median` hold `{"mean": [...]}`;
    `upgrade_per_turn` reads both."""
    ranks = np.asarray(ranks)
    if ranks.ndim != 2 or ranks.shape[0] == 0:
        raise ValueError(f"ranks must be a non-empty (episodes, turns) array, got {ranks.shape}")
    if (ranks < 0).any() or (ranks >= n_items).any():
        raise ValueError(f"ranks must lie in 0..{n_items - 1}")
    e, t = ranks.shape
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, e, size=(n_boot, e))
    out: dict = {"episodes": e, "turns": t - 1, "n_items": n_items, "per_turn": {}}
    found = ranks == 0
    success = np.maximum.accumulate(found, axis=1)  # shown target stays found
    for k in ks:
        hits = (ranks < k).astype(np.float64)
        lo, hi = _bootstrap(hits, idx)
        out["per_turn"][f"recall@{k}"] = {"mean": hits.mean(0).tolist(), "lo": lo.tolist(),
                                          "hi": hi.tolist()}
    pct = rank_percentile(ranks, n_items)
    lo, hi = _bootstrap(pct, idx)
    out["per_turn"]["rank_percentile"] = {"mean": pct.mean(0).tolist(), "lo": lo.tolist(),
                                          "hi": hi.tolist()}
    lo, hi = _bootstrap(ranks.astype(np.float64), idx)
    out["per_turn"]["mean_rank"] = {"mean": ranks.mean(0).tolist(), "lo": lo.tolist(),
                                    "hi": hi.tolist()}
    out["per_turn"]["median_rank"] = {"median": np.median(ranks, axis=0).tolist()}
    s = success.astype(np.float64)
    lo, hi = _bootstrap(s, idx)
    out["per_turn"]["success"] = {"mean": s.mean(0).tolist(), "lo": lo.tolist(),
                                  "hi": hi.tolist()}
    first = np.where(success.any(1), success.argmax(1), -1)
    solved = first[first >= 0]
    out["turns_to_success"] = {"mean": float(solved.mean()) if len(solved) else None,
                               "solved": int(len(solved))}
    return out


def upgrade_per_turn(per_turn: dict) -> dict:
    """`per_turn` metrics in the current layout: a `median_rank` stored as `{"mean": [...]}`
    (results files written before the key was named for what it holds) becomes
    `{"median": [...]}`; everything else is returned as it is. Does not change its input."""
    median = per_turn.get("median_rank")
    if isinstance(median, dict) and "median" not in median and set(median) == {"mean"}:
        return {**per_turn, "median_rank": {"median": median["mean"]}}
    return per_turn
