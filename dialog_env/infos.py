"""The `info` of FashionDialog dialogs, in the three modes of `EpisodeConfig.info`:

    "numeric"  numpy scalars only (what TorchRL's info readers and batched paths take):
               target_rank (np.int64), rank_percentile (np.float64), success (np.bool_),
               turn (np.int64), candidate (np.int64)
    "full"     also the caption `text`, its `mode`, `mentions` (a list of dicts: type, slot,
               value, relation, ref_level, noise) and the shown item's `candidate_id` (str)
    None       no infos (the single env returns `{}`, the vector env `{}`, the core None)

`dialog_infos` gives one dict per dialog (single env, batched core); `vector_infos` gives
Gymnasium's vector infos — one array of length `num_envs` per key plus a `_key` mask —
built from the core's arrays at once (no per-dialog dicts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dialog_env.rewards import rank_percentile

if TYPE_CHECKING:
    from dialog_env.batched import BatchedDialogs

NUMERIC_KEYS = ("target_rank", "rank_percentile", "success", "turn", "candidate")
TEXT_KEYS = ("text", "mode", "mentions", "candidate_id")


def _numeric(core: BatchedDialogs, rows: np.ndarray) -> dict[str, np.ndarray]:
    return {"target_rank": core.rank[rows].copy(),
            "rank_percentile": rank_percentile(core.rank[rows], core.world.n_items),
            "success": core.success[rows].copy(),
            "turn": core.turn[rows].copy(),
            "candidate": core.candidate[rows].copy()}


def _text(core: BatchedDialogs, rows: np.ndarray) -> dict[str, list]:
    out: dict[str, list] = {k: [] for k in TEXT_KEYS}
    ids = core.world.catalog.item_ids
    for i in rows.tolist():
        fb = core.feedback(i)[-1]
        out["text"].append(fb.text)
        out["mode"].append(fb.mode)
        out["mentions"].append([m.to_dict() for m in fb.mentions])
        out["candidate_id"].append(str(ids[int(core.candidate[i])]))
    return out


def dialog_infos(core: BatchedDialogs, rows: np.ndarray, mode: str | None) -> list:
    """One info dict per dialog of `rows` (None each when `mode` is None)."""
    if mode is None:
        return [None] * len(rows)
    columns: dict = _numeric(core, rows)
    if mode == "full":
        columns.update(_text(core, rows))
    return [{k: v[k_] for k, v in columns.items()} for k_ in range(len(rows))]


def vector_infos(core: BatchedDialogs, rows: np.ndarray, mode: str | None) -> dict:
    """Gymnasium vector infos of dialogs `rows`: `info[key]` has one entry per dialog of the
    core (zeros / None where the mask `info["_" + key]` is False)."""
    if mode is None or not len(rows):
        return {}
    b = core.B
    mask = np.zeros(b, dtype=bool)
    mask[rows] = True
    out: dict = {}
    columns: dict = _numeric(core, rows)
    if mode == "full":
        columns.update(_text(core, rows))
    for key, values in columns.items():
        if isinstance(values, np.ndarray):
            array = np.zeros(b, dtype=values.dtype)
            array[rows] = values
        else:
            array = np.full(b, None, dtype=object)
            for k, i in enumerate(rows.tolist()):  # one by one: lists stay list objects
                array[i] = values[k]
        out[key], out[f"_{key}"] = array, mask.copy()
    return out
