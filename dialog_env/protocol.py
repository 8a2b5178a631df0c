"""The fixed evaluation protocol: a seeded list of (target, first candidate) pairs per
split, saved with the results so every agent is evaluated on the same dialogs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dialog_env.cache import atomic_write_json
from dialog_env.catalog.catalog import Catalog


def make_protocol(catalog: Catalog, split: str, n_dialogs: int, seed: int = 0) -> dict:
    """`n_dialogs` targets from `split` (without replacement while possible), each with a
    first candidate of the same category."""
    items = catalog.indices(split)
    if len(items) == 0:
        raise ValueError(f"split {split!r} of {catalog.name!r} has no items")
    rng = np.random.default_rng([seed, 20240607])
    targets = rng.choice(items, size=n_dialogs, replace=n_dialogs > len(items))
    pairs = []
    for t in targets:
        pool = catalog.indices(category=catalog.categories[catalog.category[t]])
        c = t
        while c == t:
            c = pool[rng.integers(len(pool))]
        pairs.append([int(t), int(c)])
    return {"catalog": catalog.name, "n_items": len(catalog), "split": split, "seed": seed,
            "pairs": pairs}


def save_protocol(protocol: dict, path: str | Path) -> Path:
    return atomic_write_json(Path(path), protocol)


def load_protocol(path: str | Path, catalog: Catalog | None = None) -> dict:
    """Read and validate a protocol file (names the entry and field that is wrong)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    for field in ("split", "seed", "pairs", "n_items"):
        if field not in data:
            raise ValueError(f"{path}: missing field {field!r}")
    n = data["n_items"]
    if catalog is not None and n != len(catalog):
        raise ValueError(f"{path}: protocol is for {n} items, catalog {catalog.name!r} has "
                         f"{len(catalog)}")
    for k, pair in enumerate(data["pairs"]):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, int) for v in pair)):
            raise ValueError(f"{path}: pairs[{k}] must be [target, first_candidate] integers, "
                             f"got {pair!r}")
        if not (0 <= pair[0] < n and 0 <= pair[1] < n) or pair[0] == pair[1]:
            raise ValueError(f"{path}: pairs[{k}] = {pair} out of range 0..{n - 1} or target "
                             f"equals first candidate")
    return data
