"""Which planned clauses a caption says, and in which order: written once, in plain Python.

A caption's clauses are entries (`layout.CLAUSE`): up to three comparatives, three direct
requests, a negation, a fallback negation, a repeat, and the silent hue of a comparative
("is a darker blue" asks for blue too). Entries start in `SAYING_ORDER`; `keep` and
`lead_with_is` then apply the structural rules. The caption builder (`compose`) calls them
for its one caption; the array path (`assemble`) sends each row's planned entries and
"is" clauses, packed into one integer key, through them once per distinct key
(`ClauseOrders`), so a batch follows the same rules at the cost of a dict look-up per
distinct kind of caption.
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
    """`keep` then `lead_with_is` for a batch, through a memo of distinct rows."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[int, ...]] = {}
        self._bits = 1 << np.arange(N_ENTRIES + N_SPOKEN, dtype=np.int64)

    def __call__(self, planned: np.ndarray, is_verb: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """`planned` `(n, N_ENTRIES)` bool: each row's planned entries; `is_verb`
        `(n, N_SPOKEN)` bool: which say "is". Returns the spoken entries in saying order
        `(n, MAX_SPOKEN)` (padded with N_SPOKEN) and the entries kept `(n, N_ENTRIES)`."""
        flags = np.concatenate([planned, is_verb & planned[:, :N_SPOKEN]], axis=1)
        keys, inverse = np.unique(flags @ self._bits, return_inverse=True)  # (k,), (n,)
        rows = np.array([self._row(key) for key in keys.tolist()])  # (k, MAX_SPOKEN + N_ENTRIES)
        got = rows[inverse.reshape(-1)]
        return got[:, :MAX_SPOKEN], got[:, MAX_SPOKEN:].astype(bool)

    def _row(self, key: int) -> tuple[int, ...]:
        got = self._rows.get(key)
        if got is None:
            says_is = {e for e in range(N_SPOKEN) if key >> (N_ENTRIES + e) & 1}
            kept = keep(tuple(e for e in SAYING_ORDER if key >> e & 1))
            order = spoken(lead_with_is(kept, says_is))
            if len(order) > MAX_SPOKEN:
                raise ValueError(f"{len(order)} clauses to say, at most {MAX_SPOKEN} fit")
            got = self._rows[key] = tuple(order + [N_SPOKEN] * (MAX_SPOKEN - len(order))) \
                + tuple(int(e in kept) for e in range(N_ENTRIES))
        return got
