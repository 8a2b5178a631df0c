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


def shoes_fixture(root, chain: bool = False):
    """Shoes files in the published layout; pumps_9 has no image. `chain`: one more train
    pair (pumps_4 -> pumps_5) that continues pumps_3 -> pumps_4."""
    pairs = [("img_womens_clogs_2.jpg", "img_womens_clogs_1.jpg", "is darker"),
             ("img_womens_pumps_4.jpg", "img_womens_pumps_3.jpg", "is taller"),
             ("img_womens_pumps_9.jpg", "img_womens_pumps_4.jpg", "has a strap")]
    pairs += [("img_womens_pumps_5.jpg", "img_womens_pumps_4.jpg", "has a buckle")] * chain
    (root / "relative_captions_shoes.json").write_text(json.dumps([
        {"ImageName": t, "ReferenceImageName": r, "RelativeCaption": c} for t, r, c in pairs]))
    (root / "train_im_names.txt").write_text("img_womens_clogs_2.jpg\nimg_womens_pumps_4.jpg\n"
                                             + "img_womens_pumps_5.jpg\n" * chain)
    (root / "eval_im_names.txt").write_text("img_womens_pumps_9.jpg\n")
    for name in ("img_womens_clogs_1.jpg", "img_womens_clogs_2.jpg", "img_womens_pumps_3.jpg",
                 "img_womens_pumps_4.jpg") + ("img_womens_pumps_5.jpg",) * chain:
        cat = name.split("_")[2]
        folder = root / "attributedata" / f"womens_{cat}" / "0"
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20, 20), (200, 10, 10)).save(folder / name)


def test_shoes_catalog_and_pairs(tmp_path):
    from dialog_env.catalog.real import load_shoes

    shoes_fixture(tmp_path)
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


def test_images_optional_keeps_items_without_images(tmp_path):
    fixture(tmp_path)
    with pytest.warns(UserWarning, match=r"1 of 7 images missing .*kept without images"):
        cat, pairs = load_fashioniq(tmp_path, image_size=8, categories=("dress", "shirt"),
                                   images="optional")
    assert list(cat.item_ids) == ["D1", "D2", "D3", "D4", "GONE", "S1", "S2"]
    assert cat.meta["missing_images"] == 1 and cat.meta["images"] == "optional"
    assert [(p.reference, p.target, p.split) for p in pairs] == [
        (1, 0, "train"), (4, 2, "val"), (3, -1, "test"), (5, 5, "train")]
    assert cat.images(np.array([0, 5])).shape == (2, 8, 8, 3)
    with pytest.raises(FileNotFoundError, match=r"item 4 \(GONE\) has no image file under "
                                                r".*images='optional'"):
        cat.images(np.array([3, 4]))
    with pytest.raises(ValueError, match=r"images must be one of \('required', 'optional'\)"):
        load_fashioniq(tmp_path, images="maybe")


def test_tag_vocabulary_is_not_the_synthetic_schema(tmp_path):
    fixture(tmp_path, with_missing=False)
    cat, _ = load_fashioniq(tmp_path, image_size=8, categories=("dress", "shirt"))
    assert set(cat.vocab.slots) == {"texture-tags", "fabric-tags", "style-tags"}
    assert cat.ordinal_names == () and cat.ordinal.shape == (6, 0)
    assert cat.meta["cache_dir"] and cat.meta["content_hash"]


def _independent_counts(data):
    """Items per split and category, and pairs per split, counted from the files with
    plain json (an item is counted under the first split, evaluation splits first, then
    category, listing it)."""
    fiq, seen, items = data / "fashioniq", set(), {}
    for split in ("test", "val", "train"):
        for cat in ("dress", "shirt", "toptee"):
            asins = json.loads((fiq / "image_splits" / f"split.{cat}.{split}.json").read_text())
            new = [a for a in dict.fromkeys(asins) if a not in seen]
            seen.update(new)
            items.setdefault(split, {})[cat] = len(new)
    pairs = {s: sum(len(json.loads((fiq / "captions" / f"cap.{c}.{s}.json").read_text()))
                    for c in ("dress", "shirt", "toptee")) for s in ("train", "val", "test")}
    shoes = data / "shoes"
    train = set((shoes / "train_im_names.txt").read_text().split())
    evals = set((shoes / "eval_im_names.txt").read_text().split())
    kept = [e for e in json.loads((shoes / "relative_captions_shoes.json").read_text())
            if e["ImageName"] in train | evals]
    names = {n for e in kept for n in (e["ImageName"], e["ReferenceImageName"])}
    shoe_pairs = {"train": sum(e["ImageName"] in train for e in kept)}
    shoe_pairs["eval"] = len(kept) - shoe_pairs["train"]
    shoe_items = {"train": len(names & train), "test": len(names - train)}
    return items, pairs, len(seen), shoe_items, shoe_pairs, len(names)


def test_the_public_files_load_without_images(shared_data):
    from dialog_env.catalog.real import load_shoes, summary

    items, pairs, n_items, shoe_items, shoe_pairs, n_shoes = _independent_counts(shared_data)
    with pytest.warns(UserWarning) as seen:
        cat, got = load_fashioniq(shared_data / "fashioniq", images="optional")
    said = " ".join(str(w.message) for w in seen)
    assert f"{n_items} of {n_items} images missing" in said and "another category" in said
    found = summary(cat, got)
    assert found["items"] == n_items and found["missing_images"] == n_items
    assert found["items_per_split"] == items and found["pairs"] == pairs
    with pytest.warns(UserWarning, match=f"{n_shoes} of {n_shoes} images missing"):
        cat, got = load_shoes(shared_data / "shoes", images="optional")
    found = summary(cat, got)
    assert found["items"] == n_shoes and found["pairs"] == shoe_pairs
    assert {s: sum(per.values()) for s, per in found["items_per_split"].items()} == shoe_items
    with pytest.warns(UserWarning, match="left out"):
        cat, got = load_shoes(shared_data / "shoes")  # images required: nothing is left
    assert len(cat) == 0 and got == []
