"""RetrievalDB inputs at and beyond their limits: query scale (ranking depends only on
the direction), overflowing scores, dtypes, and what `load` checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dialog_env.cache import atomic_save_npy
from dialog_env.database import RetrievalDB


def test_huge_and_tiny_queries_rank_like_their_direction(fake_world):
    db = fake_world.db
    rng = np.random.default_rng(0)
    q = rng.uniform(-1, 1, (40, fake_world.dim)).astype(np.float32)
    t = rng.integers(0, fake_world.n_items, 40)
    ex = rng.integers(0, fake_world.n_items, (40, 5))
    ranks, best = db.rank_and_best(q, t, ex)
    for scale in (3e38, 1e30, 1e-30):
        big = (q.astype(np.float64) * scale).astype(np.float32)
        assert np.isfinite(big).all()
        r, b = db.rank_and_best(big, t, ex)
        assert np.array_equal(r, ranks) and np.array_equal(b, best), scale
        assert np.array_equal(db.topk(big, 5, ex)[0], db.topk(q, 5, ex)[0])
    # A float64 query beyond the float32 range is accepted too (ranked by direction).
    assert np.array_equal(db.rank(q.astype(np.float64) * 1e300, t, ex), ranks)


def test_huge_queries_take_the_exact_path_no_more_often(fake_world, monkeypatch):
    pairs = []
    exact = RetrievalDB._exact_pairs

    def counting(self, q, rows, ids):
        pairs.append(len(rows))
        return exact(self, q, rows, ids)

    monkeypatch.setattr(RetrievalDB, "_exact_pairs", counting)
    rng = np.random.default_rng(1)
    q = rng.uniform(-1, 1, (64, fake_world.dim)).astype(np.float32)
    t = rng.integers(0, fake_world.n_items, 64)
    counts = {}
    for scale in (1.0, 1e30, 3e38):
        pairs.clear()
        fake_world.db.rank_and_best((q * np.float32(scale)).astype(np.float32), t)
        counts[scale] = sum(pairs)
    assert counts[1e30] <= counts[1.0] and counts[3e38] <= counts[1.0]


def test_overflowing_scores_raise_naming_the_query_row():
    db = RetrievalDB(np.array([[3e38, 3e38, 3e38], [1.0, 2.0, 3.0]], np.float32))
    with pytest.raises(ValueError, match=r"query rows \[1\] are not finite"):
        db.rank(np.array([[1.0, 0, 0], [1.0, 1.0, 1.0]]), [1, 1])
    with pytest.raises(ValueError, match=r"query rows \[0\] are not finite"):
        db.topk(np.array([[1.0, 1.0, 1.0]]), 1)


def _saved_db(tmp_path, items=None):
    items = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32) \
        if items is None else items
    RetrievalDB(np.abs(items) + 1).save(tmp_path)
    return tmp_path / "db.json"


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.pop("n"), "db.json: malformed RetrievalDB settings .field 'n' missing"),
    (lambda m: m.update(metric="l2"), "unknown metric 'l2'"),
    (lambda m: m.update(index="lsh"), "unknown index kind 'lsh'"),
    (lambda m: m.update(dim="4"), "field 'dim' = '4' is not a int"),
])
def test_load_checks_what_the_constructor_checks(tmp_path, edit, match):
    meta_file = _saved_db(tmp_path)
    meta = json.loads(meta_file.read_text())
    edit(meta)
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=match):
        RetrievalDB.load(tmp_path)


def test_load_rejects_non_finite_items(tmp_path):
    _saved_db(tmp_path)
    items = np.ones((20, 4), np.float32)
    items[7, 2] = np.inf
    atomic_save_npy(tmp_path / "items.npy", items)
    with pytest.raises(ValueError, match=r"items.npy: items contain non-finite values .rows \[7\]"):
        RetrievalDB.load(tmp_path)


def test_database_settings_and_inputs_are_checked():
    items = np.eye(4, dtype=np.float32)
    with pytest.raises(ValueError, match="nprobe must be >= 1, got 0"):
        RetrievalDB(items, nprobe=0)
    with pytest.raises(TypeError, match="items must hold real numbers.*dtype complex128"):
        RetrievalDB(items.astype(complex))
    db = RetrievalDB(items)
    with pytest.raises(TypeError, match="queries must hold real numbers.*dtype bool"):
        db.rank(items.astype(bool), [0, 1, 2, 3])
    with pytest.raises(TypeError, match="targets must be integer item indices, got dtype"):
        db.rank(items, [0.5, 1, 2, 3])
    with pytest.raises(TypeError, match="k must be an integer, got float 2.5"):
        db.topk(items, 2.5)
