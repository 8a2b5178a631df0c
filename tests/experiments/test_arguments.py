"""Scripts validate their arguments before any work starts (a SystemExit or ValueError that
names the argument and its value), and handle inputs at the edges: short turn budgets,
non-result JSON files, figure formats, empty reference files, `--help`."""

from __future__ import annotations

import re

import pytest

from tests.experiments.test_scripts import SMALL, run_script

TRAIN = ["--agent", "st-avg", "--batch", "8", "--eval-episodes", "0", *SMALL, "--quiet"]


@pytest.mark.parametrize("argv, named", [
    (["--steps", "0"], r"--steps must all be >= 1 .* got \[0\]"),
    (["--memory-size", "0x0"], "--memory-size must look like 8x64 .* got '0x0'"),
    (["--memory-size", "8by64"], "--memory-size must look like 8x64 .* got '8by64'"),
    (["--checkpoint-every", "0"], "--checkpoint-every must be >= 1, got 0"),
    (["--eval-episodes", "4", "--eval-seeds"], "--eval-seeds is empty"),
    (["--batch", "0"], "--batch must be >= 1, got 0"),
    (["--lr", "nan"], "--lr must be a positive number, got nan"),
])
def test_train_refuses_bad_arguments_before_training(tmp_path, argv, named):
    out = tmp_path / "run"
    with pytest.raises(SystemExit, match=named):
        run_script("train", *TRAIN, *argv, "--out", str(out))
    assert not out.exists()


@pytest.mark.parametrize("argv, named", [
    (["--workers", "0"], "--workers must be >= 1, got 0"),
    (["--memory-sizes", "8by64"], "--memory-sizes must look like 8x64 .* got '8by64'"),
    (["--episodes", "0"], "--episodes must be >= 1, got 0"),
    (["--agents", "nope"], r"--agents: unknown \['nope'\]"),
    (["--steps", "0"], "--steps must all be >= 1"),
])
def test_suite_refuses_bad_arguments_before_any_work(tmp_path, argv, named):
    with pytest.raises(SystemExit, match=named):
        run_script("suite", *argv, "--out", str(tmp_path / "suite"))
    assert not (tmp_path / "suite").exists()


def test_evaluate_refuses_bad_arguments(tmp_path):
    with pytest.raises(SystemExit, match="--episodes must be >= 1, got 0"):
        run_script("evaluate", "--episodes", "0", "--out", str(tmp_path))
    with pytest.raises(SystemExit, match="--seeds is empty"):
        run_script("evaluate", "--seeds", "--out", str(tmp_path))


def test_suite_runs_with_a_two_turn_budget(tmp_path):
    run_script("suite", "--agents", "st-avg", "--reference", "random", "--seeds", "0",
               "--steps", "1", "--batch", "8", "--episodes", "6", "--memories", *SMALL,
               "--env.episode.max-turns", "2", "--out", str(tmp_path), "--quiet")
    summary = (tmp_path / "summary.md").read_text()
    assert "R@10 t2 |" in summary and "R@10 t1 |" in summary and "t3" not in summary


def test_saturation_note_names_only_columns_the_table_has():
    from experiments.suite_report import saturation

    per_turn = {"recall@10": {"mean": [0.0, 0.99, 1.0]}}
    results = {"st-avg": {"agent": "st-avg", "recall@10_last_per_seed": [1.0],
                          "metrics": {"per_turn": per_turn}}}
    (note,) = saturation(results, last=2)
    assert "t1" in note and "t3" not in note and "t5" not in note
    (note,) = saturation({"st-avg": {**results["st-avg"], "metrics": {"per_turn": {
        "recall@10": {"mean": [0.0, 1.0]}}}}}, last=1)
    assert "t1" not in note and "columns" not in note


def eval_result(tmp_path):
    run_script("evaluate", "--agent", "random", "--episodes", "4", "--seeds", "0", *SMALL,
               "--env.episode.max-turns", "2", "--out", str(tmp_path), "--quiet")
    return tmp_path / "random.json"


@pytest.mark.parametrize("content, got", [("{}", "an object with keys []"),
                                          ("[]", "a JSON list"), ("null", "a JSON NoneType")])
def test_plot_names_files_that_are_not_results(tmp_path, content, got):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ValueError, match=rf"bad\.json: not an evaluation result .*"
                                         rf"{re.escape(got)}"):
        run_script("plot", str(bad), "--out", str(tmp_path / "fig.png"))


def test_plot_skips_protocol_files_and_writes_the_format_asked_for(tmp_path, capsys):
    result = eval_result(tmp_path)
    files = sorted(str(p) for p in tmp_path.glob("*.json"))  # the result and its protocol
    assert len(files) == 2 and str(result) in files
    run_script("plot", *files, "--out", str(tmp_path / "fig.pdf"))
    assert (tmp_path / "fig.pdf").read_bytes()[:5] == b"%PDF-"
    assert "skipping" in capsys.readouterr().err
    run_script("plot", str(result), "--out", str(tmp_path / "fig.svg"))
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()[:2000]
    with pytest.raises(ValueError, match=r"--out .*fig\.xyz: unknown figure format 'xyz'"):
        run_script("plot", str(result), "--out", str(tmp_path / "fig.xyz"))
    assert not (tmp_path / "fig.xyz").exists()
    with pytest.raises(ValueError, match="no evaluation result files among"):
        run_script("plot", *[f for f in files if f != str(result)], "--out",
                   str(tmp_path / "fig.png"))


def test_simulator_report_refuses_empty_references_and_samples(tmp_path):
    empty = tmp_path / "cap.train.json"
    empty.write_text("{}")
    with pytest.raises(SystemExit, match="no reference captions in"):
        run_script("simulator_report", "--reference", str(empty), "--out", str(tmp_path))
    with pytest.raises(SystemExit, match="--samples must be >= 10, got 0"):
        run_script("simulator_report", "--reference", str(empty), "--samples", "0")
    with pytest.raises(SystemExit, match="--shoppers: unknown shopper 'people'"):
        run_script("simulator_report", "--reference", str(empty), "--shoppers", "people")
    assert not (tmp_path / "report.md").exists()


def test_update_readme_help_prints_help_and_touches_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- BEGIN GENERATED: t.md -->\nold\n<!-- END GENERATED -->\n")
    (tmp_path / "t.md").write_text("new\n")
    with pytest.raises(SystemExit) as e:
        run_script("update_readme", "--help")
    assert e.value.code == 0 and "--readme" in capsys.readouterr().out
    assert "old" in readme.read_text()
    other = tmp_path / "docs.md"
    other.write_text(readme.read_text())
    run_script("update_readme", "--readme", str(other))
    assert "new" in other.read_text() and "old" in readme.read_text()
    with pytest.raises(FileNotFoundError, match="--readme .*missing.md"):
        run_script("update_readme", "--readme", str(tmp_path / "missing.md"))


def test_shopper_specs_set_the_option_after_the_colon():
    from dialog_env.config import EnvConfig
    from experiments.cross_shopper import check_spec, spec_env

    env = EnvConfig()
    assert spec_env(env, "neural:sample").shopper.neural.decoding == "sample"
    assert spec_env(env, "template:test").shopper.template.lexicon == "test"
    assert spec_env(env, "template").shopper.name == "template"
    assert spec_env(env, "real").shopper == env.shopper
    for bad in ("real:test", "neural:test", "template:sample"):
        with pytest.raises(SystemExit, match="after the colon"):
            check_spec(bad)
