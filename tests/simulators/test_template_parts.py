"""Parts of the template shopper: the uniform and plan layouts, the decisions and phrase
choices written once for one caption and for a batch, and the clause rules."""

import numpy as np
import pytest

from simulators.template import TemplateConfig, TemplateShopper
from simulators.template.clauses import (
    SAYING_ORDER,
    ClauseOrders,
    keep,
    lead_with_is,
    spoken,
)
from simulators.template.layout import (
    CLAUSE,
    N_ENTRIES,
    N_SPOKEN,
    N_UNIFORMS,
    PLAN_WIDTH,
    P,
    U,
)
from simulators.template.phrases import FILLERS, VERBS
from simulators.template.rules import JOIN_BOUNDS, CaptionRules, bucket, pick, wheel_point


def test_every_uniform_keeps_its_role():
    """The same seed gives the same dialogs only while each role keeps its offset."""
    assert N_UNIFORMS == 46 and PLAN_WIDTH == 25
    assert U.offsets == {
        "IRRELEVANT": 0, "MODE": 1, "COUNT": 2, "COMP_COUNT": 3, "COMP": 4, "DIRECT": 7,
        "NEGATE": 10, "NEG_PICK": 11, "REPEAT": 12, "REPEAT_PICK": 13, "OMIT": 14,
        "OMIT_PICK": 15, "WRONG": 16, "WRONG_PICK": 17, "WRONG_VALUE": 18, "TYPO": 19,
        "TYPO_WORD": 20, "TYPO_POS": 21, "FILLER": 22, "FILLER_WORDS": 23, "TONE_HUE": 24,
        "TONE_ARTICLE": 25, "CANNED": 26, "NOT_AS": 27, "COMP_FORM": 30, "DIRECT_FORM": 33,
        "NEG_FORM": 36, "REPEAT_FORM": 37, "WRONG_FORM": 38, "JOIN": 39, "SPARE": 42}
    assert P.offsets == {
        "STATUS": 0, "MODE": 1, "CATEGORY": 2, "HUE": 3, "SHOWN_HUE": 4, "TONE_HUE": 5,
        "COMP": 6, "DIRECT": 15, "NEG": 21, "FALLBACK": 22, "REPEAT": 23, "REPEAT_CODE": 24}
    assert U.span("COMP") == slice(4, 7)


def one_by_one(f, *args, lead=()):
    """`f(*lead, ...)` called on each row of the array arguments, as Python numbers."""
    return [f(*lead, *(a[i].item() for a in args)) for i in range(len(args[0]))]


def test_decisions_are_the_same_for_one_caption_and_a_batch():
    rules = CaptionRules(TemplateConfig(negation_rate=0.4, filler_rate=0.3, not_as_rate=0.5,
                                        mode_rates=(0.3, 0.3, 0.4)))
    rng = np.random.default_rng(0)
    n = 400
    u = rng.random((n, 4))
    flag = rng.random((n, 3)) < 0.5
    small = rng.integers(-1, 4, (n, 3))
    mode = rules.mode(u[:, 0], small[:, 0].clip(0))
    count, n_comp = rules.counts(mode, u[:, 1], u[:, 2])
    cases = [
        (rules.status, flag[:, 0], flag[:, 1], u[:, 0]),
        (rules.mode, u[:, 0], small[:, 0].clip(0)),
        (lambda *a: rules.counts(*a)[0], mode, u[:, 1], u[:, 2]),
        (lambda *a: rules.counts(*a)[1], mode, u[:, 1], u[:, 2]),
        (rules.names_hue, flag[:, 0], small[:, 1], u[:, 3]),
        (rules.direct_count, mode, count, n_comp, flag[:, 2]),
        (rules.not_as, flag[:, 0], u[:, 1]),
        (rules.filler, flag[:, 1], small[:, 2] + 1, u[:, 2]),
        (lambda x: bucket(x, JOIN_BOUNDS), u[:, 3]),
        (pick, u[:, 0], small[:, 1] + 2),
        (wheel_point, u[:, 1], small[:, 2] + 2),
    ]
    for f, *args in cases:
        assert np.array_equal(f(*args), one_by_one(f, *args))
    assert set(mode.tolist()) == {0, 1, 2} and set(count.tolist()) == {1, 2, 3}


