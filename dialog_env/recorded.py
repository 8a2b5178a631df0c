"""Recorded multi-turn dialogs over a catalog: what the replay shopper plays back in the
environment (`simulators.replay`) and what FashionNTM's static protocol trains and scores
on (`experiments.evaluate_static`).

    rec = from_transactions(catalog, read_multiturn_fashioniq(root))   # real data
    rec = record_dialogs(world, 4000, split="train", seed=0)            # embedded catalog

Dialog k has `turns[k]` turns; turn j shows item `references[k, j]` and says `texts[k][j]`
(how the next reference, and at the last turn the target, differs from it: the semantics
of Multi-turn FashionIQ, CFIR). `references` is padded to `max_turns` columns by repeating
the last turn (FashionNTM's padding), so `references[k, turns[k]-1:]` are all the last
reference; `texts[k]` has exactly `turns[k]` strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.real_pairs import Transaction, join_captions


@dataclass
class RecordedDialogs:
    """Recorded dialogs as catalog item indices (see the module docstring)."""

    references: np.ndarray  # (n, max_turns) int64, padded with the last reference
    turns: np.ndarray  # (n,) int64, 1 .. max_turns
    targets: np.ndarray  # (n,) int64
    texts: list[list[str]]  # texts[k][j], j < turns[k]
    split: str
    source: str = ""
    meta: dict = field(default_factory=dict)
    categories: list[str] | None = None  # each dialog's category, where the data says it

    def __post_init__(self) -> None:
        n = len(self.targets)
        if self.references.ndim != 2 or len(self.references) != n or len(self.turns) != n \
                or len(self.texts) != n:
            raise ValueError(f"recorded dialogs: references {self.references.shape}, turns "
                             f"{len(self.turns)}, targets {n} and texts {len(self.texts)} "
                             f"must describe the same dialogs")
        bad = [k for k in range(n) if not 1 <= self.turns[k] <= self.references.shape[1]
               or len(self.texts[k]) != self.turns[k]]
        if bad:
            k = bad[0]
            raise ValueError(f"recorded dialog {k}: {self.turns[k]} turns, "
                             f"{len(self.texts[k])} texts, at most "
                             f"{self.references.shape[1]} references")

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def max_turns(self) -> int:
        return self.references.shape[1]

    def last_reference(self) -> np.ndarray:
        return self.references[np.arange(len(self)), self.turns - 1]

    def subset(self, rows: Sequence[int] | np.ndarray) -> RecordedDialogs:
        rows = np.asarray(rows, dtype=np.int64)
        return RecordedDialogs(self.references[rows], self.turns[rows], self.targets[rows],
                               [self.texts[k] for k in rows.tolist()], self.split,
                               self.source, dict(self.meta),
                               None if self.categories is None else
                               [self.categories[k] for k in rows.tolist()])

    def category_codes(self, catalog: Catalog) -> np.ndarray:
        """Each dialog's category as an index into `catalog.categories`: the dialog's own
        where the data gives one the catalog knows, else its target item's."""
        codes = catalog.category[self.targets].astype(np.int64)
        if self.categories is not None:
            names = {c: i for i, c in enumerate(catalog.categories)}
            codes = np.array([names.get(c, int(d)) for c, d in zip(self.categories, codes)],
                             dtype=np.int64)
        return codes

    def counts(self) -> dict[int, int]:
        """Dialogs per number of turns."""
        values, n = np.unique(self.turns, return_counts=True)
        return {int(v): int(c) for v, c in zip(values, n)}


def pad_references(rows: Sequence[Sequence[int]], max_turns: int | None = None) -> np.ndarray:
    """`(n, max_turns)` int64 with each row padded by repeating its last element."""
    width = max_turns or max(len(r) for r in rows)
    out = np.empty((len(rows), width), dtype=np.int64)
    for k, r in enumerate(rows):
        if not 1 <= len(r) <= width:
            raise ValueError(f"dialog {k} has {len(r)} references; expected 1..{width}")
        out[k, :len(r)] = r
        out[k, len(r):] = r[-1]
    return out


