"""Where generated data lives; atomic writes (a killed process never leaves a half-written
file under its final name); checksums that every cached array is verified against.

Integrity rules of the cache:
- A file is written to `.<name>.<pid>.<random>.tmp` beside its final name and renamed into
  place; it gets the usual permissions (`0666 & ~umask`), not `mkstemp`'s 0600.
  `clean_stale_temp(folder)` removes temporary files whose writing process is gone (a
  killed build), so they never pile up.
- Every cached array (`atomic_save_npy`, `write_checksum`) gets a sidecar `<file>.sha256`
  (JSON: the file's SHA-256, its size, and what it was derived from). `load_npy` and
  `verify` compare the bytes against it and raise `CacheMismatch` naming the file when they
  differ or the sidecar is missing; the callers then rebuild with a warning.
- Every build of a cached artifact runs under `cache_lock(<artifact>)`, an OS file lock on
  `<artifact>.lock` beside it (`filelock`), so two processes building the same artifact
  at once build it once: the builder re-checks the cache under the lock (the second process
  loads what the first wrote) and only then builds and writes atomically. While it holds
  the lock, `<artifact>.lock.owner` (JSON: pid, host, since, what) says who holds it. The OS
  releases the lock when its holder dies (even by SIGKILL), so a killed build never
  deadlocks the next one. Lock files are neither temporary files (`clean_stale_temp` keeps
  them) nor cached arrays (no checksum); deleting them while nothing builds is harmless.
  Nesting order (always this, never the reverse, so nested locks cannot deadlock): catalog
  arrays (`items.npz`); then features (`features-<key>.npy`) -> rendered images
  (`images-<size>.npy`, rendered under the features lock when features are computed from
  them) and -> the weights an extractor trains in `fit` (`attrnet-*`). The arrays lock is
  released before `load_synthetic` returns, and no build takes the features lock while
  holding an images or weights lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import platformdirs
from filelock import FileLock, Timeout

_TEMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.tmp$")


# How long a build waits for another process building the same artifact, by default (an
# image cache of a million items takes a while to render); `$FASHION_DIALOG_LOCK_TIMEOUT`
# (seconds) overrides it.
DEFAULT_LOCK_TIMEOUT = 4 * 3600.0


class CacheMismatch(ValueError):
    """A cached file does not match its recorded checksum (or has none)."""


class CacheLockTimeout(TimeoutError):
    """Another process held a cache artifact's build lock for longer than the timeout."""


def cache_root() -> Path:
    """`$FASHION_DIALOG_CACHE`, else the user cache dir (`$XDG_CACHE_HOME/fashion-dialog`)."""
    env = os.environ.get("FASHION_DIALOG_CACHE")
    root = Path(env) if env else platformdirs.user_cache_path("fashion-dialog")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temp(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` left by writers that no longer run."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for p in Path(folder).iterdir():
        m = _TEMP.match(p.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file next to `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        write(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text))


def atomic_write_json(path: Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _sidecar(path: Path) -> Path:
    return Path(f"{path}.sha256")


def write_checksum(path: Path, derived_from: dict | None = None) -> str:
    """Record `path`'s SHA-256 (and what it was derived from) in `<path>.sha256`."""
    digest = file_sha256(path)
    atomic_write_json(_sidecar(path), {"sha256": digest, "bytes": Path(path).stat().st_size,
                                       "derived_from": derived_from or {}})
    return digest


def verify(path: Path, derived_from: dict | None = None) -> str:
    """`path`'s SHA-256 when it matches its sidecar (and the sidecar's `derived_from`
    matches the given one), else `CacheMismatch` naming the file and what differs."""
    path = Path(path)
    side = _sidecar(path)
    try:
        record = json.loads(side.read_text())
    except FileNotFoundError:
        raise CacheMismatch(f"{path}: no checksum recorded ({side.name} missing)") from None
    except json.JSONDecodeError as e:
        raise CacheMismatch(f"{side}: unreadable checksum record ({e})") from e
    if derived_from is not None and record.get("derived_from") != derived_from:
        raise CacheMismatch(f"{path}: built from {record.get('derived_from')}, expected "
                            f"{derived_from} (its source changed)")
    if record.get("bytes") != path.stat().st_size:
        raise CacheMismatch(f"{path}: {path.stat().st_size} bytes, its checksum record says "
                            f"{record.get('bytes')}")
    digest = file_sha256(path)
    if digest != record.get("sha256"):
        raise CacheMismatch(f"{path}: contents do not match the recorded SHA-256 (the file "
                            f"was changed or damaged)")
    return digest


def atomic_save_npy(path: Path, array: np.ndarray, derived_from: dict | None = None) -> Path:
    """Save `array` atomically, with its checksum sidecar."""
    def write(p: Path) -> None:
        with open(p, "wb") as f:
            np.save(f, array)
    atomic_write(path, write)
    write_checksum(path, derived_from)
    return path


def load_npy(path: Path, mmap: bool = False, derived_from: dict | None = None) -> np.ndarray:
    """Load a `.npy` written by this package after verifying its checksum (`CacheMismatch`
    when it does not match); never unpickles."""
    verify(path, derived_from)
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path}: not a readable .npy array ({e}); delete it to rebuild") from e