def test_phrase_choices_are_the_same_for_one_clause_and_a_batch(small_catalog):
    shopper = TemplateShopper(small_catalog, TemplateConfig(not_as_rate=0.5, filler_rate=0.5))
    batch, one, rules = shopper.phrases, shopper.builder.phrases, shopper.rules
    rng = np.random.default_rng(1)
    n = 300
    v_n, c_n = len(small_catalog.vocab), len(small_catalog.categories)
    s_n, hues = shopper.columns.n_single, small_catalog.vocab.indices_of_slot("hue")
    u = rng.random((n, 4))
    level = rng.integers(0, 5, (n, 2))
    value, category = rng.integers(0, v_n, n), rng.integers(0, c_n, n)
    column = np.where(rng.random(n) < 0.2, 0, 1 + value % 5)
    cases = {  # method: (leading arguments, per-clause arrays)
        "comparative": ((rules,), (rng.integers(0, s_n, n), level[:, 0], level[:, 1], u[:, 0],
                                   u[:, 1], rng.random(n) < 0.5, u[:, 2], rng.choice(hues, n))),
        "direct_request": ((), (column, np.where(column == 0, category, value), category,
                                u[:, 0])),
        "negated": ((), (value, u[:, 1])),
        "repeated": ((), (value, rng.integers(1, 3, n), u[:, 2])),
        "canned_answer": ((), (rng.integers(1, 4, n), u[:, 3])),
        "lead": ((rules,), (rng.integers(0, len(VERBS), n), rng.integers(1, 5, n), u[:, 0],
                            u[:, 1])),
        "connector": ((), (rng.integers(0, len(VERBS), n), u[:, 2])),
    }
    for name, (lead, arrays) in cases.items():
        got = getattr(batch, name)(*lead, *arrays)
        got = list(zip(*(g.tolist() for g in got))) if isinstance(got, tuple) else got.tolist()
        assert got == one_by_one(getattr(one, name), *arrays, lead=lead), name
    assert len(set(batch.fillers.tolist())) == len(set(FILLERS))


C = CLAUSE


def test_a_negation_replaces_the_last_of_several_requests():
    assert keep((C.COMP, C.HUE, C.DIRECT, C.NEG)) == (C.COMP, C.HUE, C.NEG)
    # the last request is a comparative: the hue said inside it goes too
    assert keep((C.COMP, C.COMP + 1, C.HUE + 1, C.NEG, C.REPEAT)) == (C.COMP, C.NEG, C.REPEAT)
    assert keep((C.DIRECT, C.NEG)) == (C.DIRECT, C.NEG)  # a single request stays
    assert keep((C.NEG, C.FALLBACK)) == (C.NEG,)  # the fallback only when nothing else
    assert keep((C.FALLBACK, C.REPEAT)) == (C.FALLBACK, C.REPEAT)


def test_the_first_is_clause_goes_first():
    d = C.DIRECT
    assert lead_with_is((d, d + 1, d + 2), {d + 1, d + 2}) == (d + 1, d, d + 2)
    assert lead_with_is((d, d + 1), {d}) == (d, d + 1)
    assert lead_with_is((d, d + 1), set()) == (d, d + 1)
    # the silent hue stays where it was
    assert lead_with_is((C.COMP, C.COMP + 1, C.HUE + 1, d), {C.COMP + 1}) == \
        (C.COMP + 1, C.COMP, C.HUE + 1, d)


def test_clause_orders_of_a_batch_follow_the_rules():
    rng = np.random.default_rng(2)
    planned = rng.random((3000, N_ENTRIES)) < 0.25
    planned = planned[planned[:, :C.NEG].sum(1) <= 3]  # a plan has at most 3 requests
    is_verb = rng.random((len(planned), N_SPOKEN)) < 0.5
    orders = ClauseOrders()
    order, kept = orders(planned, is_verb)
    assert order.shape == (len(planned), 4) and kept.shape == planned.shape
    for i in range(len(planned)):
        entries = keep(tuple(e for e in SAYING_ORDER if planned[i, e]))
        said = spoken(lead_with_is(entries, set(np.flatnonzero(is_verb[i]).tolist())))
        assert order[i].tolist() == said + [N_SPOKEN] * (4 - len(said))
        assert np.flatnonzero(kept[i]).tolist() == sorted(entries)
    with pytest.raises(ValueError, match="at most 4"):
        orders(np.ones((1, N_ENTRIES), dtype=bool), np.ones((1, N_SPOKEN), dtype=bool))
