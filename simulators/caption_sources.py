"""Where the neural captioner's training captions come from: the caption sources, wired
from the other shoppers here (outside every shopper package, so that no shopper package
imports another; `simulators.neural.data` holds the generic parts).

`caption_source(catalog)` is the one switch. It is `REAL_SOURCE`: people's Fashion IQ / Shoes
captions re-grounded onto random same-category catalog pairs, two per pair (`real_pairs`:
the real shopper's caption, by people's frequencies, and the template shopper's where no
real caption fits a pair), in `simulators.real.real_vocabulary()`. `TEMPLATE_SOURCE` is
the template shopper captioning such pairs, twice each (no typos: a typo is not a word the
captioner should learn), in `simulators.lexicon.default_vocabulary()`; on a catalog of
dataset tags (a real dataset's) the captioner learns from it, tag words added to the
vocabulary.
"""

from __future__ import annotations

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import Vocab
from simulators.neural.data import (
    CAPTIONS_PER_PAIR,
    Captioner,
    CaptionPairs,
    CaptionSource,
    captioning_pairs,
)

__all__ = ["REAL_SOURCE", "TEMPLATE_SOURCE", "caption_source", "real_captioner",
           "real_pairs", "template_captioner", "template_pairs"]


def real_captioner(catalog: Catalog) -> Captioner:
    """The real shopper's caption of each pair, and whether a real caption fits it (some
    placeholder can be filled)."""
    from simulators.real.shopper import N_UNIFORMS, RealShopper

    real = RealShopper(catalog)

    def captions(target: np.ndarray, shown: np.ndarray, rng: np.random.Generator
                 ) -> tuple[list[str], np.ndarray]:
        n = len(target)
        _, fb = real.speak(target, shown, rng.random((n, N_UNIFORMS)))
        fits = np.zeros(n, dtype=bool)
        cats = catalog.category[target]
        for c in np.unique(cats).tolist():
            rows = np.flatnonzero(cats == c)
            dom = real.by_category[c].domain
            fits[rows] = real.available(target[rows], shown[rows], dom).any(axis=1)
        return [f.text for f in fb], fits

    return captions


def template_captioner(catalog: Catalog, **settings) -> Captioner:
    """The template shopper's caption of each pair (always fits), with `TemplateConfig`
    `settings`."""
    from simulators.template import N_UNIFORMS, TemplateConfig, TemplateShopper

    shopper = None

    def captions(target: np.ndarray, shown: np.ndarray, rng: np.random.Generator
                 ) -> tuple[list[str], np.ndarray]:
        nonlocal shopper
        shopper = shopper or TemplateShopper(catalog, TemplateConfig(**settings))
        fbs, _ = shopper.captions(target, shown, rng.random((len(target), N_UNIFORMS)))
        return [f.text for f in fbs], np.ones(len(target), dtype=bool)

    return captions


def real_pairs(catalog: Catalog, n: int, seed: int, split: str = "train",
               per_pair: int = CAPTIONS_PER_PAIR) -> CaptionPairs:
    """People's captions re-grounded onto `n` random same-category pairs of `split`
    (`per_pair` per pair); where no real caption fits a pair, the template shopper's (no
    noise) stands in."""
    return captioning_pairs(
        catalog, n, seed, real_captioner(catalog),
        template_captioner(catalog, typo_rate=0.0, irrelevant_rate=0.0, repeat_rate=0.0),
        split=split, per_pair=per_pair)


def template_pairs(catalog: Catalog, n: int, seed: int, split: str = "train") -> CaptionPairs:
    """`n` template-shopper captions of random same-category pairs of `split`, two
    independent captions per pair (as Fashion IQ has two per pair), the pairs in a
    random order with their two captions next to each other."""
    return captioning_pairs(catalog, n, seed, template_captioner(catalog, typo_rate=0.0),
                            split=split)


def template_vocabulary() -> Vocab:
    from simulators.lexicon import default_vocabulary

    return default_vocabulary()


def real_vocabulary() -> Vocab:
    from simulators.real import real_vocabulary

    return real_vocabulary()


TEMPLATE_SOURCE = CaptionSource("template", template_pairs, template_vocabulary)
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
