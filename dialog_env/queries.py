"""What `RetrievalDB` accepts as queries and exclusions, and how a query is normalised
before it is ranked (ranking depends only on a query's direction)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Exclude = np.ndarray | Sequence[Sequence[int]] | None


def real_array(x, what: str) -> np.ndarray:
    """`x` as an array of real numbers (signed/unsigned ints or floats). Other dtypes
    (bool, complex, string, object) raise `TypeError` naming the dtype; ragged nested
    sequences raise `ValueError`."""
    try:
        a = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{what} is not a rectangular array of numbers ({e})") from e
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{what} must hold real numbers (ints or floats), got dtype {a.dtype}")
    return a


def scale_queries(q: np.ndarray) -> np.ndarray:
    """Finite real `(B, D)` queries as float32, each row multiplied by the power of two that
    puts its largest |component| in [0.5, 1) (exact: only the exponents change; zero rows
    stay zero). Float32 queries keep their bits up to that exponent shift, so their scores
    are the same up to the same power of two and their ranks are unchanged."""
    if q.dtype.kind != "f":
        q = q.astype(np.float64)
    _, e = np.frexp(np.abs(q).max(axis=1))  # max|q| = m * 2^e with m in [0.5, 1)
    return np.ascontiguousarray(np.ldexp(q, -e[:, None]), dtype=np.float32)


def finite_queries(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The queries `q[rows]` of a real `(B, D)` array, checked finite and scaled
    (`scale_queries`): `(len(rows), D)` float32, as the batched core hands them to the
    database. A non-finite query raises `ValueError` naming its dialog and dimensions."""
    q = q[rows]
    bad = np.flatnonzero(~np.isfinite(q).all(1))
    if len(bad):
        cols = np.flatnonzero(~np.isfinite(q[bad[0]]))[:5].tolist()
        raise ValueError(f"action contains non-finite values (dialog {int(rows[bad[0]])}, "
                         f"dimensions {cols}); queries must be finite")
    return scale_queries(q)


def normalise_exclude(exclude: Exclude, n_queries: int) -> np.ndarray:
    """Exclusions as a `(B, E)` int64 array padded with -1."""
    if exclude is None:
        return np.full((n_queries, 0), -1, dtype=np.int64)
    if isinstance(exclude, np.ndarray) and exclude.ndim == 2:
        if exclude.shape[0] != n_queries:
            raise ValueError(f"exclude has {exclude.shape[0]} rows for {n_queries} queries")
        return exclude.astype(np.int64, copy=False)
    rows = list(exclude)
    if len(rows) != n_queries:
        raise ValueError(f"exclude has {len(rows)} rows for {n_queries} queries")
    width = max((len(r) for r in rows), default=0)
    out = np.full((n_queries, width), -1, dtype=np.int64)
    for b, r in enumerate(rows):
        out[b, : len(r)] = np.asarray(r, dtype=np.int64)
    return out
