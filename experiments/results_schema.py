"""JSON Schemas (draft 2020-12) of the results files, and their validation.

    python -m experiments.results_schema results/eval/*.json runs/train/train_result.json

Every results file names the schema it follows in its `results_schema` field
(`experiments.common.stamped` puts it there, with `fashion_dialog_version` and `machine`):

| schema | file | written by |
|---|---|---|
| evaluation | `<out>/<agent>.json` | experiments.evaluate (also train's and demo's `eval/`) |
| protocol | `protocol-*.json` | dialog_env.protocol (evaluate, suite) |
| training | `train_result.json` | experiments.train |
| train-args | `args.json` | experiments.train |
| suite-summary | `summary.json` | experiments.suite |
| suite-agent | `eval/<agent>.json` | experiments.suite |
| suite-job | `runs/<label>-s<seed>/job.json` | experiments.suite |
| static-results | `<dataset>/results.json` | experiments.evaluate_static |
| static-dialogs | `<dataset>/eval_dialogs.json` | experiments.evaluate_static |
| report | `report.json`, `bench_env.json`, ... | the report and benchmark scripts |

The schemas are package data: `experiments/schemas/<name>.schema.json` (definitions shared by
them in `common.schema.json`) and `dialog_env/schemas/protocol.schema.json` (the environment
writes protocols). Validation needs `jsonschema` (the `dev` extra); reading the schemas does
not. Files written before the stamp existed have no `results_schema`; `validate` refuses
them by name rather than guessing.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path

# Schema name -> the package whose `schemas/` folder holds `<name>.schema.json`.
SCHEMAS: dict[str, str] = {
    "evaluation": "experiments", "protocol": "dialog_env", "training": "experiments",
    "train-args": "experiments", "suite-summary": "experiments", "suite-agent": "experiments",
    "suite-job": "experiments", "static-results": "experiments",
    "static-dialogs": "experiments", "report": "experiments",
}
# Definitions the file schemas refer to (not a file layout of their own).
DEFINITIONS = ("common",)
ID_PREFIX = "urn:fashion-dialog:schema:"


@cache
def load_schema(name: str) -> dict:
    """The JSON Schema `name` (a key of SCHEMAS, or `common`) as shipped in the package."""
    package = "experiments" if name in DEFINITIONS else SCHEMAS.get(name)
    if package is None:
        raise KeyError(f"unknown results schema {name!r}; expected one of {list(SCHEMAS)}")
    text = resources.files(package).joinpath("schemas").joinpath(
        f"{name}.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    if schema.get("$id") != ID_PREFIX + name:
        raise ValueError(f"{package}/schemas/{name}.schema.json has $id {schema.get('$id')!r}, "
                         f"expected {ID_PREFIX + name!r}")
    return schema


@cache
def _validator(name: str):
    try:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(f"validating results files needs jsonschema ({e}); install "
                                  f"it with `pip install -e '.[dev]'`") from None
    registry = Registry().with_resources(
        (ID_PREFIX + n, Resource.from_contents(load_schema(n)))
        for n in (*DEFINITIONS, *SCHEMAS))
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def schema_name(data) -> str:
    """The schema a results value names in `results_schema`; a ValueError when it names
    none (or one the package does not ship)."""
    if not isinstance(data, dict):
        raise ValueError(f"a results file is a JSON object, got {type(data).__name__}")
    name = data.get("results_schema")
    if name is None:
        raise ValueError("no 'results_schema' field: not a results file, or one written before "
                         "results files recorded their schema and fashion_dialog_version")
    if name not in SCHEMAS:
        raise ValueError(f"'results_schema' is {name!r}; expected one of {list(SCHEMAS)}")
    return name


def errors(data, name: str | None = None) -> list[str]:
    """Every way `data` breaks schema `name` (default: the one it names), each as
    `<json path>: <message>`; empty when it is valid."""
    name = name or schema_name(data)
    found = sorted(_validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in found]


def validate(data, name: str | None = None, source: str = "results") -> str:
    """The schema name `data` is valid against; a ValueError (naming `source`, the schema and
    every error) otherwise."""
    name = name or schema_name(data)
    found = errors(data, name)
    if found:
        shown = "; ".join(x[:300] for x in found[:10])
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise ValueError(f"{source} does not follow the {name!r} schema: {shown}{more}")
    return name


def validate_file(path: str | Path) -> str:
    """Validate one results JSON file against the schema it names; its schema name."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    try:
        return validate(data, source=str(path))
    except ValueError as e:
        raise ValueError(str(e) if str(e).startswith(str(path)) else f"{path}: {e}") from None


def main(paths: list[str]) -> int:
    """Validate each file; one line per file; 1 when any is invalid."""
    if not paths:
        print("usage: python -m experiments.results_schema FILE.json ...", file=sys.stderr)
        return 2
    bad = 0
    for p in paths:
        try:
            print(f"{p}: valid {validate_file(p)}")
        except (ValueError, OSError) as e:
            bad += 1
            print(f"{e}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