# A dataset's split name -> the catalog split its images are in (Shoes' eval images are
# the catalog's test items).
CATALOG_SPLIT = {"train": "train", "val": "val", "test": "test", "eval": "test"}


def from_dialogs(dialogs: Sequence, split: str | None = None, join: str = "and",
                 source: str = "") -> RecordedDialogs:
    """A loader's dialogs of `split` (all when None) as `RecordedDialogs`: the
    `IndexDialog`s of the multi-turn datasets (`dialog_env.catalog.datasets.load_dataset`)
    or the `IndexPair`s of the single-turn ones as 1-turn dialogs (pairs whose target the
    dataset hides, Fashion IQ's test split, are skipped); the captions of a turn are joined
    with `join` (`real_pairs.join_captions`). The recording's split is the catalog split
    of its items (`CATALOG_SPLIT`: Shoes' `eval` is `test`), or `all` when the dialogs
    come from several splits (such a recording cannot be replayed)."""
    refs, targets, texts, splits, cats = [], [], [], set(), []
    for d in dialogs:
        if split is not None and d.split != split:
            continue
        if hasattr(d, "references"):
            turn_refs, turn_caps = d.references, d.captions
        else:
            turn_refs, turn_caps = (d.reference,), (d.captions,)
        if d.target < 0:
            continue
        refs.append(list(turn_refs))
        splits.add(CATALOG_SPLIT.get(d.split, d.split))
        cats.append(getattr(d, "category", ""))
        targets.append(int(d.target))
        texts.append([join_captions(c, join) for c in turn_caps])
    if not refs:
        raise ValueError(f"{source or 'dialogs'}: no dialog of split {split!r} (with a known "
                         f"target) to record")
    return RecordedDialogs(pad_references(refs), np.array([len(r) for r in refs], np.int64),
                           np.array(targets, np.int64), texts,
                           splits.pop() if len(splits) == 1 else "all", source,
                           categories=cats if all(cats) else None)


def from_transactions(catalog: Catalog, transactions: Sequence[Transaction],
                      split: str | None = None, join: str = "and",
                      source: str = "") -> RecordedDialogs:
    """The transactions (of `split`, all when None) whose images are all in `catalog`, as
    `RecordedDialogs` (`from_dialogs`); those naming an image the catalog lacks are left
    out and counted in a warning (`dialog_env.catalog.multiturn.index_dialogs`)."""
    from dialog_env.catalog.multiturn import index_dialogs

    source = source or catalog.name
    return from_dialogs(index_dialogs(catalog, list(transactions), source), split, join,
                        source)


# Turns per recorded dialog on the embedded catalog (1, 2, 3, 4): mostly 2, like
# Multi-turn FashionIQ; our choice, recorded with the dialogs.
TURN_WEIGHTS = (0.1, 0.5, 0.25, 0.15)


def neighbour_table(catalog: Catalog, items: np.ndarray, k: int,
                    rng: np.random.Generator) -> dict[int, np.ndarray]:
    """For each of `items`, its `k` most similar other items of `items` in its category by
    the ground truth (shared attribute values minus the ordinal levels apart; ties broken
    at random): the "similar products" a dataset pairs up."""
    table: dict[int, np.ndarray] = {}
    for c in np.unique(catalog.category[items]):
        group = items[catalog.category[items] == c]
        kk = min(k, len(group) - 1)
        if kk < 1:
            raise ValueError(f"category {catalog.categories[c]!r} has a single item; a "
                             f"recorded dialog needs two")
        a = catalog.attributes[group].astype(np.float32)
        o = catalog.ordinal[group].astype(np.float32)
        # In blocks of rows: the ordinal distances of a whole category at once would take
        # (group size)^2 x slots floats. The tie-breaking draws come in row order either way.
        for lo in range(0, len(group), 256):
            rows = slice(lo, min(len(group), lo + 256))
            sim = a[rows] @ a.T - np.abs(o[rows, None, :] - o[None, :, :]).sum(-1)
            sim += rng.random(sim.shape, dtype=np.float32) * 0.5  # random among ties
            sim[np.arange(sim.shape[0]), np.arange(lo, rows.stop)] = -np.inf
            top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
            # argpartition returns the k best in an order its SIMD kernel decides (AVX-512
            # and AVX2 machines differ); the dialogs draw from the list by position, so it
            # is put in a machine-independent order: ascending catalog position.
            top.sort(axis=1)
            for i, row in zip(group[rows].tolist(), top):
                table[i] = group[row]
    return table


