"""Reading the public relative-caption files (exact published formats, tiny fixtures)."""

from __future__ import annotations

import json

import pytest

from dialog_env.catalog.real_pairs import (
    join_captions,
    read_fashioniq_pairs,
    read_fashioniq_split,
    read_shoes_pairs,
)


def write_fiq(root, entries: dict, splits: dict | None = None):
    (root / "captions").mkdir(parents=True)
    (root / "image_splits").mkdir()
    for name, data in entries.items():
        (root / "captions" / name).write_text(json.dumps(data))
    for name, data in (splits or {}).items():
        (root / "image_splits" / name).write_text(json.dumps(data))


def test_fashioniq_pairs_and_splits(tmp_path):
    write_fiq(tmp_path, {
        "cap.dress.train.json": [{"target": "B1", "candidate": "B2",
                                  "captions": [" yello and more flowing", "is longer."]}],
        "cap.dress.test.json": [{"candidate": "B3", "captions": ["is red", "has no sleeves"]}],
    }, {"split.dress.val.json": ["B1", "B2", "B1"]})
    pairs = read_fashioniq_pairs(tmp_path, categories=("dress",), splits=("train", "test"))
    assert [(p.reference, p.target, p.split) for p in pairs] == [("B2", "B1", "train"),
                                                                 ("B3", None, "test")]
    assert join_captions(pairs[0].captions) == "yello and more flowing and is longer"
    assert join_captions(pairs[0].captions, "inaddition") == \
        "yello and more flowing inadditiontothat is longer"
    assert join_captions(pairs[1].captions, "cls") == "[CLS] is red [SEP] has no sleeves"
    assert read_fashioniq_split(tmp_path, "dress", "val") == ["B1", "B2"]


@pytest.mark.parametrize("entry, message", [
    ({"candidate": "B2", "captions": ["a"]}, "entry 1 has no field 'target'"),
    ({"target": "B1", "candidate": 7, "captions": ["a"]}, "entry 1 field 'candidate' must"),
    ({"target": "B1", "candidate": "B2", "captions": "a"}, "entry 1 field 'captions' must"),
    ({"target": "B1", "candidate": "B2", "captions": []}, "entry 1 field 'captions' must"),
    ("B1", "entry 1 is not an object"),
])
def test_fashioniq_malformed_entries_are_named(tmp_path, entry, message):
    good = {"target": "B1", "candidate": "B2", "captions": ["a", "b"]}
    write_fiq(tmp_path, {"cap.shirt.train.json": [good, entry]})
    with pytest.raises(ValueError, match=r"cap\.shirt\.train\.json: " + message):
        read_fashioniq_pairs(tmp_path, categories=("shirt",), splits=("train",))


def test_fashioniq_file_errors(tmp_path):
    write_fiq(tmp_path, {"cap.shirt.train.json": {"not": "a list"}})
    with pytest.raises(ValueError, match="expected a JSON list of pairs, got dict"):
        read_fashioniq_pairs(tmp_path, categories=("shirt",), splits=("train",))
    with pytest.raises(FileNotFoundError, match=r"cap\.toptee\.train\.json does not exist"):
        read_fashioniq_pairs(tmp_path, categories=("toptee",), splits=("train",))
    (tmp_path / "captions" / "cap.dress.train.json").write_text("[{")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_fashioniq_pairs(tmp_path, categories=("dress",), splits=("train",))
    with pytest.raises(ValueError, match="unknown Fashion IQ category 'hat'"):
        read_fashioniq_pairs(tmp_path, categories=("hat",))
    with pytest.raises(ValueError, match="unknown caption join style"):
        join_captions(["a"], "semicolon")


