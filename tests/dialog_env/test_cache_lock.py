"""The cache's build lock between processes: two processes building the same catalog and
features at once build each artifact once and get the same arrays; a lock holder killed
with SIGKILL does not block the next build; a held lock times out with a message naming the
lock file and its holder."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from dialog_env.cache import (
    CacheLockTimeout,
    cache_lock,
    clean_stale_temp,
    lock_holder,
    lock_path,
    lock_timeout,
    verify,
)
from dialog_env.catalog import load_synthetic
from dialog_env.features import extract_features, feature_cache_path, make_extractor

ROOT = Path(__file__).resolve().parents[2]

# A builder process: counts each build it starts in `marker` (one line per build, appended),
# makes each build slow enough that the other process arrives while it runs, waits at a
# barrier for its sibling, then loads the catalog and its pixel features and prints digests.
BUILDER = textwrap.dedent("""
    import hashlib, json, os, sys, time, warnings
    from pathlib import Path

    import dialog_env.catalog.store as store
    import dialog_env.features.pixels as pixels
    from dialog_env.catalog import load_synthetic
    from dialog_env.features import extract_features, make_extractor

    marker, barrier, me, n, slow = (Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3],
                                    int(sys.argv[4]), float(sys.argv[5]))

    def counted(name, fn):
        def build(*args, **kwargs):
            with open(marker, "a") as f:
                f.write(f"{name} {os.getpid()}\\n")
            time.sleep(slow)
            return fn(*args, **kwargs)
        return build

    store.sample_items = counted("arrays", store.sample_items)
    store._render_all = counted("images", store._render_all)
    pixels.PixelPCA.fit = counted("features", pixels.PixelPCA.fit)
    warnings.simplefilter("error", UserWarning)  # a waiting process must not warn/rebuild

    (barrier / f"ready-{me}").touch()
    deadline = time.time() + 120
    while len(list(barrier.glob("ready-*"))) < n and time.time() < deadline:
        time.sleep(0.005)
    cat = load_synthetic(300, seed=11, image_size=16, progress=False)
    feats = extract_features(cat, make_extractor("pixels", cat, dim=8), progress=False)
    digest = lambda a: hashlib.sha256(a.tobytes()).hexdigest()
    print(json.dumps({"attributes": digest(cat.attributes), "split": digest(cat.split),
                      "images": digest(cat.images(range(len(cat)))),
                      "features": digest(feats),
                      "content_hash": cat.meta["content_hash"]}))
""")

# Takes a lock and holds it until killed (after saying so through `ready`).
HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from dialog_env.cache import cache_lock

    with cache_lock(Path(sys.argv[1]), what="the test artifact"):
        Path(sys.argv[2]).touch()
        time.sleep(600)
""")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(root))
    monkeypatch.setenv("FASHION_DIALOG_LOCK_TIMEOUT", "60")  # a deadlock fails, not hangs
    return root


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the helper process exited ({proc.returncode}): "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.time() > deadline:
            raise AssertionError(f"{path} did not appear within {seconds} s")
        time.sleep(0.02)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_two_processes_building_one_catalog_build_it_once(cache, tmp_path):
    marker, barrier = tmp_path / "builds.txt", tmp_path / "barrier"
    barrier.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", BUILDER, str(marker), str(barrier), str(k),
                               "2", "1.0"], cwd=ROOT, env={**os.environ},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(2)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=300)
            outs.append((p.returncode, out, err))
    finally:
        for p in procs:
            _kill(p)
    for rc, _, err in outs:
        assert rc == 0, err
    builds = sorted(line.split()[0] for line in marker.read_text().splitlines())
    assert builds == ["arrays", "features", "images"]  # each artifact built exactly once
    # The lock was contended (else this test proves nothing): one process waited for the other.
    assert any("waiting for another process building" in err for _, _, err in outs), outs
    first, second = (json.loads(out.strip().splitlines()[-1]) for _, out, _ in outs)
    assert first == second

    # What they loaded is what is on disk, and every cached file verifies.
    cat = load_synthetic(300, seed=11, image_size=16, progress=False)
    ex = make_extractor("pixels", cat, dim=8)
    folder = Path(cat.meta["cache_dir"])
    for f in (folder / "items.npz", folder / "images-16.npy", feature_cache_path(cat, ex)):
        verify(f)
        assert lock_path(f).exists()  # the lock file stays beside its artifact ...
        assert not Path(f"{f}.lock.owner").exists()  # ... but nobody is recorded holding it
    assert first["content_hash"] == cat.meta["content_hash"]
    assert first["images"] == _digest(cat.images(np.arange(len(cat))))
    assert first["features"] == _digest(extract_features(cat, ex, progress=False))
    assert first["attributes"] == _digest(load_synthetic(300, seed=11, cache=False,
                                                         render=False).attributes)
    # Lock files are not temporary files: the cleaner leaves them (and finds nothing).
    assert clean_stale_temp(folder) == [] and lock_path(folder / "items.npz").exists()


