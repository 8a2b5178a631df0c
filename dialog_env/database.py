"""`RetrievalDB`: rank a catalog's items for query vectors.

Scores are inner products `<q, x_i>` (or cosine similarities with `metric="cosine"`).
Ranks are exact (and independent of how queries are batched) and 0-based: the rank of
target `t` under query `q` is the number of non-excluded items `j != t` with `s_j > s_t`,
plus those with `s_j == s_t` and `j < t`
(ties are broken by item index, the same order `topk` and `best` use, so rank 0 means
"`t` is the item `topk(q, 1)` returns").

Queries: any finite real vector (ints or floats of any width). Ranking is invariant to
the query's scale, so each query is first scaled by a power of two -- exactly, no rounding
-- until its largest component lies in [0.5, 1), then converted to float32
(`dialog_env.queries.scale_queries`). Ranks and best items therefore depend only on the
query's direction: `3e38 * q`, `1e-30 * q` and `q` rank alike, and huge queries neither
overflow nor take the slow exact path. The zero query ties every item, so ties by index
decide: the target's rank is the number of non-excluded items with a smaller index.
Non-finite queries raise `ValueError` naming the row; arrays of complex, bool, string or
object dtype raise `TypeError` naming the dtype. A score that is not finite (possible only
with items near the float32 limit) raises `ValueError` naming the query row.

Index kinds for `topk`: `flat` (exact, default), `ivf` and `hnsw` (faiss, approximate,
for large catalogs). Candidates from approximate indexes are re-scored exactly; rows that
come back short of `k` after exclusion fall back to the exact search. `rank` is always exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np

from dialog_env.cache import atomic_save_npy, atomic_write, atomic_write_json, load_npy
from dialog_env.checks import as_int
from dialog_env.queries import Exclude, normalise_exclude, real_array, scale_queries

METRICS = ("ip", "cosine")
INDEX_KINDS = ("flat", "ivf", "hnsw")
# Rounding errors of float32 dot products computed by blocked FMA kernels grow like
# sqrt(D) * u * |q| * |x| (u = 2^-24); the worst case D * u is never approached in practice
# (the largest error measured against float64 on 10k and 100k x 256 items, random and
# oracle-like queries, was 0.057 sqrt(D) u |q| max|x|: two float32 evaluations differ by
# at most ~0.11 of it, 4.4x below this margin).
# Comparisons closer than this margin are decided in float64 instead.
ROUNDING_MARGIN = 0.5
# Largest (queries x items) block of float32 scores held at once.
BLOCK_ELEMENTS = 1 << 26

# Scores of normalised queries (|q_i| < 1) are bounded by sqrt(D) * max|x|; below this bound
# no float32 score can overflow, above it every score block is checked.
SAFE_SCORE = float(np.finfo(np.float32).max) / 4


def _max_norm(items: np.ndarray) -> float:
    """Largest row norm (in float64 when the float32 squares overflow)."""
    with np.errstate(over="ignore"):
        norm = float(np.linalg.norm(items, axis=1).max())
    if not np.isfinite(norm):
        norm = float(np.linalg.norm(items.astype(np.float64), axis=1).max())
    return norm


def _count(mask: np.ndarray) -> np.ndarray:
    """Per-row count of True in a 2-D bool array: uint16 sums over column chunks of fewer
    than 65,536 (several times faster than count_nonzero(axis=1))."""
    u8 = mask.view(np.uint8)
    out = np.zeros(mask.shape[0], dtype=np.int64)
    for lo in range(0, mask.shape[1], 65535):
        out += u8[:, lo:lo + 65535].sum(1, dtype=np.uint16)
    return out


def _check_settings(items, metric, index, where: str) -> np.ndarray:
    """The checks a database's items and settings must pass, whether built or loaded."""
    items = real_array(items, f"{where}: items")
    if items.ndim != 2 or items.shape[0] == 0 or items.shape[1] == 0:
        raise ValueError(f"{where}: items must be a non-empty (N, D) matrix, "
                         f"got shape {items.shape}")
    if not np.isfinite(items).all():
        bad = np.flatnonzero(~np.isfinite(items).all(1))[:5].tolist()
        raise ValueError(f"{where}: items contain non-finite values (rows {bad})")
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}; expected {METRICS}")
    if index not in INDEX_KINDS:
        raise ValueError(f"{where}: unknown index kind {index!r}; expected {INDEX_KINDS}")
    return items


