"""The real-language shopper (`shopper="real"`): people's Fashion IQ / Shoes captions
re-grounded onto catalog pairs (`simulators.real.shopper`), its shipped data and vocabulary
(`simulators.real.data`), and caption pairs for training a captioner (`captioning_pairs`).
Its settings are `simulators.real.config`; the data loads on first use of
`real_vocabulary`, so that the settings load no shopper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulators.real.data import real_vocabulary

__all__ = ["captioning_pairs", "real_vocabulary"]


def captioning_pairs(catalog, n: int, seed: int, split: str = "train", per_pair: int = 2
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """`n` captions of random same-category (shown, target) pairs of `split`, `per_pair`
    independent captions per pair next to each other: `(shown, target, texts)`.

    Each caption is a real caption whose mentions the pair's differences realise (the
    real-language shopper's choice, by people's frequencies); where no real caption fits the
    pair (no placeholder can be filled), the template shopper's caption stands in.
    """
    from simulators.neural.data import same_category_pairs
    from simulators.real.shopper import N_UNIFORMS, RealShopper
    from simulators.template import N_UNIFORMS as T_UNIFORMS
    from simulators.template import TemplateConfig, TemplateShopper

    if n < 1 or per_pair < 1:
        raise ValueError(f"captioning_pairs needs n >= 1 and per_pair >= 1, got {n}, "
                         f"{per_pair}")
    rng = np.random.default_rng(seed)
    shown, target = same_category_pairs(catalog, -(-n // per_pair), rng, split)
    shown = np.repeat(shown, per_pair)[:n]
    target = np.repeat(target, per_pair)[:n]
    real = RealShopper(catalog)
    _, fb = real.speak(target, shown, rng.random((n, N_UNIFORMS)))
    texts = [f.text for f in fb]
    fits = np.zeros(n, dtype=bool)
    cats = catalog.category[target]
    for c in np.unique(cats).tolist():
        rows = np.flatnonzero(cats == c)
        dom = real.by_category[c]["domain"]
        fits[rows] = real.available(target[rows], shown[rows], dom).any(axis=1)
    missing = np.flatnonzero(~fits)
    if len(missing):
        template = TemplateShopper(catalog, TemplateConfig(typo_rate=0.0, irrelevant_rate=0.0,
                                                           repeat_rate=0.0))
        tfb, _ = template.captions(target[missing], shown[missing],
                                   rng.random((len(missing), T_UNIFORMS)))
        for k, f in zip(missing.tolist(), tfb):
            texts[k] = f.text
    return shown, target, texts


def __getattr__(name: str):
    if name == "real_vocabulary":
        from simulators.real.data import real_vocabulary

        return real_vocabulary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
