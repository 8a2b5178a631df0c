"""Small helpers shared by the experiment scripts (JSON values, machine record, JSON I/O,
the stamp every results file carries, argument parsing)."""

from __future__ import annotations

import dataclasses
import json
import platform
import re
import subprocess
from dataclasses import asdict, is_dataclass
from pathlib import Path

from dialog_env import __version__
from dialog_env.cache import atomic_write_json
from dialog_env.config import EnvConfig
from dialog_env.metrics import upgrade_per_turn


def with_episode(env: EnvConfig, **changes) -> EnvConfig:
    """`env` with some episode settings changed (e.g. `split="test"`)."""
    return dataclasses.replace(env, episode=dataclasses.replace(env.episode, **changes))


def memory_size(text: str, arg: str = "--memory-size") -> tuple[int, int]:
    """`NxM` (memory slots x width, both >= 1) as `(N, M)`; a SystemExit naming `arg`
    otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if m is None or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise SystemExit(f"{arg} must look like 8x64 (slots x width, both >= 1), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def plain(obj):
    """Dataclasses/paths/tuples as JSON-serialisable values."""
    if is_dataclass(obj):
        return plain(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def machine() -> dict:
    """Where a result was made: Python, CPU, accelerator and the checkout's git commit."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        import torch
    except ModuleNotFoundError:  # the environment alone, without the agents extra
        device = "cpu (torch not installed)"
    else:
        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "device": device, "commit": commit}


def read_json(path: str | Path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"results file {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e


def stamped(result: dict, schema: str) -> dict:
    """`result` with the fields every results file carries: `results_schema` (the name of the
    JSON Schema it follows, `experiments/schemas/<name>.schema.json`),
    `fashion_dialog_version` (`dialog_env.__version__`) and `machine`. A new dict; a
    ValueError for a schema name the package does not ship."""
    from experiments.results_schema import SCHEMAS

    if schema not in SCHEMAS:
        raise ValueError(f"unknown results schema {schema!r}; expected one of {list(SCHEMAS)}")
    return {**result, "results_schema": schema, "fashion_dialog_version": __version__,
            "machine": machine()}


def write_results(path: str | Path, result: dict, schema: str) -> dict:
    """Write `stamped(result, schema)` to `path` atomically (sorted keys, indented) and return
    what was written. Every results JSON of the experiment scripts goes through here."""
    out = stamped(result, schema)
    atomic_write_json(Path(path), out)
    return out


def upgrade_results(data):
    """A results value in the current layout: every `per_turn` metrics object in it, however
    deep (an evaluation's `metrics`, a suite summary's results, cross-shopper metrics), read
    with `dialog_env.metrics.upgrade_per_turn`. Does not change its input."""
    if isinstance(data, dict):
        return {k: (upgrade_per_turn(upgrade_results(v)) if k == "per_turn" and isinstance(
                    v, dict) else upgrade_results(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [upgrade_results(v) for v in data]
    return data


def read_results(path: str | Path):
    """A results file (`read_json`) in the current layout (`upgrade_results`), so files
    written before a layout change read like new ones."""
    return upgrade_results(read_json(path))
