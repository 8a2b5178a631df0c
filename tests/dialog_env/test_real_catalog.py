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


def test_shoes_catalog_and_pairs(tmp_path):
    from dialog_env.catalog.real import load_shoes

    pairs = [("img_womens_clogs_2.jpg", "img_womens_clogs_1.jpg", "is darker"),
             ("img_womens_pumps_4.jpg", "img_womens_pumps_3.jpg", "is taller"),
             ("img_womens_pumps_9.jpg", "img_womens_pumps_4.jpg", "has a strap")]
    (tmp_path / "relative_captions_shoes.json").write_text(json.dumps([
        {"ImageName": t, "ReferenceImageName": r, "RelativeCaption": c} for t, r, c in pairs]))
    (tmp_path / "train_im_names.txt").write_text("img_womens_clogs_2.jpg\nimg_womens_pumps_4.jpg\n")
    (tmp_path / "eval_im_names.txt").write_text("img_womens_pumps_9.jpg\n")
    for name in ("img_womens_clogs_1.jpg", "img_womens_clogs_2.jpg", "img_womens_pumps_3.jpg",
                 "img_womens_pumps_4.jpg"):  # pumps_9 is missing
        cat = name.split("_")[2]
        folder = tmp_path / "attributedata" / f"womens_{cat}" / "0"
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20, 20), (200, 10, 10)).save(folder / name)
    with pytest.warns(UserWarning, match="1 of 5 images missing"):
        cat, got = load_shoes(tmp_path, image_size=8)
    assert cat.categories == ("clogs", "pumps") and len(cat) == 4
    assert cat.category.tolist() == [0, 0, 1, 1]
    assert cat.split.tolist() == [2, 0, 2, 0]  # train list -> train, the rest -> test
    assert [(p.reference, p.target, p.split) for p in got] == [(0, 1, "train"),
                                                               (2, 3, "train")]
    assert cat.images(np.arange(4)).shape == (4, 8, 8, 3) and len(cat.vocab) == 0


def test_no_image_splits_at_all_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Fashion IQ image-split files"):
        load_fashioniq(tmp_path)
