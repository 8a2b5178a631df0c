"""Deterministic generator of the embedded synthetic fashion catalog.

Everything is vectorised over items: 1,000,000 items' attributes take a few seconds.
Sampling is conditioned on the item's style (see `schema.STYLE_AFFINITY`), so attributes
correlate; about a third of the items are *variants* of another item of the same category
that differ from it in one or two slots (the near-duplicate pairs relative captions are
about). A few hard rules keep items physically plausible (black is very dark, patent
leather is shiny, strapless garments are sleeveless, sneakers are flat or low).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialog_env.catalog.catalog import AttributeVocab
from dialog_env.catalog.render import NUISANCE_FIELDS
from dialog_env.catalog.schema import (
    CATEGORIES,
    ORDINAL_SLOTS,
    SLOT_BY_NAME,
    SLOTS,
    STYLE_AFFINITY,
)

GENERATOR_VERSION = 1
STYLES = SLOT_BY_NAME["style"].values["dress"]
# Slots a variant may change (style is invisible in the image, so it is not one of them).
VARIANT_SLOTS = tuple(s.name for s in SLOTS if s.name != "style")


@dataclass(frozen=True)
class SyntheticConfig:
    """What defines a synthetic catalog (and its cache key)."""

    n_items: int = 10_000
    seed: int = 0
    variant_fraction: float = 0.35
    category_weights: tuple[float, ...] = (0.3, 0.2, 0.25, 0.25)
    split_fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)

    def __post_init__(self) -> None:
        if self.n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {self.n_items}")
        if len(self.category_weights) != len(CATEGORIES):
            raise ValueError(f"category_weights needs {len(CATEGORIES)} entries "
                             f"({CATEGORIES}), got {len(self.category_weights)}")
        if not 0.0 <= self.variant_fraction < 1.0:
            raise ValueError(f"variant_fraction must be in [0, 1), got {self.variant_fraction}")


def build_vocab() -> AttributeVocab:
    names: list[str] = []
    types: list[str] = []
    slots: list[str] = []
    for slot in SLOTS:
        for values in slot.values.values():
            for v in values:
                if v not in names:
                    names.append(v)
                    types.append(slot.type)
                    slots.append(slot.name)
    return AttributeVocab(tuple(names), tuple(types), tuple(slots))


@dataclass
class SampledItems:
    """Raw generator output: slot codes per item, before conversion to multi-hot."""

    category: np.ndarray  # (N,) int8
    split: np.ndarray  # (N,) int8
    codes: dict[str, np.ndarray]  # single slots: (N,) int16 local code, -1 = n/a
    multi: dict[str, np.ndarray]  # multi slots: (N, K) bool over the widest value list
    nuisance: np.ndarray  # (N, 10) float32, see `render.NUISANCE_FIELDS`
    parent: np.ndarray  # (N,) int64, -1 for root items


def _style_table(slot_name: str, category: str) -> np.ndarray:
    """(n_styles, K) weights (single slots) or probabilities (multi slots)."""
    slot = SLOT_BY_NAME[slot_name]
    values = slot.values[category]
    base = np.asarray(slot.weights[category], dtype=np.float64)
    table = np.empty((len(STYLES), len(values)))
    for s, style in enumerate(STYLES):
        mult = np.array([STYLE_AFFINITY.get(style, {}).get(v, 1.0) for v in values])
        table[s] = base * (np.sqrt(mult) if slot.multi else mult)
    if slot.multi:
        return np.clip(table, 0.0, 0.9)
    return table / table.sum(1, keepdims=True)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of `probs` (n, K) by inverse CDF."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return np.minimum((u > cdf).sum(1), probs.shape[1] - 1).astype(np.int16)


def _sample_independent(rng: np.random.Generator, category: np.ndarray) -> SampledItems:
    n = len(category)
    style = np.full(n, -1, np.int16)
    codes: dict[str, np.ndarray] = {}
    multi: dict[str, np.ndarray] = {}
    for slot in SLOTS:
        if slot.multi:
            width = max(len(v) for v in slot.values.values())
            multi[slot.name] = np.zeros((n, width), dtype=bool)
        else:
            codes[slot.name] = np.full(n, -1, np.int16)
    for c, cat in enumerate(CATEGORIES):
        idx = np.flatnonzero(category == c)
        if len(idx) == 0:
            continue
        base = np.asarray(SLOT_BY_NAME["style"].weights[cat], dtype=np.float64)
        style[idx] = _categorical(rng, np.broadcast_to(base / base.sum(), (len(idx), len(base))))
        codes["style"][idx] = style[idx]
        for slot in SLOTS:
            if slot.name == "style" or cat not in slot.values:
                continue
            table = _style_table(slot.name, cat)[style[idx]]  # (n_c, K)
            if slot.multi:
                k = table.shape[1]
                multi[slot.name][idx, :k] = rng.random(table.shape) < table
            else:
                codes[slot.name][idx] = _categorical(rng, table)
    return SampledItems(category, np.zeros(n, np.int8), codes, multi,
                        np.zeros((n, len(NUISANCE_FIELDS)), np.float32), np.full(n, -1, np.int64))


def _code(slot: str, category: str, value: str) -> int:
    return SLOT_BY_NAME[slot].values[category].index(value)


def _apply_rules(items: SampledItems) -> None:
    """Physical plausibility, applied after variants are formed (vectorised)."""
    c = items.codes
    hue, tone = c["hue"], c["tone"]
    tone[hue == SLOT_BY_NAME["hue"].values["dress"].index("black")] = 4
    tone[hue == SLOT_BY_NAME["hue"].values["dress"].index("white")] = 0
    for k, cat in enumerate(CATEGORIES):
        in_cat = items.category == k
        if cat == "shoes":
            fab, shine, sil = c["fabric"], c["shine"], c["silhouette"]
            shine[in_cat & (fab == _code("fabric", cat, "patent-leather"))] = 2
            for matte in ("suede", "canvas", "mesh"):
                shine[in_cat & (fab == _code("fabric", cat, matte))] = 0
            heel = c["heel"]
            sneaker = in_cat & np.isin(sil, [_code("silhouette", cat, v)
                                             for v in ("sneaker", "loafer", "clog")])
            heel[sneaker] = np.minimum(heel[sneaker], 1)
            pump = in_cat & np.isin(sil, [_code("silhouette", cat, v) for v in ("pump", "wedge")])
            heel[pump] = np.maximum(heel[pump], 1)
            toe = c["toe"]
            sandal = in_cat & (sil == _code("silhouette", cat, "sandal"))
            toe[sandal] = _code("toe", cat, "open-toe")
            toe[in_cat & (sil == _code("silhouette", cat, "sneaker"))] = _code("toe", cat,
                                                                              "round-toe")
        else:
            fab, shine = c["fabric"], c["shine"]
            for matte in ("denim", "knit", "linen", "cotton"):
                shine[in_cat & (fab == _code("fabric", cat, matte))] = 0
            shine[in_cat & np.isin(fab, [_code("fabric", cat, v) for v in ("satin", "silk")])] = \
                np.maximum(shine[in_cat & np.isin(fab, [_code("fabric", cat, v)
                                                        for v in ("satin", "silk")])], 1)
            neck, sleeve = c["neckline"], c["sleeve"]
            bare = in_cat & np.isin(neck, [_code("neckline", cat, v)
                                           for v in ("strapless", "halter")])
            sleeve[bare] = 0
            if "straps" in SLOT_BY_NAME["parts"].values[cat]:
                straps = in_cat & items.multi["parts"][:, SLOT_BY_NAME["parts"].values[cat]
                                                       .index("straps")]
                sleeve[straps] = 0
            if cat == "toptee":
                sil = c["silhouette"]
                sleeve[in_cat & np.isin(sil, [_code("silhouette", cat, v)
                                              for v in ("tank-top", "camisole")])] = 0


def _form_variants(rng: np.random.Generator, items: SampledItems, fraction: float) -> None:
    n = len(items.category)
    is_variant = rng.random(n) < fraction
    for k in range(len(CATEGORIES)):
        roots = np.flatnonzero((items.category == k) & ~is_variant)
        variants = np.flatnonzero((items.category == k) & is_variant)
        if len(roots) == 0 or len(variants) == 0:
            continue
        parent = roots[rng.integers(0, len(roots), size=len(variants))]
        items.parent[variants] = parent
        slots = [s for s in VARIANT_SLOTS if CATEGORIES[k] in SLOT_BY_NAME[s].values]
        order = np.argsort(rng.random((len(variants), len(slots))), axis=1)
        n_changed = 1 + (rng.random(len(variants)) < 0.5)  # 1 or 2 slots keep their own draw
        keep_own = np.zeros((len(variants), len(slots)), dtype=bool)
        rows = np.arange(len(variants))
        keep_own[rows, order[:, 0]] = True
        keep_own[rows[n_changed == 2], order[n_changed == 2, 1]] = True
        for j, name in enumerate(slots):
            copy = variants[~keep_own[:, j]]
            src = parent[~keep_own[:, j]]
            if name in items.codes:
                items.codes[name][copy] = items.codes[name][src]
            else:
                items.multi[name][copy] = items.multi[name][src]
        items.codes["style"][variants] = items.codes["style"][parent]


def sample_items(config: SyntheticConfig) -> SampledItems:
    """All slot codes, splits and nuisance parameters of a synthetic catalog."""
    rng = np.random.default_rng([config.seed, GENERATOR_VERSION])
    n = config.n_items
    w = np.asarray(config.category_weights, dtype=np.float64)
    category = _categorical(rng, np.broadcast_to(w / w.sum(), (n, len(w)))).astype(np.int8)
    items = _sample_independent(rng, category)
    _form_variants(rng, items, config.variant_fraction)
    _apply_rules(items)
    perm = rng.permutation(n)
    bounds = np.round(np.cumsum(config.split_fractions)[:2] * n).astype(int)
    items.split[perm[bounds[0]:bounds[1]]] = 1
    items.split[perm[bounds[1]:]] = 2
    u = rng.random((n, len(NUISANCE_FIELDS))).astype(np.float32)
    # See render.NUISANCE_FIELDS: shift (fraction of size), scale, rotation (degrees),
    # light gain and direction, background tint r/g/b (added), pattern phase.
    items.nuisance = np.stack([
        (u[:, 0] - 0.5) * 0.08, (u[:, 1] - 0.5) * 0.08, 0.92 + 0.16 * u[:, 2],
        (u[:, 3] - 0.5) * 10.0, 0.88 + 0.24 * u[:, 4], u[:, 5] * 2 - 1,
        (u[:, 6] - 0.5) * 24, (u[:, 7] - 0.5) * 24, (u[:, 8] - 0.5) * 24, u[:, 9],
    ], axis=1).astype(np.float32)
    return items


def to_arrays(items: SampledItems, vocab: AttributeVocab) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot attributes (N, V) bool and ordinal levels (N, O) int8."""
    n = len(items.category)
    attributes = np.zeros((n, len(vocab)), dtype=bool)
    for k, cat in enumerate(CATEGORIES):
        in_cat = items.category == k
        for slot in SLOTS:
            if cat not in slot.values:
                continue
            cols = np.array([vocab.index(v) for v in slot.values[cat]])
            if slot.multi:
                attributes[np.ix_(in_cat, cols)] = items.multi[slot.name][in_cat, :len(cols)]
            else:
                idx = np.flatnonzero(in_cat)
                code = items.codes[slot.name][idx]
                ok = code >= 0
                attributes[idx[ok], cols[code[ok]]] = True
    ordinal = np.stack([items.codes[s.name] for s in ORDINAL_SLOTS], axis=1).astype(np.int8)
    return attributes, ordinal
