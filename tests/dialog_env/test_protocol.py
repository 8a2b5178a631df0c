"""A protocol file carries its catalog's identity, its split and its length, and is refused
(naming the file and the field) when any of them differs from what the caller runs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dialog_env.protocol import (
    catalog_fingerprint,
    load_protocol,
    make_protocol,
    protocol_filename,
    save_protocol,
)


def write(tmp_path, protocol, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(protocol))
    return path


def test_protocol_records_its_catalog_split_and_length(small_catalog, tmp_path):
    p = make_protocol(small_catalog, "val", 7, seed=2)
    assert p["catalog"] == small_catalog.name and p["n_items"] == len(small_catalog)
    assert p["catalog_fingerprint"] == catalog_fingerprint(small_catalog)
    assert p["split"] == "val" and p["n_dialogs"] == 7 and len(p["pairs"]) == 7
    path = save_protocol(p, tmp_path / "p.json")
    assert load_protocol(path, small_catalog, split="val", n_dialogs=7) == p


def test_protocol_of_another_catalog_is_refused(small_catalog, tmp_path):
    path = save_protocol(make_protocol(small_catalog, "test", 20), tmp_path / "p.json")
    renamed = dataclasses.replace(small_catalog, name="synthetic-seed9-n1500")
    with pytest.raises(ValueError, match=r"p\.json: field 'catalog' is"):
        load_protocol(path, renamed)
    # Same name and size, other content (another catalog seed would change the item ids).
    ids = [f"other-{i}" for i in range(len(small_catalog))]
    other = dataclasses.replace(small_catalog, item_ids=ids)
    with pytest.raises(ValueError, match=r"p\.json: field 'catalog_fingerprint'"):
        load_protocol(path, other)
    reshuffled = dataclasses.replace(small_catalog, split=small_catalog.split[::-1].copy())
    with pytest.raises(ValueError, match="catalog_fingerprint"):
        load_protocol(path, reshuffled)


def test_protocol_split_and_length_must_match(small_catalog, tmp_path):
    path = save_protocol(make_protocol(small_catalog, "val", 1), tmp_path / "p.json")
    with pytest.raises(ValueError, match=r"p\.json: field 'split' is 'val' but .* 'test'"):
        load_protocol(path, small_catalog, split="test")
    with pytest.raises(ValueError, match=r"p\.json: field 'n_dialogs' is 1 but .* 2"):
        load_protocol(path, small_catalog, split="val", n_dialogs=2)
    p = make_protocol(small_catalog, "val", 3)
    p["pairs"] = p["pairs"][:2]  # truncated by hand
    with pytest.raises(ValueError, match="'pairs' holds 2 entries but 'n_dialogs' says 3"):
        load_protocol(write(tmp_path, p), small_catalog)


def test_targets_outside_the_split_or_candidates_of_another_category_are_refused(
        small_catalog, tmp_path):
    p = make_protocol(small_catalog, "test", 10, seed=4)
    train_item = int(small_catalog.indices("train")[0])
    bad = json.loads(json.dumps(p))
    bad["pairs"][3][0] = train_item
    with pytest.raises(ValueError, match=rf"pairs\[3\] target {train_item} is a 'train' item"):
        load_protocol(write(tmp_path, bad), small_catalog)
    bad = json.loads(json.dumps(p))
    t = bad["pairs"][5][0]
    other = int(np.flatnonzero(small_catalog.category != small_catalog.category[t])[0])
    bad["pairs"][5][1] = other
    with pytest.raises(ValueError, match=rf"pairs\[5\] first candidate {other} is"):
        load_protocol(write(tmp_path, bad), small_catalog)
    # Without the catalog the file alone is still checked for shape and range.
    assert load_protocol(write(tmp_path, bad))["split"] == "test"


def test_old_protocol_files_without_catalog_identity_are_refused(small_catalog, tmp_path):
    p = make_protocol(small_catalog, "test", 5)
    for field in ("catalog_fingerprint", "n_dialogs"):
        old = {k: v for k, v in p.items() if k != field}
        with pytest.raises(ValueError, match=f"missing field '{field}'"):
            load_protocol(write(tmp_path, old), small_catalog)
    with pytest.raises(ValueError, match="a protocol is a JSON object"):
        load_protocol(write(tmp_path, []), small_catalog)


def test_protocol_file_names_differ_between_catalogs(small_catalog):
    other = dataclasses.replace(small_catalog, item_ids=[f"x{i}" for i in
                                                         range(len(small_catalog))])
    names = {protocol_filename(small_catalog, "test", 10),
             protocol_filename(other, "test", 10), protocol_filename(small_catalog, "val", 10),
             protocol_filename(small_catalog, "test", 11),
             protocol_filename(small_catalog, "test", 10, seed=1)}
    assert len(names) == 5
