"""AttrNet: learns attributes from train images only, and its features cache like any other."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from dialog_env.catalog import load_synthetic  # noqa: E402
from dialog_env.features import extract_features, feature_cache_path, make_extractor  # noqa: E402
from dialog_env.features.attrnet import (  # noqa: E402
    AttrNetConfig,
    AttrNetFeatures,
    build_attrnet,
    split_features,
    train_attrnet,
    type_columns,
    weights_path,
)

# ~6 s on 2 CPU cores.
CONFIG = AttrNetConfig(dim=64, channels=(16, 32, 64), epochs=40, batch_size=16, lr=2e-3,
                       seed=0, image_size=32)
TINY = AttrNetConfig(dim=16, channels=(8, 16), epochs=2, batch_size=32, seed=1, image_size=32)
# The synthetic renderer never draws style (it is correlated with visible attributes only),
# so style is held to "better than shuffled on average", the visible types to the 99th
# percentile of the shuffled recalls.
INVISIBLE = {"style"}


@pytest.fixture(scope="module")
def catalog():
    return load_synthetic(600, seed=11, image_size=32, progress=False)


@pytest.fixture(scope="module")
def features(catalog):
    return extract_features(catalog, AttrNetFeatures(len(catalog.vocab), CONFIG,
                                                     progress=False), progress=False)


def _recall_at_k(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Mean over items having any value of the type: |top-k predicted & true| / |true|."""
    top = np.argsort(-p, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(y, top, axis=1).sum(1)
    have = y.sum(1) > 0
    return float((hits[have] / y.sum(1)[have]).mean())


def test_beats_shuffled_predictions_on_every_type(catalog, features):
    _, phi = split_features(features, CONFIG)
    held_out = np.concatenate([catalog.indices("val"), catalog.indices("test")])
    rng = np.random.default_rng(0)
    for t, cols in type_columns(catalog).items():
        k = max(1, len(cols) // 4)
        y, p = catalog.attributes[held_out][:, cols], phi[held_out][:, cols]
        model = _recall_at_k(y, p, k)
        # Chance: the same predictions given to the wrong items (keeps their marginals, so
        # predicting the frequent values is not counted as skill).
        shuffled = np.array([_recall_at_k(y, p[rng.permutation(len(p))], k)
                             for _ in range(200)])
        bar = shuffled.mean() if t in INVISIBLE else np.quantile(shuffled, 0.99)
        assert model > bar, f"{t}: top-{k} recall {model:.3f} <= chance {bar:.3f}"


def test_features_shape_and_probabilities(catalog, features):
    x, phi = split_features(features, CONFIG)
    assert features.shape == (len(catalog), CONFIG.dim + len(catalog.vocab))
    assert features.dtype == np.float32
    assert (x >= 0).all()  # ReLU embedding
    assert ((phi >= 0) & (phi <= 1)).all()


def test_cache_reloads_bit_identically(catalog, features):
    ext = AttrNetFeatures(len(catalog.vocab), CONFIG, progress=False)
    again = extract_features(catalog, ext, progress=False)
    assert again.tobytes() == features.tobytes()
    # The features recomputed from the cached safetensors weights are the same bits too.
    feature_cache_path(catalog, ext).unlink()
    assert weights_path(catalog, CONFIG).exists()
    assert weights_path(catalog, CONFIG).with_suffix(".json").exists()
    recomputed = extract_features(catalog, ext, progress=False)
    assert recomputed.tobytes() == features.tobytes()


def test_changed_catalog_invalidates_weights_and_features(catalog):
    ext = AttrNetFeatures(len(catalog.vocab), TINY, progress=False)
    first = extract_features(catalog, ext, progress=False)
    changed = dataclasses.replace(catalog, meta={**catalog.meta, "content_hash": "0" * 64})
    with pytest.warns(UserWarning, match="source changed") as record:
        second = extract_features(changed, AttrNetFeatures(len(catalog.vocab), TINY,
                                                           progress=False), progress=False)
    messages = " ".join(str(w.message) for w in record)
    assert "computing the features again" in messages and "training AttrNet again" in messages
    assert second.shape == first.shape


def test_training_reads_train_images_only(catalog):
    seen: list[np.ndarray] = []
    images = catalog.images

    def recording(indices: np.ndarray) -> np.ndarray:
        seen.append(np.asarray(indices).copy())
        return images(indices)

    spy = dataclasses.replace(catalog, images=recording)
    train_attrnet(spy, TINY, progress=False)
    read = np.unique(np.concatenate(seen))
    assert set(read.tolist()) <= set(catalog.indices("train").tolist())
    assert len(read) == len(catalog.indices("train"))


def test_seeded_construction_leaves_global_rng_alone(catalog):
    import torch

    before = torch.random.get_rng_state()
    a, b = build_attrnet(TINY, catalog), build_attrnet(TINY, catalog)
    assert torch.equal(torch.random.get_rng_state(), before)
    for (ka, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(va, vb), ka


def test_larger_images_and_own_backbone(catalog):
    import torch
    from torch import nn

    from dialog_env.features.attrnet import AttrNet

    net = build_attrnet(TINY, catalog)
    x, logits = net(torch.rand(2, 3, 96, 96))  # adaptive pooling: any image size
    assert x.shape == (2, TINY.dim) and logits.shape == (2, len(catalog.vocab))
    own = nn.Sequential(nn.Conv2d(3, 5, 3), nn.AdaptiveMaxPool2d(1), nn.Flatten())
    net = AttrNet(TINY, type_columns(catalog), backbone=own, backbone_dim=5)
    assert net(torch.rand(3, 3, 40, 40))[1].shape == (3, len(catalog.vocab))


def test_registered_by_name(catalog):
    ext = make_extractor("attrnet", catalog, dim=8, epochs=1)
    assert isinstance(ext, AttrNetFeatures) and ext.dim == 8 + len(catalog.vocab)


def test_import_dialog_env_does_not_import_torch():
    code = "import sys, dialog_env, dialog_env.features.attrnet; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
