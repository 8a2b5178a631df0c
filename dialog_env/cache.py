"""Where generated data lives, and atomic writes (a killed process never leaves a
half-written file under its final name)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import platformdirs


def cache_root() -> Path:
    """`$FASHION_DIALOG_CACHE`, else the user cache dir (`$XDG_CACHE_HOME/fashion-dialog`)."""
    env = os.environ.get("FASHION_DIALOG_CACHE")
    root = Path(env) if env else platformdirs.user_cache_path("fashion-dialog")
    root.mkdir(parents=True, exist_ok=True)
    return root


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file next to `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text))


def atomic_write_json(path: Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True))


def atomic_save_npy(path: Path, array: np.ndarray) -> Path:
    def write(p: Path) -> None:
        with open(p, "wb") as f:
            np.save(f, array)
    return atomic_write(path, write)


def load_npy(path: Path, mmap: bool = False) -> np.ndarray:
    """Load a `.npy` written by this package; never unpickles."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path}: not a readable .npy array ({e}); delete it to rebuild") from e
