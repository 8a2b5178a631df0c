import dataclasses

import numpy as np
import pytest

from simulators.base import Feedback, token_matrix
from simulators.caption_stats import caption_statistics, js_divergence, read_reference_captions
from simulators.lexicon import GLUE_WORDS, default_vocabulary, make_lexicon
from simulators.template import N_UNIFORMS, TemplateConfig, TemplateSimulator
from simulators.template.plan import plan_rows
from simulators.template.plan_array import plan_array
from simulators.vocab import UNK

QUIET = dict(wrong_rate=0.0, omit_rate=0.0, irrelevant_rate=0.0, repeat_rate=0.0,
             typo_rate=0.0)


def sample(catalog, config, n, seed=0, same_category=True, history=False):
    sim = TemplateSimulator.for_catalog(catalog, config)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = int(rng.integers(len(catalog)))
        pool = catalog.indices(category=catalog.categories[catalog.category[t]]) \
            if same_category else np.arange(len(catalog))
        c = t
        while c == t:
            c = int(pool[rng.integers(len(pool))])
        sim.reset(t, rng)
        hist = []
        if history:
            c0 = int(pool[rng.integers(len(pool))])
            if c0 != t:
                hist = [sim.feedback(c0, [])]
        out.append((t, c, sim.feedback(c, hist)))
    return out


def holds(catalog, t, c, m) -> bool:
    names = set(catalog.attribute_names(t))
    if m.relation == "found":
        return t == c
    if m.type == "category":
        return catalog.categories[catalog.category[t]] == m.value
    if m.relation == "is":
        return m.value in names
    if m.relation == "not":
        return m.value not in names
    o = catalog.ordinal_names.index(m.slot)
    level = catalog.ordinal[t, o]
    return level > m.ref_level if m.relation == "more" else level < m.ref_level


def test_feedback_never_contradicts_the_target(small_catalog):
    cfg = TemplateConfig(**{**QUIET, "repeat_rate": 0.5})
    for t, c, fb in sample(small_catalog, cfg, 3000, same_category=False, history=True):
        assert fb.mentions or fb.mode in ("same",), fb
        for m in fb.mentions:
            assert holds(small_catalog, t, c, m), (fb.text, m)


def test_shares_follow_the_configuration(small_catalog):
    fbs = [fb for _, _, fb in sample(small_catalog, TemplateConfig(**QUIET), 6000)]
    described = [f for f in fbs if f.mode in ("direct", "comparative", "mixed")]
    share = {m: sum(f.mode == m for f in described) / len(described)
             for m in ("direct", "comparative", "mixed")}
    assert abs(share["direct"] - 0.49) < 0.04
    assert abs(share["comparative"] - 0.32) < 0.04
    assert abs(share["mixed"] - 0.19) < 0.04
    single = sum(len(f.mentions) == 1 for f in described) / len(described)
    assert abs(single - 0.305) < 0.05
    negation = sum(any(m.relation == "not" for m in f.mentions) for f in described)
    assert abs(negation / len(described) - 0.035) < 0.015
    lengths = [len(f.text.split()) for f in fbs]
    assert 4.5 < np.mean(lengths) < 6.5 and max(lengths) <= 20
    other = TemplateConfig(**QUIET, mode_rates=(0.2, 0.7, 0.1))
    fbs = [fb for _, _, fb in sample(small_catalog, other, 3000)]
    comp = sum(f.mode == "comparative" for f in fbs) / len(fbs)
    assert comp > 0.55


def test_heldout_lexicon_words_never_appear_with_train_lexicon(small_catalog):
    train, test = make_lexicon("train"), make_lexicon("test")
    test_only = test.words() - train.words() - set(GLUE_WORDS)
    train_only = train.words() - test.words() - set(GLUE_WORDS)
    assert len(test_only) > 100
    for cfg, forbidden, expected in (
            (TemplateConfig(lexicon="train"), test_only, train_only),
            (TemplateConfig(lexicon="test"), train_only, test_only)):
        words = set()
        for _, _, fb in sample(small_catalog, dataclasses.replace(cfg, typo_rate=0.0), 2000,
                               history=True):
            words.update(fb.text.split())
        assert not words & forbidden, sorted(words & forbidden)[:10]
        assert len(words & expected) > 30


