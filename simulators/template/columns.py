"""Difference columns: what a target and a shown item may differ on, and their weights.

Column 0 is the category, columns 1..S the single-label slots (`AttributeProfiles.single`),
then one column per multi-label value (parts, texture extras). Both planners read these
tables; the plain-Python planner reads each item's values as Python lists (`item`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulators.profiles import AttributeProfiles
from simulators.template.config import TemplateConfig

_ITEM_CACHE_SIZE = 2_000_000


class Item(NamedTuple):
    """One item's attributes as Python values (for the plain-Python planner)."""

    category: int
    single: list[int]  # value of each single-label slot (-1: none)
    level: list[int]  # ordinal level of each single-label slot (-1: not ordinal / none)
    multi: frozenset[int]  # positions of its multi-label values among the multi columns
    values: list[int]  # the value each difference column names (see `values`)


class DifferenceColumns:
    """The difference columns of a catalog's items.

    names (C,): slot of each column (the multi-label value's slot for multi columns);
    weights (C,) int: salience in 1/1000 steps (integer: exact, batch-independent draws);
    ordinal (S,) bool; noun (V + 1,) bool: values said as item kinds ([-1]: no value);
    multi_columns (M,): vocabulary index of each multi-label column's value."""

    def __init__(self, profiles: AttributeProfiles, config: TemplateConfig, noun: np.ndarray):
        self.profiles = p = profiles
        slots = p.vocab.slots
        multi_names = {s.name for s in p.multi_slots}
        self.multi_columns = np.array([j for j, s in enumerate(slots) if s in multi_names],
                                      dtype=np.int64)
        self.multi = np.ascontiguousarray(p.multi[:, self.multi_columns])  # (N, M)
        self.n_single = len(p.single_slots)
        self.names = (("category",) + tuple(s.name for s in p.single_slots)
                      + tuple(slots[j] for j in self.multi_columns))
        salience = dict(config.salience)
        self.weights = np.round(np.array([salience.get(s, 1.0) for s in self.names])
                                * 1000).astype(np.int64)
        self.ordinal = np.array([s.ordinal for s in p.single_slots])
        self.noun = np.append(noun, True)
        self.hue, self.tone = p.slot_index["hue"], p.slot_index["tone"]  # single slots
        self.hue_column, self.tone_column = 1 + self.hue, 1 + self.tone
        self._items: dict[int, Item] = {}
        # The same tables as Python lists, for the plain-Python planner.
        self.weight_list = self.weights.tolist()
        self.ordinal_list = self.ordinal.tolist()
        self.noun_list = self.noun.tolist()
        self.multi_list = self.multi_columns.tolist()

    def differences(self, targets: np.ndarray, shown: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`(n, C)` bool: on which columns each target and shown item differ (a
        single-label slot counts when the target has a value there); and what it was
        computed from: the single-label values of targets and shown items `(n, S)` and the
        shown items' multi-label values `(n, M)`."""
        p = self.profiles
        ts, cs = p.single[targets], p.single[shown]  # (n, S)
        c_multi = self.multi[shown]  # (n, M)
        diff = np.concatenate([(p.category[targets] != p.category[shown])[:, None],
                               (ts != cs) & (ts >= 0), self.multi[targets] ^ c_multi], axis=1)
        return diff, ts, cs, c_multi

    def values(self, items: np.ndarray) -> np.ndarray:
        """`(n, C)` the value each column names for `items`: the category index, the
        single-label slots' value indices, the multi-label columns' own value indices."""
        p = self.profiles
        return np.concatenate([p.category[items][:, None], p.single[items],
                               np.broadcast_to(self.multi_columns,
                                               (len(items), len(self.multi_columns)))], axis=1)

    def item(self, i: int) -> Item:
        """Item `i`'s attributes as Python values (cached)."""
        got = self._items.get(i)
        if got is None:
            p, one = self.profiles, np.array([i])
            got = Item(int(p.category[i]), p.single[i].tolist(), p.level[i].tolist(),
                       frozenset(np.flatnonzero(self.multi[i]).tolist()),
                       self.values(one)[0].tolist())
            if len(self._items) < _ITEM_CACHE_SIZE:
                self._items[i] = got
        return got

    def describe(self, row: np.ndarray) -> list[str]:
        """Names of the columns set in a difference row: slots, and the values of
        multi-label columns."""
        names = self.profiles.vocab.names
        return [self.names[k] if k <= self.n_single else
                names[self.multi_columns[k - 1 - self.n_single]] for k in np.flatnonzero(row)]
