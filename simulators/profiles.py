"""Per-item slot values read from a multi-hot attribute matrix.

The shopper is *attribute-aware*: it describes differences between the target's and the
shown item's attributes, read by the embedded schema's slots or, for a real catalog, by
its tag slots (`simulators.tags.schema_slots`). Those attributes are the catalog's ground
truth by default, or an attribute predictor's outputs (scores in [0, 1] or booleans) when
given.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.tags import schema_slots


class AttributeProfiles:
    """Slot values of every item, as vocabulary indices.

    single (N, S) int32: value of each single-label slot (-1: slot does not apply)
    level  (N, S) int8:  ordinal level of each single-label slot (-1: not ordinal / n.a.)
    multi  (N, V) bool:  multi-label values (parts, texture extras)
    """

    def __init__(self, catalog: Catalog, attributes: np.ndarray | None = None,
                 threshold: float = 0.5):
        a = catalog.attributes if attributes is None else np.asarray(attributes)
        if a.shape != catalog.attributes.shape:
            raise ValueError(f"attributes must have shape {catalog.attributes.shape} "
                             f"(items x vocabulary), got {a.shape}")
        if a.dtype != bool and not np.isfinite(a).all():
            raise ValueError("predicted attributes contain non-finite scores")
        vocab = catalog.vocab
        self.vocab = vocab
        self.category = catalog.category
        self.categories = catalog.categories
        slots = schema_slots(catalog)  # the embedded schema's, or a tag catalog's
        self.single_slots = tuple(s for s in slots if not s.multi)
        self.multi_slots = tuple(s for s in slots if s.multi)
        n = len(catalog)
        self.single = np.full((n, len(self.single_slots)), -1, dtype=np.int32)
        self.level = np.full((n, len(self.single_slots)), -1, dtype=np.int8)
        scores = a.astype(np.float32)
        for k, slot in enumerate(self.single_slots):
            for c, cat in enumerate(catalog.categories):
                if cat not in slot.values:
                    continue
                rows = np.flatnonzero(catalog.category == c)
                cols = np.array([vocab.index(v) for v in slot.values[cat]])
                best = np.argmax(scores[np.ix_(rows, cols)], axis=1)
                ok = scores[rows, cols[best]] >= threshold
                self.single[rows[ok], k] = cols[best[ok]]
                if slot.ordinal:
                    self.level[rows[ok], k] = best[ok]
        multi_cols = np.concatenate([vocab.indices_of_slot(s.name) for s in self.multi_slots]
                                    + [np.zeros(0, np.int64)])
        self.multi = np.zeros(a.shape, dtype=bool)
        self.multi[:, multi_cols] = scores[:, multi_cols] >= threshold
        self.slot_index = {s.name: k for k, s in enumerate(self.single_slots)}


def perceived_catalog(catalog: Catalog, scores: np.ndarray, threshold: float = 0.5,
                      label: str = "predicted") -> Catalog:
    """`catalog` as an attribute predictor sees it: each item's attributes and ordinal
    levels replaced by the predictor's reading of `scores` `(N, V)` (for each single-label
    slot of the item's category the best-scoring value when it scores at least
    `threshold`; multi-label values scoring at least `threshold`). Everything else (ids,
    categories, splits, images) is the catalog's own. A shopper built on it speaks from
    the predictions instead of the ground truth."""
    p = AttributeProfiles(catalog, scores, threshold)
    attributes = p.multi.copy()
    rows, ks = np.nonzero(p.single >= 0)
    attributes[rows, p.single[rows, ks]] = True
    ordinal = np.full(catalog.ordinal.shape, -1, dtype=catalog.ordinal.dtype)
    for o, name in enumerate(catalog.ordinal_names):
        if name in p.slot_index:
            ordinal[:, o] = p.level[:, p.slot_index[name]]
    meta = {**catalog.meta, "perceived": label}
    return dataclasses.replace(catalog, name=f"{catalog.name}+{label}", attributes=attributes,
                               ordinal=ordinal, meta=meta)