def test_noise_is_configurable(small_catalog):
    quiet = [fb for _, _, fb in sample(small_catalog, TemplateConfig(**QUIET), 500)]
    assert all(m.noise is None for f in quiet for m in f.mentions)
    wrong = sample(small_catalog, TemplateConfig(**{**QUIET, "wrong_rate": 1.0}), 500)
    bad = [m for t, c, f in wrong for m in f.mentions if m.noise == "wrong"]
    assert len(bad) > 100
    assert all(not holds(small_catalog, t, c, m)
               for t, c, f in wrong for m in f.mentions if m.noise == "wrong")
    irrelevant = sample(small_catalog, TemplateConfig(**{**QUIET, "irrelevant_rate": 1.0}), 50)
    assert all(f.mode == "irrelevant" and not f.mentions for _, _, f in irrelevant)
    typos = sample(small_catalog, TemplateConfig(**{**QUIET, "typo_rate": 1.0}), 200)
    assert sum(UNK in f.tokens for _, _, f in typos) > 150
    rep = sample(small_catalog, TemplateConfig(**{**QUIET, "repeat_rate": 1.0}), 300,
                 history=True)
    assert sum(any(m.noise == "repeat" for m in f.mentions) for _, _, f in rep) > 100
    omitted = sample(small_catalog, TemplateConfig(**{**QUIET, "omit_rate": 1.0}), 1000)
    assert np.mean([len(f.mentions) for _, _, f in omitted]) < \
        np.mean([len(f.mentions) for f in quiet])
    with pytest.raises(ValueError, match="typo_rate"):
        TemplateConfig(typo_rate=1.5)
    with pytest.raises(ValueError, match="mode_rates"):
        TemplateConfig(mode_rates=(0.5, 0.5, 0.5))


def test_found_and_determinism(small_catalog):
    sim = TemplateSimulator.for_catalog(small_catalog)
    sim.reset(7, np.random.default_rng(0))
    fb = sim.feedback(7, [])
    assert fb.mode == "found" and fb.mentions[0].relation == "found"
    a = [f.text for _, _, f in sample(small_catalog, TemplateConfig(), 200, seed=3)]
    b = [f.text for _, _, f in sample(small_catalog, TemplateConfig(), 200, seed=3)]
    c = [f.text for _, _, f in sample(small_catalog, TemplateConfig(), 200, seed=4)]
    assert a == b and a != c
    with pytest.raises(RuntimeError, match="reset"):
        TemplateSimulator.for_catalog(small_catalog).feedback(3, [])


def test_predicted_attributes_drive_the_captions(small_catalog):
    v = small_catalog.vocab
    predicted = small_catalog.attributes.copy()
    hues = v.indices_of_slot("hue")
    predicted[:, hues] = False
    predicted[:, v.index("red")] = True  # the attribute model thinks everything is red
    predicted[0, v.index("red")] = False
    predicted[0, v.index("blue")] = True
    sim = TemplateSimulator.for_catalog(small_catalog, TemplateConfig(**QUIET), predicted)
    rng = np.random.default_rng(0)
    said, denied = set(), set()
    for c in range(1, 400):
        sim.reset(0, rng)
        for m in sim.feedback(c, []).mentions:
            if m.slot == "hue":
                (said if m.relation == "is" else denied).add(m.value)
    assert said == {"blue"} and denied <= {"red"}
    with pytest.raises(ValueError, match="shape"):
        TemplateSimulator.for_catalog(small_catalog, attributes=predicted[:, :3])


def test_tokens_match_the_text(small_catalog):
    vocab = default_vocabulary()
    for _, _, fb in sample(small_catalog, TemplateConfig(typo_rate=0.0), 300):
        assert isinstance(fb, Feedback)
        assert vocab.decode(fb.tokens) == " ".join(vocab.tokenize(fb.text))
        assert UNK not in fb.tokens
    assert vocab.encode("is red with a bow", 3).tolist() == vocab.ids("is red with")
    assert vocab.encode("zzz", 4).tolist() == [UNK, 0, 0, 0]


