"""A Fashion IQ catalog from files in the published layout (tiny fixture, written here)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dialog_env.catalog.real import load_fashioniq


def fixture(root, with_missing: bool = True):
    (root / "captions").mkdir(parents=True)
    (root / "image_splits").mkdir()
    (root / "images").mkdir()
    splits = {("dress", "train"): ["D1", "D2"], ("dress", "val"): ["D3"],
              ("dress", "test"): ["D4"] + (["GONE"] if with_missing else []),
              ("shirt", "train"): ["S1"], ("shirt", "val"): ["S2"], ("shirt", "test"): []}
    for (cat, split), ids in splits.items():
        (root / "image_splits" / f"split.{cat}.{split}.json").write_text(json.dumps(ids))
        for k, asin in enumerate(ids):
            if asin != "GONE":
                Image.new("RGB", (40, 30), (20 * k, 100, 200)).save(root / "images" /
                                                                     f"{asin}.jpg")
    caps = {("dress", "train"): [{"target": "D1", "candidate": "D2", "captions": ["a", "b"]}],
            ("dress", "val"): [{"target": "D3", "candidate": "GONE", "captions": ["c", "d"]}],
            ("dress", "test"): [{"candidate": "D4", "captions": ["e", "f"]}],
            ("shirt", "train"): [{"target": "S1", "candidate": "S1", "captions": ["g", "h"]}],
            ("shirt", "val"): [], ("shirt", "test"): []}
    for (cat, split), data in caps.items():
        (root / "captions" / f"cap.{cat}.{split}.json").write_text(json.dumps(data))
    tags = {"D1": [["dress"], ["floral"], ["cotton"], [], [], ["casual"]],
            "S1": [["shirt"], ["floral"], [], [], [], ["floral"]]}
    (root / "asin2attr.dress.train.json").write_text(json.dumps(tags))


def test_fashioniq_catalog_and_pairs(tmp_path):
    fixture(tmp_path)
    with pytest.warns(UserWarning, match="1 of 7 images missing .first: GONE."):
        cat, pairs = load_fashioniq(tmp_path, image_size=16, categories=("dress", "shirt"))
    assert list(cat.item_ids) == ["D1", "D2", "D3", "D4", "S1", "S2"]
    assert cat.category.tolist() == [0, 0, 0, 0, 1, 1]
    assert cat.split.tolist() == [0, 0, 1, 2, 0, 1]
    assert set(cat.vocab.names) == {"cotton", "casual", "texture:floral", "style:floral"}
    assert set(cat.attribute_names(0)) == {"texture:floral", "cotton", "casual"}
    assert set(cat.attribute_names(4)) == {"texture:floral", "style:floral"}
    imgs = cat.images(np.array([0, 4]))
    assert imgs.shape == (2, 16, 16, 3) and imgs.dtype == np.uint8
    assert [(p.reference, p.target, p.split) for p in pairs] == [
        (1, 0, "train"), (3, -1, "test"), (4, 4, "train")]  # the pair with GONE left out
    assert cat.meta["missing_images"] == 1


def test_unreadable_image_is_named(tmp_path):
    fixture(tmp_path, with_missing=False)
    (tmp_path / "images" / "D2.jpg").write_bytes(b"not an image")
    cat, _ = load_fashioniq(tmp_path, image_size=8, categories=("dress", "shirt"))
    with pytest.raises(ValueError, match=r"image .*D2\.jpg \(item 1\) cannot be read"):
        cat.images(np.array([1]))
