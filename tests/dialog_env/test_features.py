import numpy as np
import pytest

from dialog_env.cache import atomic_save_npy
from dialog_env.features import PixelPCA, extract_features, feature_cache_path, make_extractor


def test_pixel_features_are_cached_and_not_recomputed(small_catalog, monkeypatch):
    ex = PixelPCA(dim=32, grid=8)
    feats = extract_features(small_catalog, ex, progress=False)
    assert feats.shape == (len(small_catalog), 32) and feats.dtype == np.float32
    assert np.allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-4)
    assert feature_cache_path(small_catalog, ex).exists()

    def boom(*a, **k):
        raise AssertionError("recomputed")

    again = PixelPCA(dim=32, grid=8)
    monkeypatch.setattr(again, "fit", boom)
    monkeypatch.setattr(again, "transform", boom)
    assert np.array_equal(extract_features(small_catalog, again, progress=False), feats)


def test_pixel_features_separate_colours(small_catalog):
    feats = extract_features(small_catalog, PixelPCA(dim=32, grid=8), progress=False)
    v = small_catalog.vocab
    black = np.flatnonzero(small_catalog.attributes[:, v.index("black")])
    white = np.flatnonzero(small_catalog.attributes[:, v.index("white")])
    within = (feats[black[:50]] @ feats[black[:50]].T).mean()
    across = (feats[black[:50]] @ feats[white[:50]].T).mean()
    assert within > across + 0.2


def test_attribute_features_and_errors(small_catalog):
    ex = make_extractor("attributes", small_catalog)
    feats = extract_features(small_catalog, ex, cache=False, progress=False)
    assert np.array_equal(feats, small_catalog.attributes.astype(np.float32))
    with pytest.raises(ValueError, match="unknown feature extractor"):
        make_extractor("sift", small_catalog)
    with pytest.raises(ValueError, match="exceeds"):
        PixelPCA(dim=1000, grid=8)


def test_wrong_shape_cache_file_is_reported(small_catalog):
    ex = PixelPCA(dim=16, grid=8)
    path = feature_cache_path(small_catalog, ex)
    source = {"catalog": small_catalog.name,
              "content_hash": small_catalog.meta["content_hash"]}
    atomic_save_npy(path, np.zeros((3, 16), np.float32), derived_from=source)
    with pytest.raises(ValueError, match="cached features have shape"):
        extract_features(small_catalog, ex, progress=False)
    path.unlink()
