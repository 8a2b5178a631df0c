import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialog_env.database import RetrievalDB


def reference_rank(items, q, t, exclude=()):
    s = items @ q
    ex = set(exclude) - {t}
    return sum(1 for j in range(len(items)) if j != t and j not in ex
               and (s[j] > s[t] or (s[j] == s[t] and j < t)))


def reference_topk(items, q, k, exclude=()):
    s = items @ q
    order = sorted((j for j in range(len(items)) if j not in set(exclude)),
                   key=lambda j: (-s[j], j))
    return order[:k]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 120), d=st.integers(1, 12), b=st.integers(1, 6),
       seed=st.integers(0, 10_000), quantise=st.booleans())
def test_rank_and_topk_match_brute_force(n, d, b, seed, quantise):
    rng = np.random.default_rng(seed)
    items = rng.normal(size=(n, d)).astype(np.float32)
    if quantise:  # many exact ties, as with multi-hot attribute features
        items = np.round(items).astype(np.float32)
    q = rng.normal(size=(b, d)).astype(np.float32)
    if quantise:
        q = np.round(q).astype(np.float32)
    t = rng.integers(0, n, size=b)
    exclude = [rng.choice(n, size=rng.integers(0, min(4, n)), replace=False).tolist()
               for _ in range(b)]
    k = int(rng.integers(1, n + 1))
    for kind in ("flat", "ivf", "hnsw"):
        db = RetrievalDB(items, index=kind, nlist=4, nprobe=4, ef_search=512)
        ranks, best = db.rank_and_best(q, t, exclude)
        ids, _ = db.topk(q, k, exclude)
        for r in range(b):
            assert ranks[r] == reference_rank(items, q[r], t[r], exclude[r])
            ref = reference_topk(items, q[r], k, exclude[r])
            assert ids[r, : len(ref)].tolist() == ref, kind
            assert best[r] == ref[0]


def test_cosine_metric_normalises():
    rng = np.random.default_rng(0)
    items = rng.normal(size=(50, 8)).astype(np.float32)
    q = rng.normal(size=(3, 8)).astype(np.float32)
    db = RetrievalDB(items * rng.uniform(0.1, 10, size=(50, 1)).astype(np.float32),
                     metric="cosine")
    norm = items / np.linalg.norm(items, axis=1, keepdims=True)
    t = np.array([1, 2, 3])
    expect = [reference_rank(norm, q[r] / np.linalg.norm(q[r]), t[r]) for r in range(3)]
    assert db.rank(q * 5, t).tolist() == expect


def test_rank_zero_means_topk_returns_target():
    rng = np.random.default_rng(1)
    items = rng.integers(0, 2, size=(200, 6)).astype(np.float32)  # heavy ties
    db = RetrievalDB(items)
    q = rng.integers(-1, 2, size=(64, 6)).astype(np.float32)
    ids, _ = db.topk(q, 1)
    assert (db.rank(q, ids[:, 0]) == 0).all()


def test_bad_inputs_are_rejected():
    db = RetrievalDB(np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match=r"shape \(B, 4\)"):
        db.rank(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="non-finite"):
        db.rank(np.array([[np.nan, 0, 0, 0]]), [0])
    with pytest.raises(ValueError, match="out of range"):
        db.rank(np.zeros((1, 4)), [7])
    with pytest.raises(ValueError, match="non-finite"):
        RetrievalDB(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="unknown index kind"):
        RetrievalDB(np.eye(3), index="lsh")


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_save_and_load_roundtrip(tmp_path, kind):
    rng = np.random.default_rng(2)
    items = rng.normal(size=(300, 16)).astype(np.float32)
    db = RetrievalDB(items, index=kind, nlist=8, nprobe=8)
    db.save(tmp_path / kind)
    back = RetrievalDB.load(tmp_path / kind)
    q = rng.normal(size=(5, 16)).astype(np.float32)
    t = rng.integers(0, 300, 5)
    assert np.array_equal(back.rank(q, t), db.rank(q, t))
    assert np.array_equal(back.topk(q, 7)[0], db.topk(q, 7)[0])
    assert back.kind == kind and back.index.ntotal == 300


def test_load_reports_missing_or_broken_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="db.json"):
        RetrievalDB.load(tmp_path)
    (tmp_path / "db.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed"):
        RetrievalDB.load(tmp_path)
