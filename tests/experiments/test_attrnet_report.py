"""experiments/attrnet_report.py: its recall and retrieval measures on hand-built cases
whose answers are known, and the script end to end on a tiny catalog and a tiny AttrNet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dialog_env.catalog.store import load_synthetic
from experiments.attrnet_report import (
    chance_recall,
    random_retrieval,
    relevance,
    retrieval,
    topk_recall,
)
from tests.experiments.test_scripts import run_script

# 400 items at 32px and an AttrNet trained for 6 epochs (~1 s of training on 2 CPU cores):
# its mean top-5 recall is about twice chance (0.6 vs 0.29).
TINY = ["--catalog.n-items", "400", "--catalog.seed", "7", "--catalog.image-size", "32",
        "--attrnet.dim", "32", "--attrnet.channels", "8", "16", "--attrnet.epochs", "6",
        "--attrnet.batch-size", "32", "--attrnet.lr", "3e-3", "--attrnet.seed", "1",
        "--attrnet.image-size", "32", "--pixels-dim", "32"]


def test_topk_recall_on_a_hand_built_example():
    truth = np.array([[1, 1, 0, 0],    # ranked 0, 2, 3, 1: true values at ranks 1 and 4
                      [0, 0, 0, 1],    # ranked 3, 2, 1, 0: its one true value first
                      [0, 0, 0, 0]],   # no value of the type: not averaged
                     dtype=bool)
    phi = np.array([[0.9, 0.1, 0.8, 0.2],
                    [0.1, 0.2, 0.3, 0.4],
                    [0.9, 0.9, 0.9, 0.9]])
    assert topk_recall(truth, phi, 1) == (pytest.approx((1 / 2 + 1) / 2), 2)
    assert topk_recall(truth, phi, 3) == (pytest.approx((1 / 2 + 1) / 2), 2)
    assert topk_recall(truth, phi, 4) == (pytest.approx(1.0), 2)
    assert topk_recall(truth[2:], phi[2:], 2) == (None, 0)


def test_chance_recall_is_what_random_scores_get():
    rng = np.random.default_rng(0)
    truth = rng.random((4000, 9)) < 0.3
    for k in (3, 5, 12):
        got, _ = topk_recall(truth, rng.random(truth.shape), k)
        assert got == pytest.approx(chance_recall(9, k), abs=0.02)


def test_retrieval_and_its_random_expectation():
    # Items 0 and 1 share their attributes; 2 and 3 share theirs; 4 is alone.
    attributes = np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1], [1, 0, 1]], dtype=bool)
    rel = relevance(attributes, np.zeros(5, dtype=int), 0.8)["exact"]
    assert rel.sum() == 4 and not rel.diagonal().any() and rel[0, 1] and rel[3, 2]
    # Query 0's nearest other item is 1 (rank 1); query 1's is 4, then 0 (rank 2).
    features = np.array([[1.0, 0.0], [0.9, 0.5], [0.0, 1.0], [-0.1, 1.0], [0.8, 0.7]])
    got = retrieval(features, rel, k=1)
    assert got["queries"] == 4
    assert got["recall@1"] == pytest.approx(3 / 4)
    assert got["mrr"] == pytest.approx((1 + 1 / 2 + 1 + 1) / 4)
    # Random ranking, one relevant item among n - 1 = 4 others: hit@1 = 1/4, mrr = H_4 / 4.
    expected = random_retrieval(rel, k=1)
    assert expected["recall@1"] == pytest.approx(1 / 4)
    assert expected["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    # ... and it is the mean over random rankings.
    rng = np.random.default_rng(1)
    sampled = [retrieval(rng.normal(size=(5, 3)), rel, k=1)["mrr"] for _ in range(3000)]
    assert np.mean(sampled) == pytest.approx(expected["mrr"], abs=0.02)


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: this tiny net trains ~10x slower with two threads when the
    2-core machine is busy with another process (thread oversubscription)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_report_on_a_tiny_catalog(tmp_path, one_torch_thread):
    run_script("attrnet_report", *TINY, "--out", str(tmp_path), "--quiet")
    report = json.loads((tmp_path / "report.json").read_text())
    types = list(dict.fromkeys(load_synthetic(400, 7, image_size=32, render=False,
                                              progress=False).vocab.types))
    assert report["types"] == types and sorted(report["attribute_recall"]) == sorted(types)
    for t, row in report["attribute_recall"].items():
        assert 0.0 <= row["top3"] <= row["top5"] <= 1.0, t
        assert row["chance5"] == pytest.approx(min(5, row["values"]) / row["values"])
    mean = np.mean([r["top5"] for r in report["attribute_recall"].values()])
    chance = np.mean([r["chance5"] for r in report["attribute_recall"].values()])
    assert mean > chance + 0.1, (mean, chance)
    assert report["training"]["trained"] and report["training"]["train_seconds"] > 0
    assert report["attrnet"]["epochs"] == 6 and report["catalog"]["n_items"] == 400
    for name, levels in report["retrieval"].items():
        for level in ("exact", "near"):
            r = levels[level]
            assert r["recall@10"] is None or 0.0 <= r["recall@10"] <= 1.0, name
    table = (tmp_path / "table.md").read_text()
    assert "| | " + " | ".join(types) + " |" in table
    assert "Fashion IQ" in table and "| AttrNet x |" in table

    # A second run loads the cached net and keeps the recorded training time.
    run_script("attrnet_report", *TINY, "--out", str(tmp_path), "--quiet")
    again = json.loads((tmp_path / "report.json").read_text())
    assert not again["training"]["trained"]
    assert again["training"]["train_seconds"] == report["training"]["train_seconds"]
    assert again["attribute_recall"] == report["attribute_recall"]


def test_update_readme_names_the_script_of_a_missing_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text(
        "<!-- BEGIN GENERATED: results/attrnet/table.md -->\nold\n<!-- END GENERATED -->\n")
    with pytest.raises(FileNotFoundError, match="experiments.attrnet_report"):
        run_script("update_readme")
