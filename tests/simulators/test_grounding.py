"""The grounding parser: real captions -> mentions over the catalog's vocabulary, and the
truth of mentions for (target, shown) pairs."""

from __future__ import annotations

import numpy as np
import pytest

from simulators.grounding import Truth, parse, tokenize


def said(text: str, category: str = "dress") -> set[tuple[str, str, str]]:
    return {(m.slot, m.value, m.relation) for m in parse(text, category).mentions}


def test_negation_scope():
    assert said("has no buttons", "shirt") == {("parts", "buttons", "not")}
    assert said("is not black") == {("hue", "black", "not")}
    assert said("has no buttons or pockets", "shirt") == {("parts", "buttons", "not"),
                                                          ("parts", "pockets", "not")}
    # "and" ends the scope; "no sleeves" is the value sleeveless, "sleeves" denies it.
    assert said("has no pockets and is red", "shirt") == {("parts", "pockets", "not"),
                                                          ("hue", "red", "is")}
    assert said("has no sleeves") == {("sleeve", "sleeveless", "is")}
    assert said("has sleeves") == {("sleeve", "sleeveless", "not")}
    assert said("is less floral") == {("pattern", "floral", "not")}


def test_comparatives():
    assert said("is darker") == {("tone", "tone", "more")}
    assert said("has longer sleeves") == {("sleeve", "sleeve", "more")}
    assert said("is longer") == {("length", "length", "more")}
    assert said("is more fitted") == {("fit", "fit", "less")}  # toward the fitted end
    assert said("is more flowing") == {("fit", "fit", "more")}
    assert said("is less shiny", "shoes") == {("shine", "shine", "less")}
    assert said("has a higher heel", "shoes") == {("heel", "heel", "more")}
    assert said("is not darker") == set()  # nothing definite


def test_two_attributes_and_full_grounding():
    g = parse("is red with a v-neck", "toptee")
    assert {(m.slot, m.value, m.relation) for m in g.mentions} == {
        ("hue", "red", "is"), ("neckline", "v-neck", "is")}
    assert g.status == "full" and g.unparsed == ()
    assert tokenize("V-Neck, 3/4 sleeves") == ["v", "neck", "3/4", "sleeves"]
    assert said("is gray and has 3/4 sleeves") == {("hue", "grey", "is"),
                                                   ("sleeve", "elbow-sleeve", "is")}


def test_nothing_groundable_and_category_limits():
    g = parse("is more whimsical", "dress")
    assert g.status == "none" and g.mentions == () and g.unparsed == ("whimsical",)
    # A shoe has no length slot; a dress has no heel.
    assert parse("is longer", "shoes").status == "none"
    assert said("has a higher heel", "dress") == set()
    p = parse("is black with a bird on it", "shirt")
    assert p.status == "partial" and "bird" in p.unparsed
    with pytest.raises(ValueError, match="unknown category 'hat'"):
        parse("is red", "hat")


def test_truth_reads_the_ground_truth(small_catalog):
    cat = small_catalog
    truth = Truth(cat)
    dresses = cat.indices(category="dress")
    lv = truth.levels["tone"]
    t, s = next((int(a), int(b)) for a in dresses for b in dresses if lv[a] > lv[b] >= 0)
    darker = parse("is darker", "dress").mentions
    assert truth.all(darker, t, s) and not truth.all(darker, s, t)
    hue = next(v for v in cat.attribute_names(t) if v in
               ("black", "white", "grey", "navy", "blue", "red", "pink", "green", "yellow",
                "orange", "purple", "brown", "beige", "maroon", "teal", "silver", "gold"))
    assert truth.all(parse(f"is {hue}", "dress").mentions, t, s)
    assert not truth.all(parse(f"is not {hue}", "dress").mentions, t, s)
    found = parse("is identical", "dress").mentions
    assert found == () and truth.all(found, t, s)  # nothing groundable is never false
    assert np.all(lv[cat.indices(category="shoes")] >= 0)
