"""The fixed evaluation protocol: a seeded list of (target, first candidate) pairs per
split, saved with the results so every agent is evaluated on the same dialogs.

A protocol file records the catalog it was drawn from (name, size and a fingerprint of the
item ids, splits and categories), its split and its length; `load_protocol` checks all of
them against what the caller is about to run, so a protocol is never reused for another
catalog, split or number of dialogs. It also records the `fashion_dialog_version` that drew
it and names its layout (`results_schema`: dialog_env/schemas/protocol.schema.json); files
written before those two fields existed load all the same."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from dialog_env.cache import atomic_write_json
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SPLITS
from dialog_env.version import __version__

FIELDS = ("catalog", "catalog_fingerprint", "n_items", "split", "seed", "n_dialogs", "pairs")


def catalog_fingerprint(catalog: Catalog) -> str:
    """A short content hash of a catalog's identity: name, item ids, splits, categories."""
    h = hashlib.sha256()
    h.update(json.dumps([catalog.name, len(catalog), list(catalog.categories)]).encode())
    h.update("\n".join(str(i) for i in catalog.item_ids).encode())
    h.update(np.ascontiguousarray(catalog.split, dtype=np.int8).tobytes())
    h.update(np.ascontiguousarray(catalog.category, dtype=np.int8).tobytes())
    return h.hexdigest()[:16]


def protocol_filename(catalog: Catalog, split: str, n_dialogs: int, seed: int = 0) -> str:
    """A file name unique to (catalog, split, length, seed), so protocols of different
    catalogs written to one folder never collide."""
    return (f"protocol-{catalog.name}-{catalog_fingerprint(catalog)[:8]}-{split}-"
            f"{n_dialogs}-s{seed}.json")


def make_protocol(catalog: Catalog, split: str, n_dialogs: int, seed: int = 0) -> dict:
    """`n_dialogs` targets from `split` (without replacement while possible), each with a
    first candidate of the same category."""
    if n_dialogs < 1:
        raise ValueError(f"a protocol needs at least one dialog, got n_dialogs={n_dialogs}")
    items = catalog.indices(split)
    if len(items) == 0:
        raise ValueError(f"split {split!r} of {catalog.name!r} has no items")
    rng = np.random.default_rng([seed, 20240607])
    targets = rng.choice(items, size=n_dialogs, replace=n_dialogs > len(items))
    pairs = []
    for t in targets:
        pool = catalog.indices(category=catalog.categories[catalog.category[t]])
        if len(pool) < 2:
            raise ValueError(f"category {catalog.categories[catalog.category[t]]!r} of "
                             f"{catalog.name!r} has no item besides target {int(t)}")
        c = t
        while c == t:
            c = pool[rng.integers(len(pool))]
        pairs.append([int(t), int(c)])
    return {"catalog": catalog.name, "catalog_fingerprint": catalog_fingerprint(catalog),
            "n_items": len(catalog), "split": split, "seed": seed, "n_dialogs": n_dialogs,
            "pairs": pairs, "results_schema": "protocol", "fashion_dialog_version": __version__}


def save_protocol(protocol: dict, path: str | Path) -> Path:
    return atomic_write_json(Path(path), protocol)


def _mismatch(path: Path, field: str, found, expected, what: str) -> ValueError:
    return ValueError(f"{path}: field {field!r} is {found!r} but {what} is {expected!r}; this "
                      f"protocol was made for something else (delete it or use another file)")


def load_protocol(path: str | Path, catalog: Catalog | None = None, split: str | None = None,
                  n_dialogs: int | None = None) -> dict:
    """Read and validate a protocol file. With `catalog`, `split` and `n_dialogs`, also check
    that it was made for exactly that catalog, split and number of dialogs, that every
    target lies in the split and every first candidate in its target's category. Errors
    name the file and the field (or entry) that is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a protocol is a JSON object, got {type(data).__name__}")
    for field in FIELDS:
        if field not in data:
            raise ValueError(f"{path}: missing field {field!r} (protocol files written before "
                             f"protocols recorded their catalog, split and length lack it; "
                             f"delete the file to make a new one)")
    n, pairs = data["n_items"], data["pairs"]
    if data["split"] not in SPLITS:
        raise ValueError(f"{path}: field 'split' is {data['split']!r}; expected one of {SPLITS}")
    if not isinstance(pairs, list) or len(pairs) != data["n_dialogs"]:
        raise ValueError(f"{path}: field 'pairs' holds "
                         f"{len(pairs) if isinstance(pairs, list) else pairs!r} entries but "
                         f"'n_dialogs' says {data['n_dialogs']!r}")
    if split is not None and data["split"] != split:
        raise _mismatch(path, "split", data["split"], split, "the split to evaluate")
    if n_dialogs is not None and data["n_dialogs"] != n_dialogs:
        raise _mismatch(path, "n_dialogs", data["n_dialogs"], n_dialogs,
                        "the number of dialogs asked for")
    if catalog is not None:
        for field, expected in (("catalog", catalog.name), ("n_items", len(catalog)),
                                ("catalog_fingerprint", catalog_fingerprint(catalog))):
            if data[field] != expected:
                raise _mismatch(path, field, data[field], expected, "the catalog's")
    for k, pair in enumerate(pairs):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, int) for v in pair)):
            raise ValueError(f"{path}: pairs[{k}] must be [target, first_candidate] integers, "
                             f"got {pair!r}")
        if not (0 <= pair[0] < n and 0 <= pair[1] < n) or pair[0] == pair[1]:
            raise ValueError(f"{path}: pairs[{k}] = {pair} out of range 0..{n - 1} or target "
                             f"equals first candidate")
    if catalog is not None:
        _check_items(path, data, catalog)
    return data


def _check_items(path: Path, data: dict, catalog: Catalog) -> None:
    """Targets lie in the protocol's split; first candidates share the target's category."""
    pairs = np.asarray(data["pairs"], dtype=np.int64).reshape(-1, 2)
    code = SPLITS.index(data["split"])
    wrong = np.flatnonzero(catalog.split[pairs[:, 0]] != code)
    if len(wrong):
        k = int(wrong[0])
        raise ValueError(f"{path}: pairs[{k}] target {int(pairs[k, 0])} is a "
                         f"{SPLITS[catalog.split[pairs[k, 0]]]!r} item, not in split "
                         f"{data['split']!r} ({len(wrong)} such targets)")
    wrong = np.flatnonzero(catalog.category[pairs[:, 0]] != catalog.category[pairs[:, 1]])
    if len(wrong):
        k = int(wrong[0])
        t, c = (int(x) for x in pairs[k])
        raise ValueError(f"{path}: pairs[{k}] first candidate {c} is "
                         f"{catalog.categories[catalog.category[c]]!r}, its target {t} is "
                         f"{catalog.categories[catalog.category[t]]!r} ({len(wrong)} such "
                         f"pairs)")
