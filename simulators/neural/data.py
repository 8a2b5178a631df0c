"""The captioner's training data: a `CaptionSource` (pairs of catalog items with captions,
and the vocabulary the decoder speaks), and `captioning_pairs`, which captions random
same-category pairs with the caption source it is given (a `Captioner`, and a fallback for
the pairs it cannot describe).

Which shoppers the sources speak with is wired outside this package
(`simulators.caption_sources`, where `caption_source(catalog)` is the one switch), so the
neural shopper imports no other shopper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import Vocab

CAPTIONS_PER_PAIR = 2

Captioner = Callable[[np.ndarray, np.ndarray, np.random.Generator],
                     tuple[list[str], np.ndarray]]
"""`(target (n,), shown (n,), rng) -> (texts, fits)`: a caption of each pair, drawing its
randomness from `rng`, and whether it describes the pair (`fits`, `(n,)` bool; a caption
that does not is replaced by the fallback's)."""


@dataclass(frozen=True)
class CaptionPairs:
    """Caption triples: shown item `shown[k]`, target `target[k]`, caption `texts[k]`."""

    shown: np.ndarray  # (n,) int64
    target: np.ndarray  # (n,) int64
    texts: list[str]

    def __post_init__(self) -> None:
        if not (len(self.shown) == len(self.target) == len(self.texts)):
            raise ValueError(f"caption pairs: {len(self.shown)} shown, {len(self.target)} "
                             f"targets and {len(self.texts)} texts (must be equal)")


@dataclass(frozen=True)
class CaptionSource:
    """A named source of caption pairs, its vocabulary and what its people say when shown
    the target itself."""

    name: str
    pairs: Callable[..., CaptionPairs]  # (catalog, n, seed, split="train") -> CaptionPairs
    vocabulary: Callable[[], Vocab]
    found_text: str = "is the one"


def same_category_pairs(catalog: Catalog, n: int, rng: np.random.Generator,
                        split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """`n` random (shown, target) pairs of distinct items of one category from `split`
    (categories with at least two items of the split, in proportion to their size)."""
    pools = [p for c in catalog.categories
             if len(p := catalog.indices(split, c)) >= 2]
    if not pools:
        raise ValueError(f"catalog {catalog.name!r} has no category with two {split} items")
    sizes = np.array([len(p) for p in pools], dtype=np.float64)
    which = rng.choice(len(pools), size=n, p=sizes / sizes.sum())
    shown = np.empty(n, dtype=np.int64)
    target = np.empty(n, dtype=np.int64)
    for c, pool in enumerate(pools):
        rows = np.flatnonzero(which == c)
        i = rng.integers(len(pool), size=len(rows))
        j = (i + rng.integers(1, len(pool), size=len(rows))) % len(pool)  # j != i
        shown[rows], target[rows] = pool[i], pool[j]
    return shown, target


def captioning_pairs(catalog: Catalog, n: int, seed: int, captioner: Captioner,
                     fallback: Captioner | None = None, split: str = "train",
                     per_pair: int = CAPTIONS_PER_PAIR) -> CaptionPairs:
    """`n` captions of random same-category (shown, target) pairs of `split`, `per_pair`
    independent captions per pair next to each other, by `captioner`; where its caption
    does not fit the pair, `fallback`'s caption of the pair stands in (drawn after all of
    `captioner`'s, from the same generator)."""
    if n < 1 or per_pair < 1:
        raise ValueError(f"captioning_pairs needs n >= 1 and per_pair >= 1, got {n}, "
                         f"{per_pair}")
    rng = np.random.default_rng(seed)
    shown, target = same_category_pairs(catalog, -(-n // per_pair), rng, split)
    shown = np.repeat(shown, per_pair)[:n]
    target = np.repeat(target, per_pair)[:n]
    texts, fits = captioner(target, shown, rng)
    texts = list(texts)
    missing = np.flatnonzero(~np.asarray(fits, dtype=bool))
    if len(missing) and fallback is not None:
        spare, _ = fallback(target[missing], shown[missing], rng)
        for k, text in zip(missing.tolist(), spare):
            texts[k] = text
    return CaptionPairs(shown, target, texts)
