"""Every script in experiments/ runs end to end (CleanRL-style smoke tests): each test
runs the module as `python -m experiments.<name> ...` would, in-process, with a tiny
budget on a small catalog, and checks what it wrote."""

from __future__ import annotations

import json
import runpy
import sys

import pytest

# A small environment: 300 items, 16px images, 8-d pixel features.
SMALL = ["--env.catalog.n-items", "300", "--env.catalog.image-size", "16",
         "--env.items.visual-dim", "8"]


def run_script(name: str, *argv: str) -> None:
    old = sys.argv
    sys.argv = [f"experiments/{name}.py", *argv]
    sys.modules.pop(f"experiments.{name}", None)  # run it fresh, as `python -m` would
    try:
        runpy.run_module(f"experiments.{name}", run_name="__main__", alter_sys=True)
    finally:
        sys.argv = old


def test_evaluate_records_the_whole_configuration(tmp_path):
    run_script("evaluate", "--agent", "anchor", "--episodes", "12", "--seeds", "0",
               *SMALL, "--env.shopper.template.wrong-rate", "0.1",
               "--env.items.attribute-weight", "0.5", "--out", str(tmp_path), "--quiet")
    res = json.loads((tmp_path / "anchor.json").read_text())
    env = res["env"]
    assert env["shopper"]["template"]["wrong_rate"] == 0.1
    assert env["items"]["attribute_weight"] == 0.5 and env["catalog"]["n_items"] == 300
    assert env["episode"]["split"] == "test" and res["world"]["items"] == 300
    assert len(res["metrics"]["per_turn"]["recall@10"]["mean"]) == 11


def test_plot_draws_result_files(tmp_path):
    run_script("evaluate", "--agent", "random", "--episodes", "8", "--seeds", "0", *SMALL,
               "--out", str(tmp_path), "--quiet")
    out = tmp_path / "fig.png"
    run_script("plot", str(tmp_path / "random.json"), "--out", str(out), "--k", "5")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_runs_with_a_tiny_budget(tmp_path):
    run_script("demo", *SMALL, "--episodes", "10", "--seeds", "0", "--agents", "st-avg",
               "--train-steps", "2", "--batch", "8", "--out", str(tmp_path / "demo"),
               "--runs", str(tmp_path / "runs"), "--quiet")
    summary = (tmp_path / "demo" / "summary.md").read_text()
    assert "st-avg" in summary and "oracle-attributes" in summary
    assert (tmp_path / "demo" / "recall_vs_turn.png").exists()
    assert (tmp_path / "runs" / "st-avg" / "final" / "model.safetensors").exists()


def test_bench_catalog_runs_and_restores_the_cache(tmp_path):
    import os

    before = os.environ.get("FASHION_DIALOG_CACHE")
    run_script("bench_catalog", "--base-items", "300", "--sizes", "300", "--out",
               str(tmp_path))
    assert os.environ.get("FASHION_DIALOG_CACHE") == before
    text = (tmp_path / "bench_catalog.md").read_text()
    assert "| 300 items | attributes + 64px images |" in text and "| 300 items |" in text


def test_bench_env_writes_its_table(tmp_path):
    run_script("bench_env", "--sizes", "300", "--dim", "160", "--batch", "8", "--seconds",
               "0.02", "--repeats", "1", "--out", str(tmp_path))
    data = json.loads((tmp_path / "bench_env.json").read_text())
    r = data["results"]["300"]
    assert r["batched"] > 0 and r["vector_other"] > 0
    lo, hi = r["vector_over_vector_other_range"]
    assert 0 < lo <= r["vector_over_vector_other"] <= hi
    table = (tmp_path / "bench_env.md").read_text()
    assert "| 300 |" in table and "| real / template |" in table


def test_update_readme_pastes_generated_blocks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "table.md").write_text("| a |\n|---|\n| 1 |\n")
    (tmp_path / "README.md").write_text(
        "intro\n<!-- BEGIN GENERATED: table.md -->\nstale\n<!-- END GENERATED -->\nend\n")
    run_script("update_readme")
    assert (tmp_path / "README.md").read_text() == (
        "intro\n<!-- BEGIN GENERATED: table.md -->\n| a |\n|---|\n| 1 |\n"
        "<!-- END GENERATED -->\nend\n")
    (tmp_path / "table.md").unlink()
    with pytest.raises(FileNotFoundError, match="table.md"):
        run_script("update_readme")


