"""Where the captioner's training captions come from: a `CaptionSource` (pairs of catalog
items with captions, and the vocabulary the decoder speaks).

`caption_source(catalog)` is the one switch. It is `REAL_SOURCE`: people's Fashion IQ / Shoes
captions re-grounded onto random same-category catalog pairs, two per pair
(`simulators.real.captioning_pairs`; the template shopper's caption where no real caption
fits a pair), in `simulators.real.real_vocabulary()`. `TEMPLATE_SOURCE` is the template
shopper captioning such pairs, twice each (no typos: a typo is not a word the captioner
should learn), in `simulators.vocab.default_vocabulary()`; on a catalog of dataset tags
(a real dataset's) the captioner learns from it, tag words added to the vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import Vocab

CAPTIONS_PER_PAIR = 2


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


def template_pairs(catalog: Catalog, n: int, seed: int, split: str = "train") -> CaptionPairs:
    """`n` template-shopper captions of random same-category pairs of `split`, two
    independent captions per pair (as Fashion IQ has two per pair), the pairs in a
    random order with their two captions next to each other."""
    from simulators.template import N_UNIFORMS, TemplateConfig, TemplateShopper

    rng = np.random.default_rng(seed)
    shown, target = same_category_pairs(catalog, -(-n // CAPTIONS_PER_PAIR), rng, split)
    shown = np.repeat(shown, CAPTIONS_PER_PAIR)[:n]
    target = np.repeat(target, CAPTIONS_PER_PAIR)[:n]
    shopper = TemplateShopper(catalog, TemplateConfig(typo_rate=0.0))
    fbs, _ = shopper.captions(target, shown, rng.random((n, N_UNIFORMS)))
    return CaptionPairs(shown, target, [fb.text for fb in fbs])


def template_vocabulary() -> Vocab:
    from simulators.vocab import default_vocabulary

    return default_vocabulary()


TEMPLATE_SOURCE = CaptionSource("template", template_pairs, template_vocabulary)


def real_pairs(catalog: Catalog, n: int, seed: int, split: str = "train") -> CaptionPairs:
    """People's captions re-grounded onto `n` random same-category pairs of `split`."""
    from simulators.real import captioning_pairs

    return CaptionPairs(*captioning_pairs(catalog, n, seed, split=split))


def real_vocabulary() -> Vocab:
    from simulators.real import real_vocabulary

    return real_vocabulary()


REAL_SOURCE = CaptionSource("real", real_pairs, real_vocabulary, "is identical")


def caption_source(catalog: Catalog | None = None) -> CaptionSource:
    """The captions the neural shopper learns from (the one place to switch sources):
    `REAL_SOURCE`, or for a catalog of dataset tags (a real dataset's,
    `simulators.tags`), whose attributes people's re-grounded captions cannot name, the
    template shopper speaking from the tags, in the default vocabulary plus the tags'
    words."""
    from simulators.tags import follows_schema, tag_vocabulary

    if catalog is None or follows_schema(catalog.vocab):
        return REAL_SOURCE
    return CaptionSource("template-tags", template_pairs, lambda: tag_vocabulary(catalog))
