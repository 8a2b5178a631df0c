"""Multi-turn FashionIQ and Multi-turn Shoes catalogs from files in the published layouts
(tiny fixtures written here: data/, image_splits/, attr/)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dialog_env.catalog.multiturn import load_multiturn_fashioniq, load_multiturn_shoes
from dialog_env.catalog.schema import SPLITS


def multiturn_fixture(root, with_missing: bool = False):
    """Dress only: train and val image splits that overlap (V1) and repeat an ASIN (T1
    twice); tags in 6, 12 and 18 lists with blank tags; dialogs of 1 and 2 turns."""
    for sub in ("data", "image_splits", "attr", "images"):
        (root / sub).mkdir(parents=True)
    splits = {"train": ["T1", "T2", "T1", "V1", "T3"], "val": ["V1", "V2", "V3"]}
    for split, ids in splits.items():
        (root / "image_splits" / f"split.dress.{split}.json").write_text(json.dumps(ids))
    for k, asin in enumerate(["T1", "T2", "T3", "V1", "V2", "V3"]):
        if not (with_missing and asin == "V3"):
            Image.new("RGB", (24, 20), (30 * k, 90, 160)).save(root / "images" / f"{asin}.jpg")
    block = [["dress"], ["floral", ""], ["cotton"], ["a-line"], ["sleeve"], ["casual"]]
    other = [[""], ["stripe"], [""], [""], ["collar", "Sleeve"], ["formal"]]
    (root / "attr" / "asin2attr.dress.train.new.json").write_text(json.dumps(
        {"T1": block, "T2": other + block, "T3": other * 3, "V1": block}))
    (root / "attr" / "asin2attr.dress.val.new.json").write_text(json.dumps(
        {"V1": block, "V2": other, "V3": block + other}))

    def ref(asin, *caps):
        return [f"http://x/{asin}.jpg", list(caps), asin]

    data = {"train": [{"target": ["http://x/T2.jpg", "T2"],
                       "reference": [ref("T1", "is red", " "), ref("T3", "has a collar")]},
                      {"target": ["http://x/T3.jpg", "T3"],
                       "reference": [ref("GONE", "is blue")]}],
            "val": [{"target": ["http://x/V2.jpg", "V2"], "reference": [ref("V1", "is longer")]},
                    {"target": ["http://x/V3.jpg", "V3"],
                     "reference": [ref("V2", "is darker", "has stripes"), ref("V1", "is red")]}]}
    for split, entries in data.items():
        (root / "data" / f"dress.{split}.json").write_text(json.dumps(entries))


def test_multiturn_fashioniq_gallery_deduplicated_and_reported(tmp_path):
    multiturn_fixture(tmp_path)
    with pytest.warns(UserWarning) as seen:
        cat, dialogs = load_multiturn_fashioniq(tmp_path, image_size=8,
                                                categories=("dress",))
    said = " | ".join(str(w.message) for w in seen)
    assert "1 duplicate entries within split files" in said
    assert "1 train entries already listed in val (kept as val items)" in said
    assert "1 of 4 dialogs name an item not in the catalog" in said  # GONE
    assert list(cat.item_ids) == ["V1", "V2", "V3", "T1", "T2", "T3"]
    assert cat.split.tolist() == [1, 1, 1, 0, 0, 0]  # V1 is in both: a val item
    assert cat.meta["gallery"] == {"duplicates": 1, "overlap": {"val/train": 1},
                                   "cross_category": 0}
    # Tags from attr/*.new.json: 6, 12 and 18 lists merged, blanks dropped, lower-cased.
    assert set(cat.attribute_names(0)) == {"floral", "cotton", "a-line", "sleeve", "casual"}
    assert set(cat.attribute_names(4)) == {"floral", "stripe", "cotton", "a-line", "sleeve",
                                           "collar", "casual", "formal"}
    assert set(cat.attribute_names(5)) == {"stripe", "collar", "sleeve", "formal"}
    assert [(d.references, d.target, d.split, d.captions) for d in dialogs] == [
        ((3, 5), 4, "train", (("is red",), ("has a collar",))),
        ((0,), 1, "val", (("is longer",),)),
        ((1, 0), 2, "val", (("is darker", "has stripes"), ("is red",)))]
    assert [d.turns for d in dialogs] == [2, 1, 2]


def test_multiturn_fashioniq_missing_images(tmp_path):
    from dialog_env.catalog.real import describe, summary

    multiturn_fixture(tmp_path, with_missing=True)
    with pytest.warns(UserWarning) as seen:
        cat, dialogs = load_multiturn_fashioniq(tmp_path, categories=("dress",))
    assert "1 of 6 images missing (first: V3)" in " ".join(str(w.message) for w in seen)
    assert "V3" not in cat.item_ids and len(dialogs) == 2  # V3's dialog left out too
    with pytest.warns(UserWarning) as seen:
        cat, dialogs = load_multiturn_fashioniq(tmp_path, categories=("dress",),
                                                images="optional")
    assert "kept without images" in " ".join(str(w.message) for w in seen)
    found = summary(cat, dialogs, "dialogs")
    assert found["dialogs"] == {"train": 1, "val": 2} and found["missing_images"] == 1
    assert found["items_per_split"] == {"train": {"dress": 3}, "val": {"dress": 3}}
    text = describe(found)
    assert "dialogs val: 2" in text and "1 images missing" in text
    with pytest.raises(FileNotFoundError, match=r"item 2 \(V3\) has no image file"):
        cat.images(np.array([2]))


def test_multiturn_fashioniq_without_dialog_files_is_a_clear_error(tmp_path):
    multiturn_fixture(tmp_path)
    for f in (tmp_path / "data").iterdir():
        f.unlink()
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError,
                                                  match="no Multi-turn FashionIQ dialog"):
        load_multiturn_fashioniq(tmp_path, categories=("dress",))


def test_multiturn_shoes_chains_the_shoes_pairs(tmp_path):
    from tests.dialog_env.test_real_catalog import shoes_fixture

    shoes_fixture(tmp_path, chain=True)
    with pytest.warns(UserWarning, match="images missing"):
        cat, dialogs = load_multiturn_shoes(tmp_path, image_size=8, turns=(2,))
    ids = list(cat.item_ids)
    assert [([ids[r] for r in d.references], ids[d.target]) for d in dialogs] == [
        (["img_womens_pumps_3.jpg", "img_womens_pumps_4.jpg"], "img_womens_pumps_5.jpg")]
    assert dialogs[0].captions == (("is taller",), ("has a buckle",))


def test_an_asin_in_an_earlier_split_of_another_category_keeps_that_split(tmp_path):
    """Multi-turn FashionIQ reads val before train (val is the gallery): an ASIN listed in
    dress.train and shirt.val is a shirt *val* item, whatever the category order."""
    from dialog_env.catalog.real import read_gallery

    (tmp_path / "image_splits").mkdir()
    files = {("dress", "train"): ["X", "D"], ("dress", "val"): ["DV"],
             ("shirt", "train"): ["S"], ("shirt", "val"): ["X"]}
    for (cat, split), ids in files.items():
        (tmp_path / "image_splits" / f"split.{cat}.{split}.json").write_text(json.dumps(ids))
    with pytest.warns(UserWarning, match="1 entries already listed under another category"):
        g = read_gallery(tmp_path, ("dress", "shirt"), ("val", "train"), "test")
    items = {a: (c, s) for a, c, s in zip(g.ids, g.cats, g.splits)}
    assert items["X"] == (1, SPLITS.index("val"))
    assert g.ids == ["DV", "D", "X", "S"]  # by category, then split order, then as read


def test_a_category_with_some_split_files_missing_loads_the_others(tmp_path):
    from dialog_env.catalog.real import read_gallery

    (tmp_path / "image_splits").mkdir()
    (tmp_path / "image_splits" / "split.dress.train.json").write_text(json.dumps(["A", "B"]))
    with pytest.warns(UserWarning, match="no image-split file split.dress.val.json"):
        g = read_gallery(tmp_path, ("dress",), ("val", "train"), "test")
    assert g.ids == ["A", "B"] and set(g.splits) == {SPLITS.index("train")}