def lock_path(path: Path) -> Path:
    """The lock file of cached artifact `path`: `<path>.lock` beside it."""
    return Path(f"{path}.lock")


def _owner_path(path: Path) -> Path:
    return Path(f"{path}.lock.owner")


def lock_timeout() -> float:
    """`$FASHION_DIALOG_LOCK_TIMEOUT` (seconds) when set, else `DEFAULT_LOCK_TIMEOUT`."""
    raw = os.environ.get("FASHION_DIALOG_LOCK_TIMEOUT")
    if raw is None or raw.strip() == "":
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"FASHION_DIALOG_LOCK_TIMEOUT must be a number of seconds, got "
                         f"{raw!r}") from None
    if not value >= 0:
        raise ValueError(f"FASHION_DIALOG_LOCK_TIMEOUT must be >= 0 seconds, got {raw!r}")
    return value


def lock_holder(path: Path) -> str:
    """Who holds the build lock of artifact `path`, in words, from its owner record
    ("unknown" when there is none or it cannot be read)."""
    try:
        rec = json.loads(_owner_path(path).read_text())
        pid, host = int(rec["pid"]), str(rec["host"])
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(rec["since"])))
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown (no owner record)"
    words = f"pid {pid} on {host} since {since}"
    if rec.get("what"):
        words += f", building {rec['what']}"
    if host == socket.gethostname() and not _alive(pid):
        words += " (that process has exited: the record is stale)"
    return words


@contextmanager
def cache_lock(path: Path, what: str | None = None, timeout: float | None = None,
               poll_interval: float = 0.05) -> Iterator[Path]:
    """Hold the inter-process build lock of cached artifact `path` (`<path>.lock`).

    Use it around "check the cache again, else build and write atomically": a process that
    finds the lock held prints "waiting for another process building <what>" on stderr and
    waits up to `timeout` seconds (`lock_timeout()` when None), then raises
    `CacheLockTimeout` naming the lock file and its holder. Not re-entrant across
    separate calls for the same path in one thread (that would wait on itself). Yields the
    lock file's path.
    """
    path = Path(path)
    what = what or path.name
    lock_file = lock_path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    limit = lock_timeout() if timeout is None else float(timeout)
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"waiting for another process building {what} (lock {lock_file}, held by "
              f"{lock_holder(path)})", file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=limit, poll_interval=poll_interval)
        except Timeout:
            raise CacheLockTimeout(
                f"timed out after {limit:g} s waiting for the build lock {lock_file} of {what}; "
                f"it is held by {lock_holder(path)}. If no process is building it, the lock "
                f"is free once its holder exits; set FASHION_DIALOG_LOCK_TIMEOUT (seconds) to "
                f"wait longer") from None
    try:
        atomic_write_json(_owner_path(path), {"pid": os.getpid(), "host": socket.gethostname(),
                                              "since": time.time(), "what": what})
        yield lock_file
    finally:
        try:
            _owner_path(path).unlink(missing_ok=True)
        finally:
            lock.release()