def test_a_builder_killed_while_holding_the_lock_does_not_block_the_next(cache, tmp_path,
                                                                        capfd):
    marker, barrier = tmp_path / "builds.txt", tmp_path / "barrier"
    barrier.mkdir()
    # One builder whose arrays build takes ten minutes: it holds the arrays lock throughout.
    holder = subprocess.Popen([sys.executable, "-c", BUILDER, str(marker), str(barrier), "0",
                               "1", "600"], cwd=ROOT, env={**os.environ},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker, holder)
    finally:
        _kill(holder)
    folder = next(cache.glob("synthetic-*seed11-n300"))
    arrays_file = folder / "items.npz"
    assert not arrays_file.exists()
    assert f"pid {holder.pid}" in lock_holder(arrays_file)  # its record outlived it ...
    assert "exited" in lock_holder(arrays_file)  # ... and is recognised as stale
    capfd.readouterr()

    start = time.monotonic()
    with cache_lock(arrays_file, timeout=5):  # free at once: the OS released it
        pass
    cat = load_synthetic(300, seed=11, image_size=16, progress=False)
    assert time.monotonic() - start < 30
    assert "waiting for another process" not in capfd.readouterr().err
    verify(arrays_file)
    assert np.array_equal(cat.attributes, load_synthetic(300, seed=11, cache=False,
                                                         render=False).attributes)


def test_a_held_lock_times_out_naming_the_lock_file_and_its_holder(tmp_path, capfd):
    artifact, ready = tmp_path / "features-x.npy", tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(artifact), str(ready)],
                              cwd=ROOT, env={**os.environ}, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(ready, holder)
        start = time.monotonic()
        with pytest.raises(CacheLockTimeout) as info, cache_lock(artifact, what="x features",
                                                                 timeout=0.3):
            pass
        assert 0.3 <= time.monotonic() - start < 10
        message = str(info.value)
        assert str(lock_path(artifact)) in message
        assert f"pid {holder.pid}" in message and "building the test artifact" in message
        assert "FASHION_DIALOG_LOCK_TIMEOUT" in message
        err = capfd.readouterr().err
        assert "waiting for another process building x features" in err
        assert f"pid {holder.pid}" in err
    finally:
        _kill(holder)
    with cache_lock(artifact, timeout=5) as held:  # the killed holder's lock is free again
        assert held == lock_path(artifact)
        assert json.loads(Path(f"{artifact}.lock.owner").read_text())["pid"] == os.getpid()
    assert not Path(f"{artifact}.lock.owner").exists()


def test_the_lock_timeout_setting_is_checked(monkeypatch):
    monkeypatch.setenv("FASHION_DIALOG_LOCK_TIMEOUT", "12.5")
    assert lock_timeout() == 12.5
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("FASHION_DIALOG_LOCK_TIMEOUT", bad)
        with pytest.raises(ValueError, match="FASHION_DIALOG_LOCK_TIMEOUT"):
            lock_timeout()