def test_caption_statistics_on_a_hand_computed_example():
    s = caption_statistics(["is red", "is longer and has no sleeves", "looks nice with a bow"])
    assert s["length_mean"] == pytest.approx((2 + 6 + 5) / 3)
    assert s["shares"]["colour"] == pytest.approx(1 / 3)
    assert s["shares"]["comparative"] == pytest.approx(1 / 3)
    assert s["shares"]["and_with"] == pytest.approx(2 / 3)
    assert s["shares"]["negation"] == pytest.approx(1 / 3)
    assert js_divergence([1, 0], [1, 0]) == 0.0
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)


def test_reference_reader_reports_malformed_entries(tmp_path):
    (tmp_path / "bad.json").write_text('[{"captions": "not a list"}]')
    with pytest.raises(ValueError, match=r"bad.json: entry 0 field 'captions'"):
        read_reference_captions([tmp_path / "bad.json"])
    with pytest.raises(FileNotFoundError):
        read_reference_captions([tmp_path / "missing.json"])


def test_simulator_matches_fashion_iq_statistics(shared_data, small_catalog):
    import glob

    real = read_reference_captions(glob.glob(str(shared_data / "fashioniq/captions/*train*")))
    ref = caption_statistics(real)
    sim = caption_statistics([f.text for _, _, f in sample(small_catalog, TemplateConfig(),
                                                           6000)])
    for k in ("colour", "comparative", "and_with", "negation"):
        assert abs(sim["shares"][k] - ref["shares"][k]) < 0.05, k
    assert js_divergence(sim["length_hist"], ref["length_hist"]) < 0.02


def test_differences_match_the_attributes(small_catalog):
    """The dense difference matrix against a brute-force reading of the attribute names."""
    sim = TemplateSimulator.for_catalog(small_catalog)
    shopper, vocab = sim.shopper, small_catalog.vocab
    rng = np.random.default_rng(0)
    targets = rng.integers(0, len(small_catalog), 300)
    cands = rng.integers(0, len(small_catalog), 300)
    diff = shopper.differences(targets, cands)
    assert diff.shape == (300, len(shopper.columns.names))
    multi = {vocab.names[j] for j in shopper.columns.multi_columns}
    for t, c, row in zip(targets.tolist(), cands.tolist(), diff):
        tn, cn = set(small_catalog.attribute_names(t)), set(small_catalog.attribute_names(c))
        expected = set()
        if small_catalog.category[t] != small_catalog.category[c]:
            expected.add("category")
        for name in tn:  # a single-label slot differs when the target's value is not shown
            if name not in multi and name not in cn:
                expected.add(vocab.slots[vocab.index(name)])
        expected |= (tn ^ cn) & multi
        sim.reset(t, rng)
        assert set(sim.differences(c)) == expected, (t, c)
        assert row.sum() == len(expected)


def test_batched_captions_equal_one_at_a_time(small_catalog):
    """A caption depends only on its own row: batch size and neighbours change nothing."""
    shopper = TemplateSimulator.for_catalog(small_catalog).shopper
    rng = np.random.default_rng(1)
    n = 400
    targets = rng.integers(0, len(small_catalog), n)
    cands = np.where(rng.random(n) < 0.05, targets, rng.integers(0, len(small_catalog), n))
    u = rng.random((n, N_UNIFORMS))
    asked = (rng.random((n, len(small_catalog.vocab))) < 0.02).astype(np.int8)
    batch, made = shopper.captions(targets, cands, u, asked)
    for i in range(0, n, 7):
        one, _ = shopper.captions(targets[i:i + 1], cands[i:i + 1], u[i:i + 1], asked[i:i + 1])
        assert one[0] == batch[i]
    assert {f.mode for f in batch} >= {"found", "direct", "comparative", "mixed"}
    # Requests are remembered with their relation: 1 = "is", 2 = "not".
    for k, v, code in zip(*made):
        rel = [m.relation for m in batch[k].mentions if m.value == small_catalog.vocab.names[v]
               and m.noise is None]
        assert ("is" if code == 1 else "not") in rel
    with pytest.raises(ValueError, match="uniforms must have shape"):
        shopper.captions(targets, cands, u[:, :5])


