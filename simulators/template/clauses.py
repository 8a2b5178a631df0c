"""Which planned clauses a caption says, and in which order: written once, in plain Python.

A caption's clauses are entries (`layout.CLAUSE`): up to three comparatives, three direct
requests, a negation, a fallback negation, a repeat, and the silent hue of a comparative
("is a darker blue" asks for blue too). Entries start in `SAYING_ORDER`; `keep` and
`lead_with_is` then apply the structural rules. The caption builder (`compose`) calls them
for its one caption; the array path (`assemble`) sends each row's planned entries and
"is" clauses, packed into one integer key, through them once per distinct key
(`ClauseOrders`), so a batch follows the same rules at the cost of a binary search.
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from simulators.template.layout import CLAUSE, MAX_REQUESTS, MAX_SPOKEN, N_ENTRIES, N_SPOKEN

# Each comparative is followed by its silent hue, then the other clauses.
SAYING_ORDER = tuple(e for r in range(MAX_REQUESTS) for e in (CLAUSE.COMP + r, CLAUSE.HUE + r)) \
    + tuple(range(CLAUSE.DIRECT, N_SPOKEN))
COMPARATIVES = range(CLAUSE.COMP, CLAUSE.DIRECT)
REQUESTS = range(CLAUSE.COMP, CLAUSE.NEG)  # comparatives and direct requests


def drop(entries: tuple[int, ...], entry: int) -> tuple[int, ...]:
    """`entries` without `entry` and, for a comparative, its silent hue."""
    gone = (entry, CLAUSE.HUE + entry - CLAUSE.COMP) if entry in COMPARATIVES else (entry,)
    return tuple(e for e in entries if e not in gone)


def keep(entries: tuple[int, ...]) -> tuple[int, ...]:
    """The planned entries a caption says: a negation replaces the last request when
    there are two or more (captions stay short); the fallback negation is said only when
    nothing but a repeat is left."""
    if CLAUSE.NEG in entries:
        requests = [e for e in entries if e in REQUESTS]
        if len(requests) >= 2:
            entries = drop(entries, requests[-1])
    if CLAUSE.FALLBACK in entries and any(e not in (CLAUSE.FALLBACK, CLAUSE.REPEAT)
                                          for e in entries):
        entries = drop(entries, CLAUSE.FALLBACK)
    return entries


def spoken(entries: tuple[int, ...]) -> list[int]:
    """The entries said aloud (not silent hues)."""
    return [e for e in entries if e < N_SPOKEN]


def lead_with_is(entries: tuple[int, ...], says_is: Container[int]) -> tuple[int, ...]:
    """"is ... with ..." reads better than "has ... and is ...": when the first of several
    entries is not an "is" clause, the first "is" clause (`says_is`) moves to the front."""
    if len(entries) > 1 and entries[0] not in says_is:
        first = next((e for e in entries if e in says_is), None)
        if first is not None:
            entries = (first,) + tuple(e for e in entries if e != first)
    return entries


class ClauseOrders:
    """`keep` then `lead_with_is` for a batch: each row's planned entries and "is" clauses
    packed into one integer key; each distinct key goes through the rules once, and rows
    find their key's result by a binary search over the keys seen so far."""

    def __init__(self) -> None:
        self._bits = 1 << np.arange(N_ENTRIES + N_SPOKEN, dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.int64)  # (k,) sorted
        self._orders = np.zeros((0, MAX_SPOKEN), dtype=np.int64)  # (k, MAX_SPOKEN)
        self._kept = np.zeros((0, N_ENTRIES), dtype=bool)  # (k, N_ENTRIES)
        self._learn(np.zeros(1, dtype=np.int64))  # nothing planned (canned answers)

    def __call__(self, planned: np.ndarray, is_verb: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """`planned` `(n, N_ENTRIES)` bool: each row's planned entries; `is_verb`
        `(n, N_SPOKEN)` bool: which say "is". Returns the spoken entries in saying order
        `(n, MAX_SPOKEN)` (padded with N_SPOKEN) and the entries kept `(n, N_ENTRIES)`."""
        flags = np.concatenate([planned, is_verb & planned[:, :N_SPOKEN]], axis=1)
        key = flags @ self._bits  # (n,)
        at = np.searchsorted(self._keys, key)  # (n,)
        known = self._keys[np.minimum(at, len(self._keys) - 1)] == key
        if not known.all():
            self._learn(np.unique(key[~known]))
            at = np.searchsorted(self._keys, key)
        return self._orders[at], self._kept[at]

    def _learn(self, keys: np.ndarray) -> None:
        """Add the results of new `keys` to the sorted tables."""
        orders, kept = [], []
        for key in keys.tolist():
            says_is = {e for e in range(N_SPOKEN) if key >> (N_ENTRIES + e) & 1}
            entries = keep(tuple(e for e in SAYING_ORDER if key >> e & 1))
            order = spoken(lead_with_is(entries, says_is))
            if len(order) > MAX_SPOKEN:
                raise ValueError(f"{len(order)} clauses to say, at most {MAX_SPOKEN} fit")
            orders.append(order + [N_SPOKEN] * (MAX_SPOKEN - len(order)))
            kept.append([e in entries for e in range(N_ENTRIES)])
        all_keys = np.concatenate([self._keys, keys])
        by_key = np.argsort(all_keys)
        self._keys = all_keys[by_key]
        self._orders = np.concatenate([self._orders, np.array(orders, dtype=np.int64)])[by_key]
        self._kept = np.concatenate([self._kept, np.array(kept, dtype=bool)])[by_key]