def record_dialogs(world, n: int, split: str = "train", seed: int = 0,
                   turn_weights: Sequence[float] = TURN_WEIGHTS,
                   neighbours: int = 30) -> RecordedDialogs:
    """`n` recorded dialogs over `world`'s catalog, built as Multi-turn FashionIQ was: a
    target of `split`, and a chain of 1-4 references leading to it (each a random one of
    the `neighbours` most similar items of the next, in its category and split, never
    repeating); the world's shopper says how each next reference (and at the last turn the
    target) differs from each reference. Deterministic in `seed`."""
    from simulators.base import check_shopper

    shopper = check_shopper(world.shopper)
    weights = np.asarray(turn_weights, dtype=float)
    if weights.ndim != 1 or len(weights) < 1:
        raise ValueError(f"turn_weights must be a 1-D list (turns 1, 2, ...), got "
                         f"{turn_weights!r}")
    if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError(f"turn_weights must be non-negative with a positive sum, got "
                         f"{turn_weights!r}")
    rng = np.random.default_rng(seed)
    pool = world.split_items[split]
    near = neighbour_table(world.catalog, pool, neighbours, rng)
    turns = rng.choice(np.arange(1, len(weights) + 1), size=n, p=weights / weights.sum())
    targets = pool[rng.integers(0, len(pool), size=n)]
    chains: list[list[int]] = []
    for t, length in zip(targets.tolist(), turns.tolist()):
        chain = [t]  # built backwards from the target
        for _ in range(length):
            options = [i for i in near[chain[0]].tolist() if i not in chain]
            if not options:
                break
            chain.insert(0, options[int(rng.integers(len(options)))])
        chains.append(chain)
    turns = np.array([len(c) - 1 for c in chains], np.int64)
    if (turns < 1).any():
        raise ValueError(f"split {split!r} is too small to chain recorded dialogs")
    # One caption per (reference, next) pair, each pair a one-turn dialog of the shopper
    # with its own generator (seeded by the dialog and the turn).
    shown = np.array([i for c in chains for i in c[:-1]], np.int64)
    nxt = np.array([i for c in chains for i in c[1:]], np.int64)
    rngs = [np.random.default_rng([seed, k, j]) for k, c in enumerate(chains)
            for j in range(len(c) - 1)]
    texts_flat: list[str] = []
    for lo in range(0, len(shown), 4096):
        rows = np.arange(min(4096, len(shown) - lo))
        dialogs = shopper.dialogs(len(rows), 1)
        dialogs.start(rows, nxt[lo:lo + len(rows)], rngs[lo:lo + len(rows)])
        dialogs.answer(rows, shown[lo:lo + len(rows)])
        texts_flat += [dialogs.feedback(i)[0].text for i in rows.tolist()]
    texts, pos = [], 0
    for c in chains:
        texts.append(texts_flat[pos:pos + len(c) - 1])
        pos += len(c) - 1
    return RecordedDialogs(
        pad_references([c[:-1] for c in chains], len(weights)), turns, targets, texts, split,
        f"{world.catalog.name} / {shopper.name} shopper",
        {"seed": seed, "turn_weights": weights.tolist(), "neighbours": neighbours})