def random_pairs(catalog, rng, n):
    """n (target, shown item) pairs, mostly of one category, the first 30 found; and
    uniforms for their captions."""
    targets = rng.integers(0, len(catalog), n)
    by_cat = [catalog.indices(category=c) for c in catalog.categories]
    same = np.array([rng.choice(by_cat[k]) for k in catalog.category[targets]])
    cands = np.where(rng.random(n) < 0.75, same, rng.integers(0, len(catalog), n))
    cands[:30] = targets[:30]
    return targets, cands, rng.random((n, N_UNIFORMS))


@pytest.mark.parametrize("config", [TemplateConfig(), TemplateConfig(
    negation_rate=0.6, repeat_rate=0.7, irrelevant_rate=0.1, mode_rates=(0.2, 0.3, 0.5))])
def test_python_plan_equals_array_plan(small_catalog, config):
    """The single env's plain-Python planner and the batched array planner agree exactly."""
    shopper = TemplateSimulator.for_catalog(small_catalog, config).shopper
    rng = np.random.default_rng(2)
    n = 3000
    targets, cands, u = random_pairs(small_catalog, rng, n)
    first, twins = {}, []  # pairs of items with identical attributes: nothing to say
    for i, row in enumerate(small_catalog.attributes):
        twins += [(first[row.tobytes()], i)] if row.tobytes() in first else []
        first.setdefault(row.tobytes(), i)
    twins = twins[:30]
    assert twins, "the catalog has near-duplicates with identical attributes"
    targets[30:30 + len(twins)], cands[30:30 + len(twins)] = np.array(twins).T
    asked = (rng.random((n, len(small_catalog.vocab))) < 0.03).astype(np.int8) * \
        rng.integers(1, 3, (n, len(small_catalog.vocab))).astype(np.int8)
    array_plan = plan_array(shopper.columns, shopper.rules, targets, cands, u, asked)
    python_plan = np.array(plan_rows(shopper.columns, shopper.rules, targets.tolist(),
                                     cands.tolist(), u.tolist(), asked))
    assert (array_plan == python_plan).all(), np.flatnonzero((array_plan != python_plan).any(1))
    assert len(np.unique(array_plan[:, 0])) == 4  # every kind of caption was planned


@pytest.mark.parametrize("config", [TemplateConfig(), TemplateConfig(
    negation_rate=0.5, repeat_rate=0.5, typo_rate=0.2, omit_rate=0.2, wrong_rate=0.2,
    filler_rate=0.5, mode_rates=(0.3, 0.3, 0.4)), TemplateConfig(lexicon="test")])
def test_array_token_assembly_equals_the_python_captions(small_catalog, config):
    """`speak` (array-assembled token ids, the batched core's path) and `captions` (text
    built in Python) give the same tokens and remember the same requests; `caption`
    rebuilds each Feedback from its plan."""
    shopper = TemplateSimulator.for_catalog(small_catalog, config).shopper
    rng = np.random.default_rng(4)
    n = 2000
    targets, cands, u = random_pairs(small_catalog, rng, n)
    asked = (rng.random((n, len(small_catalog.vocab))) < 0.03).astype(np.int8)
    for lo, hi in ((0, n), (5, 9)):  # the array planner and the small-batch Python planner
        fbs, made = shopper.captions(targets[lo:hi], cands[lo:hi], u[lo:hi], asked[lo:hi])
        plans, tokens, made2, _ = shopper.speak(targets[lo:hi], cands[lo:hi], u[lo:hi],
                                                asked[lo:hi])
        assert tokens.shape == (hi - lo, shopper.width)
        assert np.array_equal(tokens, token_matrix(fbs, shopper.width))
        assert sorted(zip(*(m.tolist() for m in made))) == \
            sorted(zip(*(m.tolist() for m in made2)))
        for i in range(0, hi - lo, 37):
            assert shopper.caption(plans[i], u[lo + i]) == fbs[i]
        assert max(len(f.tokens) for f in fbs) <= shopper.width  # nothing cut