def test_shoes_pairs_split_by_target_membership(tmp_path):
    (tmp_path / "relative_captions_shoes.json").write_text(json.dumps([
        {"ImageName": "img_womens_clogs_851.jpg", "ReferenceImageName":
         "img_womens_clogs_512.jpg", "RelativeCaption": "is more of a textured material"},
        {"ImageName": "img_womens_high_heels_838.jpg", "ReferenceImageName":
         "img_womens_high_heels_848.jpg", "RelativeCaption": "has less strap design"},
        {"ImageName": "img_womens_pumps_1.jpg", "ReferenceImageName": "img_womens_pumps_2.jpg",
         "RelativeCaption": "is red"}]))
    (tmp_path / "train_im_names.txt").write_text("img_womens_clogs_851.jpg\n")
    (tmp_path / "test_im_names.txt").write_text("img_womens_high_heels_838.jpg\n")  # old name
    pairs = read_shoes_pairs(tmp_path)
    assert [(p.category, p.split, p.captions) for p in pairs] == [
        ("clogs", "train", ("is more of a textured material",)),
        ("high_heels", "eval", ("has less strap design",))]
    data = json.loads((tmp_path / "relative_captions_shoes.json").read_text())
    data[1]["ImageName"] = "shoe.png"
    (tmp_path / "relative_captions_shoes.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="entry 1 field 'ImageName' 'shoe.png' is not"):
        read_shoes_pairs(tmp_path)
    (tmp_path / "test_im_names.txt").unlink()
    with pytest.raises(FileNotFoundError, match="needs train_im_names.txt and eval_im_names"):
        read_shoes_pairs(tmp_path)


def test_the_public_files(shared_data):
    fiq = read_fashioniq_pairs(shared_data / "fashioniq", splits=FIQ_ALL)
    assert sum(len(p.captions) for p in fiq if p.split == "train") == 36_000
    assert all(p.target is None for p in fiq if p.split == "test")
    assert all(p.target for p in fiq if p.split != "test")
    shoes = read_shoes_pairs(shared_data / "shoes")
    assert len(shoes) == 10_751 and {p.split for p in shoes} == {"train", "eval"}
    gallery = read_fashioniq_split(shared_data / "fashioniq", "dress", "val")
    assert len(gallery) == len(set(gallery)) > 1000


FIQ_ALL = ("train", "val", "test")


def test_multiturn_fashioniq_transactions(tmp_path):
    from dialog_env.catalog.real_pairs import read_multiturn_fashioniq

    (tmp_path / "data").mkdir()
    good = {"target": ["http://x/T.jpg", "T"],
            "reference": [["http://x/A.jpg", ["is darker", "  "], "A"],
                          ["http://x/B.jpg", ["has sleeves", "is longer"], "B"]]}
    (tmp_path / "data" / "dress.train.json").write_text(json.dumps([good]))
    (t,) = read_multiturn_fashioniq(tmp_path, categories=("dress",), splits=("train",))
    assert t.references == ("A", "B") and t.target == "T" and t.turns == 2
    assert t.captions == (("is darker",), ("has sleeves", "is longer"))  # blanks dropped
    for bad, message in (
            ({**good, "target": "T"}, r"field 'target' must be \[url, ..., asin\]"),
            ({**good, "reference": []}, "field 'reference' must list 1-4 references"),
            ({**good, "reference": [["u", ["  "], "A"]]}, r"field 'reference'\[0\] has no"),
            ({**good, "reference": [["u", "is red", "A"]]}, r"field 'reference'\[0\] must be")):
        (tmp_path / "data" / "dress.train.json").write_text(json.dumps([good, bad]))
        with pytest.raises(ValueError, match=r"dress\.train\.json: entry 1 " + message):
            read_multiturn_fashioniq(tmp_path, categories=("dress",), splits=("train",))
    with pytest.raises(ValueError, match="splits train and val, not 'test'"):
        read_multiturn_fashioniq(tmp_path, categories=("dress",), splits=("test",))


def test_chained_pairs_make_multiturn_transactions():
    from dialog_env.catalog.real_pairs import Pair, chain_pairs

    pairs = [Pair("a", "b", ("1",), "boots", "train"), Pair("b", "c", ("2",), "boots", "train"),
             Pair("c", "d", ("3",), "boots", "train"), Pair("c", "a", ("x",), "boots", "train"),
             Pair("b", "z", ("4",), "boots", "eval")]  # another split never continues
    three = chain_pairs(pairs, 3)
    assert [(t.references, t.target) for t in three] == [(("a", "b", "c"), "d")]
    assert three[0].captions == (("1",), ("2",), ("3",))
    assert [t.references for t in chain_pairs(pairs, 2)] == [("a", "b"), ("b", "c"), ("c", "a")]
    assert chain_pairs(pairs, 4) == []  # c -> a would revisit a
    with pytest.raises(ValueError, match="turns must be >= 1"):
        chain_pairs(pairs, 0)


def test_multiturn_shoes_from_the_public_pairs(shared_data):
    from dialog_env.catalog.real_pairs import chain_pairs

    shoes = read_shoes_pairs(shared_data / "shoes")
    counts = {n: len(chain_pairs(shoes, n)) for n in (2, 3, 4)}
    assert counts[2] >= counts[3] >= counts[4] > 0


def test_attribute_tags_in_six_twelve_or_eighteen_lists(tmp_path):
    from dialog_env.catalog.real_pairs import read_attribute_tags

    block = [["dress"], ["floral", ""], ["cotton"], ["a-line"], ["sleeve"], ["casual"]]
    again = [["dress"], ["floral", "lace"], [""], [], ["collar"], []]
    path = tmp_path / "asin2attr.dress.train.new.json"
    path.write_text(json.dumps({"B1": block, "B2": block + again, "B3": block * 3}))
    tags = read_attribute_tags(path)
    assert tags["B1"] == {"texture": ("floral",), "fabric": ("cotton",), "shape": ("a-line",),
                          "part": ("sleeve",), "style": ("casual",)}
    assert tags["B2"]["texture"] == ("floral", "lace") and tags["B2"]["part"] == ("sleeve",
                                                                                 "collar")
    assert tags["B3"] == tags["B1"]
    path.write_text(json.dumps({"B1": block, "B2": block[:5]}))
    with pytest.raises(ValueError, match=r"entry 1 \('B2'\) must be 6 \(or 12, 18\) lists"):
        read_attribute_tags(path)


def test_images_are_found_in_the_common_layouts_and_missing_ones_reported(tmp_path):
    from dialog_env.catalog.real_pairs import describe_missing, find_images

    (tmp_path / "images" / "dress").mkdir(parents=True)
    (tmp_path / "images" / "dress" / "B1.jpg").write_bytes(b"x")
    (tmp_path / "resized_images").mkdir()
    (tmp_path / "resized_images" / "B2.png").write_bytes(b"x")
    (tmp_path / "img" / "dress").mkdir(parents=True)
    (tmp_path / "img" / "dress" / "B3").write_bytes(b"x")  # no extension
    shoe = tmp_path / "attributedata" / "womens_clogs" / "1" / "img_womens_clogs_7.jpg"
    shoe.parent.mkdir(parents=True)
    shoe.write_bytes(b"x")
    found, missing = find_images(tmp_path, ["B1", "B2", "B3", "B4", "B5"], "dress")
    assert sorted(found) == ["B1", "B2", "B3"] and missing == ["B4", "B5"]
    assert describe_missing(missing, 5) == "2 of 5 images missing (first: B4, B5)"
    assert describe_missing([], 5) == ""
    found, missing = find_images(tmp_path, ["img_womens_clogs_7.jpg"], "clogs")
    assert found["img_womens_clogs_7.jpg"] == shoe and missing == []
