import json

import numpy as np
import pytest

from dialog_env.metrics import per_turn_metrics, upgrade_per_turn
from dialog_env.protocol import load_protocol, make_protocol, save_protocol


def test_metrics_on_a_hand_computed_example():
    ranks = np.array([[5, 0, 0], [20, 3, 1], [60, 49, 9], [99, 99, 0]])
    m = per_turn_metrics(ranks, n_items=100, n_boot=200)
    pt = m["per_turn"]
    assert pt["recall@1"]["mean"] == [0.0, 0.25, 0.5]
    assert pt["recall@5"]["mean"] == [0.0, 0.5, 0.75]
    assert pt["recall@10"]["mean"] == [0.25, 0.5, 1.0]
    assert pt["recall@50"]["mean"] == [0.5, 0.75, 1.0]
    assert pt["mean_rank"]["mean"] == [46.0, 37.75, 2.5]
    assert pt["median_rank"] == {"median": [40.0, 26.0, 0.5]}
    assert pt["success"]["mean"] == [0.0, 0.25, 0.5]
    assert pt["rank_percentile"]["mean"][0] == pytest.approx(1 - 46.0 / 99)
    assert m["turns_to_success"] == {"mean": 1.5, "solved": 2}
    for key in ("recall@5", "rank_percentile", "success"):
        lo, mean, hi = (np.array(pt[key][x]) for x in ("lo", "mean", "hi"))
        assert (lo <= mean + 1e-12).all() and (mean <= hi + 1e-12).all()
    json.dumps(m)


def test_old_median_rank_layout_is_read_as_the_current_one():
    new = per_turn_metrics(np.array([[5, 0], [20, 3], [60, 49]]), n_items=100, n_boot=10)
    pt = new["per_turn"]
    old = {**pt, "median_rank": {"mean": pt["median_rank"]["median"]}}
    assert upgrade_per_turn(old) == pt
    assert old["median_rank"] == {"mean": [20.0, 3.0]}  # the input is left as it was
    assert upgrade_per_turn(pt) is pt
    # A per-turn dict that only looks similar (a CI series) is not touched.
    other = {"median_rank": {"mean": [1.0], "lo": [0.0], "hi": [2.0]}}
    assert upgrade_per_turn(other) is other


def test_success_persists_and_inputs_are_checked():
    m = per_turn_metrics(np.array([[3, 0, 0]]), 10, n_boot=10)
    assert m["per_turn"]["success"]["mean"] == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="ranks must lie"):
        per_turn_metrics(np.array([[3, 10]]), 10)
    with pytest.raises(ValueError, match="non-empty"):
        per_turn_metrics(np.zeros((0, 3)), 10)


def test_protocol_is_seeded_saved_and_validated(small_catalog, tmp_path):
    p = make_protocol(small_catalog, "test", 50, seed=1)
    assert p == make_protocol(small_catalog, "test", 50, seed=1)
    assert p != make_protocol(small_catalog, "test", 50, seed=2)
    test_items = set(small_catalog.indices("test").tolist())
    for t, c in p["pairs"]:
        assert t in test_items and t != c
        assert small_catalog.category[t] == small_catalog.category[c]
    path = save_protocol(p, tmp_path / "proto.json")
    assert load_protocol(path, small_catalog) == p
    p["pairs"][3] = [1, "x"]
    (tmp_path / "bad.json").write_text(json.dumps(p))
    with pytest.raises(ValueError, match=r"pairs\[3\]"):
        load_protocol(tmp_path / "bad.json")
    del p["seed"]
    (tmp_path / "bad2.json").write_text(json.dumps(p))
    with pytest.raises(ValueError, match="missing field 'seed'"):
        load_protocol(tmp_path / "bad2.json")
