"""The cache checks itself: checksums on every cached array (flipped or edited bytes are
noticed and rebuilt), features tied to their catalog's contents, stale temporary files of
killed builds removed, the usual file permissions, and render workers that die with their
parent."""

from __future__ import annotations

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
    CacheMismatch,
    atomic_save_npy,
    atomic_write_text,
    clean_stale_temp,
    load_npy,
)
from dialog_env.catalog import load_synthetic
from dialog_env.features import extract_features, feature_cache_path, make_extractor


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))
    return tmp_path


def flip(path: Path, offset: int, n: int = 16) -> None:
    data = bytearray(path.read_bytes())
    for k in range(offset, offset + n):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_bytes_in_a_cached_array_are_detected(tmp_path):
    path = atomic_save_npy(tmp_path / "x.npy", np.arange(1000, dtype=np.float32))
    assert np.array_equal(load_npy(path), np.arange(1000, dtype=np.float32))
    flip(path, 600)
    with pytest.raises(CacheMismatch, match="x.npy"):
        load_npy(path)
    (tmp_path / "x.npy.sha256").unlink()
    with pytest.raises(CacheMismatch, match="no checksum"):
        load_npy(path)


def test_damaged_features_are_computed_again(cache):
    cat = load_synthetic(400, seed=2, image_size=16, progress=False)
    ex = make_extractor("pixels", cat, dim=8)
    feats = extract_features(cat, ex, progress=False)
    path = feature_cache_path(cat, ex)
    flip(path, 300)
    with pytest.warns(UserWarning, match="features-"):
        again = extract_features(cat, make_extractor("pixels", cat, dim=8), progress=False)
    assert np.array_equal(again, feats)
    assert np.array_equal(load_npy(path, derived_from={
        "catalog": cat.name, "content_hash": cat.meta["content_hash"]}), feats)


def test_features_belong_to_their_catalogs_contents(cache):
    cat = load_synthetic(400, seed=2, image_size=16, progress=False)
    extract_features(cat, make_extractor("pixels", cat, dim=8), progress=False)
    cat.meta["content_hash"] = "another catalog"  # e.g. the catalog was rebuilt or edited
    with pytest.warns(UserWarning, match="its source changed"):
        extract_features(cat, make_extractor("pixels", cat, dim=8), progress=False)


def test_edited_catalog_arrays_are_rebuilt(cache):
    cat = load_synthetic(400, seed=4, image_size=16, progress=False)
    folder = Path(cat.meta["cache_dir"])
    with np.load(folder / "items.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["split"] = np.zeros_like(arrays["split"])  # a valid file with edited splits
    with open(folder / "items.npz", "wb") as f:
        np.savez(f, **arrays)
    with pytest.warns(UserWarning, match="items.npz"):
        again = load_synthetic(400, seed=4, image_size=16, progress=False)
    assert np.array_equal(again.split, cat.split)


def test_damaged_images_are_rendered_again(cache):
    cat = load_synthetic(300, seed=6, image_size=16, progress=False)
    img = Path(cat.meta["cache_dir"]) / "images-16.npy"
    before = cat.images(np.arange(300))
    flip(img, 2000)
    with pytest.warns(UserWarning, match="images-16.npy"):
        again = load_synthetic(300, seed=6, image_size=16, progress=False)
    assert np.array_equal(again.images(np.arange(300)), before)


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "README.md", "hello")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_stale_temporary_files_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".images-64.npy.{dead.pid}.0a1b2c3d.tmp"
    mine = tmp_path / f".items.npz.{os.getpid()}.0a1b2c3d.tmp"
    other = tmp_path / "images-64.npy"
    for p in (stale, mine, other):
        p.write_bytes(b"x")
    assert clean_stale_temp(tmp_path) == [stale]
    assert not stale.exists() and mine.exists() and other.exists()


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc").exists() or (os.cpu_count() or 1) < 2,
                    reason="needs Linux /proc and a process pool (2+ cores)")
def test_render_workers_die_with_a_killed_parent_and_its_temp_file_is_cleaned(cache):
    script = textwrap.dedent("""
        from dialog_env.catalog import load_synthetic
        load_synthetic(12_000, seed=77, image_size=64, progress=False)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    try:
        deadline = time.time() + 60
        workers: list[int] = []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _children(parent.pid)
        assert len(workers) >= 2, "the render pool did not start"
        time.sleep(0.5)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    time.sleep(1.0)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and "Z" not in Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert alive == []
    folder = next(cache.glob("synthetic-*seed77-n12000"))
    assert list(folder.glob(".*.tmp"))  # the killed build's half-written images
    assert clean_stale_temp(folder) and not list(folder.glob(".*.tmp"))
