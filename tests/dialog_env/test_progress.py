"""The first `gym.make` of a configuration says what it builds; loading from the caches
(this process's or the disk's) says nothing."""

from __future__ import annotations

import gymnasium as gym

import dialog_env  # noqa: F401
from dialog_env import factory

TINY = dict(n_items=300, catalog_seed=77, image_size=16, visual_dim=8)


def test_a_first_build_says_what_it_builds_and_a_cached_one_is_silent(
        tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))
    for cache in ("_catalogs", "_spaces", "_shoppers"):
        monkeypatch.setattr(factory, cache, {})
    capfd.readouterr()
    gym.make("FashionDialog-v0", **TINY)
    out, err = capfd.readouterr()
    said = out + err
    assert "building the synthetic catalog (300 items, seed 77)" in said
    assert str(tmp_path) in said
    assert "render 16px" in said  # the images' progress bar (features are computed from them)
    # The default perception: AttrNet is trained on the train items, then encodes all.
    assert "training AttrNet on the 180 train items (once per catalog)" in said
    assert "computing its features of 300 items" in said and "attrnet:" in said
    gym.make("FashionDialog-v0", **TINY)  # this process's cache
    assert capfd.readouterr() == ("", "")
    for cache in ("_catalogs", "_spaces", "_shoppers"):
        monkeypatch.setattr(factory, cache, {})
    gym.make_vec("FashionDialog-v0", num_envs=2, **TINY)  # the disk cache
    assert capfd.readouterr() == ("", "")
    for cache in ("_catalogs", "_spaces", "_shoppers"):
        monkeypatch.setattr(factory, cache, {})
    gym.make("FashionDialog-v0", progress=False, **dict(TINY, attribute_weight=0.5,
                                                        perception="pixels"))
    assert capfd.readouterr() == ("", "")  # progress=False: silent even when building
    gym.make("FashionDialog-v0", **dict(TINY, perception="pixels", visual_dim=4))
    assert "computing the pixel features of 300 items" in "".join(capfd.readouterr())
