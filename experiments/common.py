"""Small helpers shared by the experiment scripts (JSON values, machine record, JSON I/O,
argument parsing)."""

from __future__ import annotations

import dataclasses
import json
import platform
import re
import subprocess
from dataclasses import asdict, is_dataclass
from pathlib import Path

from dialog_env.config import EnvConfig


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
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    import torch

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