def test_update_readme_fills_the_docs_pages_too(tmp_path, monkeypatch):
    """README.md and every docs/*.md page are filled; pages in folders under docs/ (such as
    docs/_pending/) are not; --only refreshes one table wherever its block is."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs" / "_pending").mkdir(parents=True)
    (tmp_path / "a.md").write_text("A1\n")
    (tmp_path / "b.md").write_text("B1\n")
    block = "<!-- BEGIN GENERATED: {} -->\nstale\n<!-- END GENERATED -->\n"
    readme, page = tmp_path / "README.md", tmp_path / "docs" / "results.md"
    pending = tmp_path / "docs" / "_pending" / "new.md"
    readme.write_text("intro\n" + block.format("a.md"))
    page.write_text("# Results\n" + block.format("b.md") + "text\n" + block.format("a.md"))
    pending.write_text(block.format("a.md"))
    run_script("update_readme")
    filled = "<!-- BEGIN GENERATED: {} -->\n{}\n<!-- END GENERATED -->\n"
    assert readme.read_text() == "intro\n" + filled.format("a.md", "A1")
    assert page.read_text() == ("# Results\n" + filled.format("b.md", "B1") + "text\n"
                                + filled.format("a.md", "A1"))
    assert pending.read_text() == block.format("a.md")

    # One table, in the docs page only: the other blocks keep what they had.
    (tmp_path / "a.md").write_text("A2\n")
    (tmp_path / "b.md").write_text("B2\n")
    run_script("update_readme", "--only", "b.md")
    assert readme.read_text() == "intro\n" + filled.format("a.md", "A1")
    assert page.read_text() == ("# Results\n" + filled.format("b.md", "B2") + "text\n"
                                + filled.format("a.md", "A1"))
    from experiments.update_readme import update  # what a script that wrote a.md calls
    assert update(only=["a.md"]) == ["a.md", "a.md"]
    assert "A2" in readme.read_text() and page.read_text().count("A2") == 1
    with pytest.raises(ValueError, match="no generated block for c.md"):
        update(only=["c.md"])

    # A missing file in a docs page leaves every page as it was.
    (tmp_path / "a.md").write_text("A3\n")
    page.write_text(page.read_text() + block.format("results/attrnet/table.md"))
    before = page.read_text()
    with pytest.raises(FileNotFoundError, match="docs/results.md block needs .*attrnet_report"):
        run_script("update_readme")
    assert "A3" not in readme.read_text() and page.read_text() == before


def test_train_records_the_whole_configuration(tmp_path):
    out = tmp_path / "run"
    run_script("train", "--agent", "st-avg", "--steps", "2", "--batch", "8",
               "--checkpoint-every", "1", "--eval-episodes", "8", "--eval-seeds", "0", *SMALL,
               "--env.shopper.template.wrong-rate", "0.1", "--env.episode.max-turns", "3",
               "--out", str(out), "--quiet")
    result = json.loads((out / "train_result.json").read_text())
    assert result["env"]["shopper"]["template"]["wrong_rate"] == 0.1
    assert result["env"]["episode"] == {**result["env"]["episode"], "split": "train",
                                        "max_turns": 3}
    args = json.loads((out / "args.json").read_text())
    assert args["env"]["catalog"]["n_items"] == 300
    ev = json.loads((out / "eval" / "st-avg.json").read_text())
    assert ev["env"]["episode"]["split"] == "test"
    assert len(ev["metrics"]["per_turn"]["recall@10"]["mean"]) == 4


def test_suite_runs_with_a_tiny_budget(tmp_path):
    run_script("suite", "--agents", "st-avg", "--reference", "random", "--seeds", "0",
               "--steps", "2", "--batch", "8", "--episodes", "8", "--memories", "1",
               "--memory-sizes", "4x8", "--sweep-steps", "1", *SMALL,
               "--env.episode.max-turns", "3", "--out", str(tmp_path), "--quiet")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["results"]) == {"random", "st-avg", "fashionntm-C1-4x8"}
    assert summary["args"]["env"]["catalog"]["n_items"] == 300
    assert "st-avg" in (tmp_path / "summary.md").read_text()


def test_suite_evaluates_agents_with_other_shoppers(tmp_path):
    for own, others in (("template", ["real", "template:test"]), ("real", ["template"])):
        run_script("suite", "--agents", "st-avg", "--reference", "random", "--seeds", "0",
                   "--steps", "2", "--batch", "8", "--episodes", "8", "--memories", *SMALL,
                   "--env.episode.max-turns", "3", "--env.shopper.name", own,
                   "--eval-shoppers", *others, "--out", str(tmp_path / own), "--quiet")
        summary = json.loads((tmp_path / own / "summary.json").read_text())
        cross = summary["results"]["st-avg"]["cross"]
        assert sorted(cross) == sorted(others)
        assert all(len(c["per_turn"]["recall@10"]["mean"]) == 4 for c in cross.values())
        assert "| st-avg | " + own + " |" in (tmp_path / own / "cross_shopper.md").read_text()
    run_script("cross_shopper", str(tmp_path / "template"), str(tmp_path / "real"),
               "--out", str(tmp_path / "cross.md"))
    table = (tmp_path / "cross.md").read_text()
    assert "eval template:test: R@10 t3" in table and "eval real: R@10 t3" in table
    assert table.count("| st-avg |") == 2
    # --collect fills in evaluations a finished run lacks, from its final checkpoint.
    run_script("suite", "--collect", "--agents", "st-avg", "--reference", "random",
               "--seeds", "0", "--episodes", "8", "--memories", *SMALL,
               "--env.episode.max-turns", "3", "--env.shopper.name", "real",
               "--eval-shoppers", "template", "template:test", "--out", str(tmp_path / "real"),
               "--quiet")
    summary = json.loads((tmp_path / "real" / "summary.json").read_text())
    cross = summary["results"]["st-avg"]["cross"]
    assert sorted(cross) == ["template", "template:test"]
    first = json.loads((tmp_path / "real" / "runs" / "st-avg-s0" / "job.json").read_text())
    assert sorted(first["cross"]) == ["template", "template:test"]
    with pytest.raises(SystemExit, match="unknown shopper 'people'"):
        run_script("suite", "--eval-shoppers", "people", "--out", str(tmp_path / "x"))
    with pytest.raises(SystemExit, match="only the template shopper takes a lexicon"):
        run_script("suite", "--eval-shoppers", "real:test", "--out", str(tmp_path / "x"))


def test_suite_refuses_mismatched_stage_budgets(tmp_path):
    with pytest.raises(SystemExit, match="2 stages but --steps has 1"):
        run_script("suite", "--learners", "supervised", "reinforce", "--steps", "1",
                   "--out", str(tmp_path))


def test_simulator_report_compares_every_shopper(tmp_path):
    ref = tmp_path / "cap.dress.val.json"
    ref.write_text(json.dumps([{"target": "a", "candidate": "b",
                                "captions": ["is darker and longer", "has no sleeves"]}] * 40))
    run_script("simulator_report", "--reference", str(ref), "--samples", "60", *SMALL,
               "--shoppers", "template", "real", "--env.shopper.template.lexicon", "test",
               "--out", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["env"]["shopper"]["template"]["lexicon"] == "test"
    assert report["reference_captions"] == 80
    rows = {r["shopper"]: r for r in report["rows"]}
    assert set(rows) == {"template", "real"}
    assert rows["real"]["faithful"] == 1.0 and rows["real"]["informative"] > 0.5
    assert all(0.0 <= r["classifier_accuracy"] <= 1.0 for r in rows.values())
    table = (tmp_path / "out" / "report.md").read_text()
    assert "| real |" in table and "| people (held out) |" in table


def test_calibrate_appends_a_candidate_and_checks_the_goals(tmp_path):
    from experiments.calibrate import goals

    for w in ("1", "0.3"):
        run_script("calibrate", "--agent", "st-avg", "--steps", "2", "--batch", "4",
                   "--episodes", "10", *SMALL, "--env.episode.max-turns", "6",
                   "--env.items.attribute-weight", w, "--out", str(tmp_path),
                   "--runs", str(tmp_path / "runs"), "--quiet")
    rows = [json.loads(x) for x in (tmp_path / "candidates.jsonl").read_text().splitlines()]
    assert [r["w"] for r in rows] == [1.0, 0.3] and all(len(r["R@10"]) == 6 for r in rows)
    assert rows[0]["env"]["items"]["perception"] == "attrnet"
    table = (tmp_path / "candidates.md").read_text()
    assert table.count("| st-avg | attrnet |") == 2
    row = {"R@10": [1, 2, 3, 4, 5, 6], "anchor": [0.5] * 6}
    assert all(goals(row).values())
    assert not goals({**row, "R@10": [1, 2, 3, 4, 95, 95]})["at most 90%"]
    assert not goals({**row, "R@10": [1, 2, 3, 4, 5, 5]})["rises t5 -> last"]
    assert not goals({**row, "anchor": [2.5] * 6})[">= 3x anchor"]
