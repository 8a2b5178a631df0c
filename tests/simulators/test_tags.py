"""The template shopper on a catalog of dataset tags (a real catalog: no colour or ordinal
slots, any number of tags per type)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from simulators.lexicon import make_lexicon
from simulators.tags import follows_schema, schema_slots, tag_lexicon, tag_vocabulary
from simulators.template import N_UNIFORMS, TemplateConfig, TemplateShopper
from simulators.vocab import UNK


@pytest.fixture(scope="module")
def tag_catalog(tmp_path_factory):
    from dialog_env.catalog.multiturn import load_multiturn_fashioniq
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture

    root = tmp_path_factory.mktemp("mt-fiq")
    multiturn_fixture(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog, _ = load_multiturn_fashioniq(root, categories=("dress",))
    return catalog


def test_a_tag_catalog_is_not_the_embedded_schema(tag_catalog, small_catalog):
    assert follows_schema(small_catalog.vocab) and not follows_schema(tag_catalog.vocab)
    slots = schema_slots(tag_catalog)
    assert [s.name for s in slots if not s.multi] == ["hue", "tone"]  # empty colour slots
    assert all(not s.values for s in slots if not s.multi)
    assert {s.name for s in slots if s.multi} == set(tag_catalog.vocab.slots)
    lexicon = tag_lexicon(make_lexicon(), tag_catalog)
    assert lexicon.values["collar"] == ("has", ("collar",))
    assert lexicon.values["floral"] == ("adj", ("floral",))
    vocab = tag_vocabulary(tag_catalog)
    assert all(vocab.ids(w) != [UNK] for w in ("a-line", "stripe", "collar", "casual"))


def test_template_captions_on_tags_are_true_and_path_independent(tag_catalog):
    shopper = TemplateShopper(tag_catalog, TemplateConfig(typo_rate=0.0))  # no typos: no <unk>
    rng = np.random.default_rng(0)
    n = 40
    targets = rng.integers(len(tag_catalog), size=n)
    shown = (targets + rng.integers(1, len(tag_catalog), size=n)) % len(tag_catalog)
    u = rng.random((n, N_UNIFORMS))
    batch, _ = shopper.captions(targets, shown, u)  # the array planner (n >= 16)
    single = [shopper.captions(targets[i:i + 1], shown[i:i + 1], u[i:i + 1])[0][0]
              for i in range(n)]  # the plain-Python planner
    assert [f.text for f in batch] == [f.text for f in single]
    plans, tokens, _, _ = shopper.speak(targets, shown, u)
    assert (tokens != UNK).all() and tokens.shape == (n, shopper.width)
    index = {name: j for j, name in enumerate(tag_catalog.vocab.names)}
    att = tag_catalog.attributes
    spoke = 0
    for fb, t, c in zip(batch, targets, shown):
        for m in fb.mentions:
            if m.noise is not None or m.value not in index:
                continue
            spoke += 1
            j = index[m.value]
            if m.relation == "is":
                assert att[t, j] and not att[c, j], (fb.text, m)
            elif m.relation == "not":
                assert not att[t, j] and att[c, j], (fb.text, m)
            assert m.relation in ("is", "not")  # no comparatives: no ordinal slots
    assert spoke > n // 2


def test_a_catalog_without_tags_is_refused(tag_catalog):
    import dataclasses

    from dialog_env.catalog.catalog import AttributeVocab

    bare = dataclasses.replace(tag_catalog, name="shoes-x", vocab=AttributeVocab((), (), ()),
                               attributes=np.zeros((len(tag_catalog), 0), bool))
    with pytest.raises(ValueError, match="catalog 'shoes-x' has no attribute values"):
        TemplateShopper(bare)