class RetrievalDB:
    """Exact ranking and top-k search over an `(N, D)` float32 item matrix."""

    def __init__(self, items: np.ndarray, metric: str = "ip", index: str = "flat",
                 nlist: int | None = None, nprobe: int = 16, hnsw_m: int = 32,
                 ef_search: int = 128, seed: int = 0):
        items = _check_settings(items, metric, index, "RetrievalDB")
        nlist = None if nlist is None else as_int(nlist, "RetrievalDB: nlist", lo=1)
        nprobe = as_int(nprobe, "RetrievalDB: nprobe", lo=1)
        hnsw_m = as_int(hnsw_m, "RetrievalDB: hnsw_m", lo=2)
        ef_search = as_int(ef_search, "RetrievalDB: ef_search", lo=1)
        seed = as_int(seed, "RetrievalDB: seed")
        items = np.ascontiguousarray(items, dtype=np.float32)
        if metric == "cosine":
            items = items / np.maximum(np.linalg.norm(items, axis=1, keepdims=True), 1e-12)
        self.params = {"nlist": nlist, "nprobe": nprobe, "hnsw_m": hnsw_m,
                       "ef_search": ef_search, "seed": seed}
        self._set(items, metric, index)
        self.index = self._build_index()

    def _set(self, items: np.ndarray, metric: str, kind: str) -> None:
        self.items, self.metric, self.kind = items, metric, kind
        self._max_norm = _max_norm(items)
        self._check_scores = np.sqrt(self.dim) * self._max_norm > SAFE_SCORE

    # ------------------------------------------------------------------ construction
    @property
    def n(self) -> int:
        return self.items.shape[0]

    @property
    def dim(self) -> int:
        return self.items.shape[1]

    def _build_index(self) -> faiss.Index:
        d, p = self.dim, self.params
        if self.kind == "flat":
            index = faiss.IndexFlatIP(d)
        elif self.kind == "ivf":
            nlist = p["nlist"] or max(1, min(4096, int(4 * np.sqrt(self.n))))
            nlist = min(nlist, self.n)
            p["nlist"] = nlist
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist,
                                       faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = p["seed"]
            index.cp.min_points_per_centroid = 1  # small catalogs: no "too few points" noise
            index.train(self.items)
            index.nprobe = min(p["nprobe"], nlist)
        else:
            index = faiss.IndexHNSWFlat(d, p["hnsw_m"], faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = p["ef_search"]
        index.add(self.items)
        return index

    # ------------------------------------------------------------------ queries
    def _check_queries(self, queries: np.ndarray) -> np.ndarray:
        """Validated queries as float32, scaled by `scale_queries`."""
        q = real_array(queries, "queries")
        if q.ndim == 1:
            q = q[None]
        if q.ndim != 2 or q.shape[1] != self.dim:
            raise ValueError(f"queries must have shape (B, {self.dim}), got {np.shape(queries)}")
        if not np.isfinite(q).all():
            bad = np.flatnonzero(~np.isfinite(q).all(1))[:5].tolist()
            raise ValueError(f"queries contain non-finite values (rows {bad})")
        return scale_queries(q)

    def _metric_queries(self, q: np.ndarray) -> np.ndarray:
        """Scaled float32 queries (`scale_queries`) as this database scores them: to unit
        norm for cosine, contiguous."""
        if self.metric == "cosine":
            q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(q)

    def _finite_scores(self, s: np.ndarray, first_row: int) -> None:
        """Raise if a score overflowed (only possible for items near the float32 limit)."""
        if self._check_scores and not np.isfinite(s).all():
            rows = (np.flatnonzero(~np.isfinite(np.atleast_2d(s)).all(1)) + first_row)
            raise ValueError(f"scores of query rows {rows[:5].tolist()} are not finite: the "
                             f"items (max norm {self._max_norm:.3g}) are too large for float32 "
                             f"scores; rescale them")

    def _check_targets(self, targets, b: int) -> np.ndarray:
        t = np.asarray(targets)
        if t.size and t.dtype.kind not in "iu":
            raise TypeError(f"targets must be integer item indices, got dtype {t.dtype}")
        t = t.astype(np.int64).reshape(-1)
        if t.shape != (b,):
            raise ValueError(f"targets must have shape ({b},), got {np.shape(targets)}")
        if b and (t.min() < 0 or t.max() >= self.n):
            raise ValueError(f"target indices out of range 0..{self.n - 1}: "
                             f"{t[(t < 0) | (t >= self.n)][:5].tolist()}")
        return t

    def rank_and_best(self, queries: np.ndarray, targets, exclude: Exclude = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Exact rank of each query's target among non-excluded items, and the best
        non-excluded item per query (the item the environment shows next; -1 when every
        item is excluded). Queries are normalised first (`scale_queries`), so both depend
        only on each query's direction; the zero query ties all items (ranked by index)."""
        q = self._check_queries(queries)
        t = self._check_targets(targets, q.shape[0])
        return self._rank_and_best_checked(q, t, exclude)

    def _rank_and_best_checked(self, queries: np.ndarray, targets: np.ndarray,
                               exclude: Exclude = None, best: bool = True
                               ) -> tuple[np.ndarray, np.ndarray]:
        """`rank_and_best` of queries and targets checked already: the batched core's entry
        (the core checks each action once, where it comes in). Neither is checked here:
        `queries` are finite `(B, D)` float32 rows scaled by `scale_queries`, `targets` are
        `(B,)` int64 item indices in range; `exclude` as `rank_and_best` takes it. With
        `best=False` the best items are not computed (all -1; the ranks are the same)."""
        q, t = self._metric_queries(queries), targets
        b = q.shape[0]
        ex = normalise_exclude(exclude, b)
        ranks = np.zeros(b, dtype=np.int64)
        top = np.full(b, -1, dtype=np.int64)
        rows_per_block = max(1, BLOCK_ELEMENTS // self.n)
        for lo in range(0, b, rows_per_block):
            hi = min(b, lo + rows_per_block)
            r, bb = self._rank_block(q[lo:hi], t[lo:hi], ex[lo:hi], lo, best)
            ranks[lo:hi], top[lo:hi] = r, bb
        return ranks, top

    def _exact_pairs(self, q: np.ndarray, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Scores of items `ids` for queries `q[rows]` in float64 (products of float32
        values are exact in float64; the sums agree far below float32 resolution)."""
        return np.einsum("ij,ij->i", self.items[ids].astype(np.float64),
                         q[rows].astype(np.float64))

    def _rank_block(self, q: np.ndarray, t: np.ndarray, ex: np.ndarray, first_row: int = 0,
                    with_best: bool = True):
        """Ranks and best items (all -1 unless `with_best`) for a block of queries.

        The float32 GEMM decides every comparison whose margin exceeds
        `ROUNDING_MARGIN * sqrt(D) * u * |q| * max|x|`; closer calls are re-decided in
        float64. BLAS picks different kernels (and summation orders) for different batch
        shapes, so this is what makes a dialog's ranks the same alone and in a batch.
        Zero queries score every item exactly 0: their ties are decided by index here."""
        with np.errstate(over="ignore"):  # possible only if _check_scores, then checked
            s = q @ self.items.T  # (b, N)
        self._finite_scores(s, first_row)
        b = len(t)
        zero = ~q.any(axis=1)
        rows = np.arange(b)
        st = s[rows, t].copy()
        tol = (ROUNDING_MARGIN * np.sqrt(self.dim) * 2.0 ** -24
               * np.linalg.norm(q, axis=1) * self._max_norm).astype(np.float32)
        tol = np.maximum(tol, np.float32(1e-30))[:, None]
        target_excluded = np.zeros(b, dtype=bool)
        if ex.shape[1]:
            er, ec = np.nonzero(ex >= 0)
            cols = ex[er, ec]
            is_t = cols == t[er]  # a target is never excluded from its own ranking
            s[er[~is_t], cols[~is_t]] = -np.inf
            target_excluded[er[is_t]] = True
        lo, hi = st[:, None] - tol, st[:, None] + tol
        ranks = _count(s > hi)
        # Close calls (within the error bound of the target's score): decide exactly, only
        # on the rows that have another item in [st - tol, st + tol].
        need = np.flatnonzero((_count(s >= lo) - ranks > 1) & ~zero)
        if zero.any():  # all scores are exactly 0 (or -inf if excluded): ties by index
            z = np.flatnonzero(zero)
            ranks[z] = _count((s[z] == 0) & (np.arange(self.n) < t[z, None]))
        if len(need):
            close = [np.flatnonzero((s[r] >= lo[r, 0]) & (s[r] <= hi[r, 0])) for r in need]
            cr = np.repeat(need, [len(c) for c in close])
            ci = np.concatenate(close)
            other = ci != t[cr]
            cr, ci = cr[other], ci[other]
            exact = self._exact_pairs(q, cr, ci)
            et = np.zeros(b)
            et[need] = self._exact_pairs(q, need, t[need])
            above = (exact > et[cr]) | ((exact == et[cr]) & (ci < t[cr]))
            ranks += np.bincount(cr[above], minlength=b)
        if not with_best:
            return ranks.astype(np.int64), np.full(b, -1, dtype=np.int64)
        if target_excluded.any():
            s[rows[target_excluded], t[target_excluded]] = -np.inf
        best = np.argmax(s, axis=1)
        top = s[rows, best].copy()
        # Is the runner-up within the error bound of the best? Then decide exactly.
        s[rows, best] = -np.inf
        second = s[rows, np.argmax(s, axis=1)]
        s[rows, best] = top
        need = np.flatnonzero(np.isfinite(top) & (second >= top - tol[:, 0]) & ~zero)
        if len(need):
            near = [np.flatnonzero(s[r] >= top[r] - tol[r, 0]) for r in need]
            nr = np.repeat(need, [len(c) for c in near])
            ni = np.concatenate(near)
            exact = self._exact_pairs(q, nr, ni)
            order = np.lexsort((ni, -exact, nr))  # per row: highest exact score, lowest id
            first = np.ones(len(order), dtype=bool)
            first[1:] = nr[order][1:] != nr[order][:-1]
            best[nr[order][first]] = ni[order][first]
        best[~np.isfinite(top)] = -1  # everything excluded
        return ranks.astype(np.int64), best.astype(np.int64)

    def rank(self, queries: np.ndarray, targets, exclude: Exclude = None) -> np.ndarray:
        """Exact 0-based rank of each query's target (see the module docstring); depends
        only on each query's direction (queries are normalised, `scale_queries`)."""
        return self.rank_and_best(queries, targets, exclude)[0]

    def _row_scores(self, q_row: np.ndarray, excluded: set[int], row: int) -> np.ndarray:
        """Exact scores of one query over all items, excluded items at -inf."""
        with np.errstate(over="ignore"):
            scores = q_row @ self.items.T
        self._finite_scores(scores[None], row)
        if excluded:
            scores[list(excluded)] = -np.inf
        return scores

    def topk(self, queries: np.ndarray, k: int, exclude: Exclude = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best non-excluded items per query, best first (ties by index):
        `(ids, scores)`, each `(B, k)`; rows with fewer items are padded with -1 / -inf.
        Queries are normalised first (`scale_queries`; unit norm for cosine), so the ids
        depend only on each query's direction and the scores are those of the normalised
        query (inner products `2^-e <q, x_i>` with `2^e` the power of two above max|q|, or
        cosine similarities)."""
        q = self._metric_queries(self._check_queries(queries))
        b = q.shape[0]
        k = as_int(k, "k", lo=1)
        ex = normalise_exclude(exclude, b)
        # One extra candidate tells whether the k-th place is tied (then: exact search).
        width = min(self.n, k + ex.shape[1] + 1)
        if self.kind == "flat":
            cand = None
        else:
            _, cand = self.index.search(q, width)
        ids = np.full((b, k), -1, dtype=np.int64)
        out = np.full((b, k), -np.inf, dtype=np.float32)
        for r in range(b):
            excluded = set(ex[r][ex[r] >= 0].tolist())
            if cand is not None:
                c = np.array([i for i in cand[r] if i >= 0 and i not in excluded], dtype=np.int64)
                if len(c) < min(k, self.n - len(excluded)):
                    c = None  # approximate search came back short: exact fallback
            else:
                c = None
            if c is None:
                row_scores = self._row_scores(q[r], excluded, r)
                m = min(k, self.n)
                c = np.argpartition(-row_scores, m - 1)[:m] if m < self.n else np.arange(self.n)
                c = c[np.isfinite(row_scores[c])]
                # Include every item tied with the k-th score so index tie-breaking is exact.
                if len(c):
                    kth = row_scores[c].min()
                    c = np.flatnonzero(row_scores >= kth)
                sc = row_scores[c]
            else:
                sc = self.items[c] @ q[r]
                order = np.lexsort((c, -sc))
                c, sc = c[order], sc[order]
                if len(c) > k and sc[k - 1] == sc[k]:  # tie straddles the cut: be exact
                    row_scores = self._row_scores(q[r], excluded, r)
                    c = np.flatnonzero(row_scores >= sc[k - 1])
                    sc = row_scores[c]
            order = np.lexsort((c, -sc))[:k]
            ids[r, : len(order)] = c[order]
            out[r, : len(order)] = sc[order]
        return ids, out

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write items, the faiss index and the settings to `folder` (atomically per file)."""
        folder = Path(folder)
        atomic_save_npy(folder / "items.npy", self.items)
        atomic_write(folder / "index.faiss", lambda p: faiss.write_index(self.index, str(p)))
        atomic_write_json(folder / "db.json", {"metric": self.metric, "index": self.kind,
                                               "params": self.params, "n": self.n,
                                               "dim": self.dim})
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> RetrievalDB:
        """The database `save` wrote to `folder`, checked like a newly built one."""
        folder = Path(folder)
        meta_file = folder / "db.json"
        if not meta_file.exists():
            raise FileNotFoundError(f"{meta_file}: no saved RetrievalDB here")
        try:
            meta = json.loads(meta_file.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{meta_file}: malformed RetrievalDB settings ({e})") from e
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_file}: malformed RetrievalDB settings (not an object)")
        for key, kind in (("metric", str), ("index", str), ("params", dict), ("n", int),
                          ("dim", int)):
            if key not in meta:
                raise ValueError(f"{meta_file}: malformed RetrievalDB settings (field "
                                 f"{key!r} missing)")
            if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
                raise ValueError(f"{meta_file}: malformed RetrievalDB settings (field "
                                 f"{key!r} = {meta[key]!r} is not a {kind.__name__})")
        items_file = folder / "items.npy"
        items = _check_settings(load_npy(items_file), meta["metric"], meta["index"],
                                str(items_file))
        if items.shape != (meta["n"], meta["dim"]) or items.dtype != np.float32:
            raise ValueError(f"{items_file}: {items.dtype} items of shape {items.shape} do "
                             f"not match db.json (float32, ({meta['n']}, {meta['dim']}))")
        db = cls.__new__(cls)
        db.params = meta["params"]
        db._set(items, meta["metric"], meta["index"])
        index = faiss.read_index(str(folder / "index.faiss"))
        if index.ntotal != items.shape[0] or index.d != items.shape[1]:
            raise ValueError(f"{folder / 'index.faiss'}: index holds {index.ntotal}x{index.d}, "
                             f"items are {items.shape}")
        db.index = index
        return db
