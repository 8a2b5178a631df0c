"""caption_scores: BLEU-1..4 (sacrebleu), ROUGE-L and CIDEr-D (pycocoevalcap) against values
computed by hand from the metrics' definitions, plus input validation."""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest

from simulators.caption_metrics import METRICS, caption_scores, tokenize

# Input validation runs before the libraries are imported, so only the scoring tests need them.
needs_libs = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("sacrebleu", "pycocoevalcap")),
    reason="needs sacrebleu and pycocoevalcap: pip install 'fashion-dialog[experiments]'")

CAPTIONS = [
    "is darker and has longer sleeves",
    "is red and shorter with a v neck",
    "has a floral print and no collar",
    "is more casual and less fitted",
]


def test_tokenize_lowercases_and_strips_punctuation():
    assert tokenize("Doesn't have a T-shirt/V-neck, LOL!") == [
        "doesnt", "have", "a", "t", "shirt", "v", "neck", "lol"]
    assert tokenize("  ...  ") == []


@needs_libs
def test_identical_captions_score_100():
    # A second, different reference for each hypothesis (and a variable count) must not
    # lower the scores: the hypothesis matches one reference exactly.
    refs = [[c, "is lighter"] if i % 2 else [c] for i, c in enumerate(CAPTIONS)]
    s = caption_scores(list(CAPTIONS), refs)
    assert s["n"] == len(CAPTIONS)
    for n in range(1, 5):
        assert s[f"BLEU-{n}"] == pytest.approx(100.0)
    assert s["ROUGE-L"] == pytest.approx(100.0)
    # CIDEr-D with one reference each: every hypothesis's tf-idf vector equals its
    # reference's at each order 1..4 (cosine 1; "and", in all 4 reference sets, has idf 0
    # but the other n-grams do not), no length penalty: 10 * mean(1, 1, 1, 1) per image.
    single = caption_scores(list(CAPTIONS), [[c] for c in CAPTIONS])
    assert single["CIDEr"] == pytest.approx(1000.0)


@needs_libs
def test_case_and_punctuation_do_not_matter():
    s = caption_scores(["Is darker, and has LONGER sleeves!"],
                       [["is darker and has longer sleeves"]])
    for n in range(1, 5):
        assert s[f"BLEU-{n}"] == pytest.approx(100.0)
    assert s["ROUGE-L"] == pytest.approx(100.0)


@needs_libs
def test_disjoint_hypotheses_score_0():
    s = caption_scores(["purple polka dots", "sleeveless tank top"],
                       [[CAPTIONS[0]], [CAPTIONS[1], CAPTIONS[2]]])
    for name in METRICS:
        assert s[name] == 0.0, name


@needs_libs
def test_bleu_by_hand():
    # h1 = "is darker and darker longer" (5 words), refs "is darker and has longer sleeves"
    # (6) and "darker" (1); h2 = "red" (1), ref "is red and shorter" (4).
    # Closest reference lengths: 6 for h1 (|6-5| = 1), 4 for h2: r = 10, c = 6,
    # brevity penalty BP = exp(1 - r/c) = exp(-2/3). (Padding h2's missing second reference
    # with '' instead of None would make its closest length 0, r = 6 and BP = 1.)
    # Modified (clipped) precisions: unigrams: h1 is, darker, and, longer match, the second
    # "darker" is clipped (max count in any reference is 1): 4/5; h2 red: 1/1 -> p1 = 5/6.
    # Bigrams: h1 "is darker", "darker and" match; "and darker", "darker longer" do not;
    # h2 has none -> p2 = 2/4. Trigrams: "is darker and" only -> p3 = 1/3. 4-grams 0/2.
    hyps = ["is darker and darker longer", "red"]
    refs = [["is darker and has longer sleeves", "darker"], ["is red and shorter"]]
    s = caption_scores(hyps, refs)
    bp = math.exp(-2 / 3)
    p1, p2, p3 = 5 / 6, 2 / 4, 1 / 3
    assert s["BLEU-1"] == pytest.approx(100 * bp * p1)  # 42.78
    assert s["BLEU-2"] == pytest.approx(100 * bp * (p1 * p2) ** (1 / 2))  # 33.14
    assert s["BLEU-3"] == pytest.approx(100 * bp * (p1 * p2 * p3) ** (1 / 3))  # 26.59
    assert s["BLEU-4"] == 0.0  # no matching 4-gram, no smoothing (as in coco-caption)


@needs_libs
def test_sacrebleu_published_examples():
    # The sacrebleu README ("Using SacreBLEU from Python" and "Variable Number of
    # References", https://github.com/mjpost/sacrebleu) documents these corpus scores for its
    # default BLEU (13a tokenisation, mixed case, exp smoothing):
    #   BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
    # and, with the first reference of the first sentence removed (None or ''):
    #   BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)
    # This pins the library behaviour caption_scores relies on (None-padded streams).
    from sacrebleu.metrics import BLEU

    sys_ = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    refs = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
            ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]]
    full = BLEU().corpus_score(sys_, refs)
    assert round(full.score, 2) == 48.53
    assert [round(p, 1) for p in full.precisions] == [82.4, 50.0, 45.5, 37.5]
    assert (full.sys_len, full.ref_len) == (17, 18)
    refs[0][0] = None
    var = BLEU().corpus_score(sys_, refs)
    assert round(var.score, 2) == 29.44
    assert [round(p, 1) for p in var.precisions] == [82.4, 42.9, 27.3, 12.5]
    assert (var.sys_len, var.ref_len) == (17, 19)


@needs_libs
def test_rouge_l_by_hand():
    # coco-caption ROUGE-L: P = max_j LCS/|hyp|, R = max_j LCS/|ref_j| (taken separately over
    # the references), F = (1 + b^2) P R / (R + b^2 P) with b = 1.2, averaged over hypotheses.
    # h1 = "is darker and has short sleeves" (6 words):
    #   ref "is darker with long sleeves" (5): LCS "is darker sleeves" = 3 -> P 3/6, R 3/5;
    #   ref "has shorter sleeves" (3): LCS "has sleeves" = 2 -> P 2/6, R 2/3.
    #   P = 1/2, R = 2/3.  h2 equals its reference: F = 1.
    hyps = ["is darker and has short sleeves", "is red"]
    refs = [["is darker with long sleeves", "has shorter sleeves"], ["is red"]]
    p, r, b2 = 1 / 2, 2 / 3, 1.2**2
    f1 = (1 + b2) * p * r / (r + b2 * p)
    assert caption_scores(hyps, refs)["ROUGE-L"] == pytest.approx(100 * (f1 + 1) / 2)  # 79.33


@needs_libs
def test_cider_d_by_hand():
    # CIDEr-D (Vedantam et al. 2015; coco-caption): g_k = tf * log(N / df_k), df over the N
    # reference sets; per order n, sum_j exp(-(l_c - l_j)^2 / (2 sigma^2)) *
    # <min(g(c), g(s_j)), g(s_j)> / (|g(c)| |g(s_j)|) / m; mean over n = 1..4; times 10.
    # N = 2: refs "a b c" and "c d"; df(c) = 2 (idf 0), every other n-gram df 1 (idf L).
    # h1 = "a b": order 1: g(c) = (L, L), ref (L, L, 0) -> cosine 1; order 2: g(c) = (L),
    #   ref "a b", "b c" = (L, L) -> L^2 / (L * sqrt(2) L) = 1/sqrt(2); orders 3, 4: 0.
    #   Length 2 vs 3: penalty exp(-1/72). Score 10 * exp(-1/72) * (1 + 1/sqrt(2)) / 4.
    # h2 = "d": order 1: g(c) = (L), ref (0, L) -> 1; others 0. Score 10 * exp(-1/72) / 4.
    s = caption_scores(["a b", "d"], [["a b c"], ["c d"]])
    pen = math.exp(-1 / (2 * 6.0**2))
    per_image = [10 * pen * (1 + 1 / math.sqrt(2)) / 4, 10 * pen / 4]
    assert s["CIDEr"] == pytest.approx(100 * sum(per_image) / 2)  # 333.72


@needs_libs
def test_cider_d_exact_beats_partial():
    # Same references (so the same idf); only the first hypothesis changes.
    refs = [[c] for c in CAPTIONS]
    rest = list(CAPTIONS[1:])
    exact = caption_scores([CAPTIONS[0], *rest], refs)["CIDEr"]
    partial = caption_scores(["is darker with short sleeves", *rest], refs)["CIDEr"]
    disjoint = caption_scores(["purple polka dots", *rest], refs)["CIDEr"]
    assert exact > partial > disjoint
    # A corpus of one reference set has idf log(1/1) = 0 for every n-gram: CIDEr-D is 0.
    assert caption_scores([CAPTIONS[0]], [[CAPTIONS[0]]])["CIDEr"] == 0.0


@needs_libs
def test_empty_hypothesis_scores_0():
    s = caption_scores(["", CAPTIONS[1]], [[CAPTIONS[0]], [CAPTIONS[1]]])
    assert s["n"] == 2
    assert s["ROUGE-L"] == pytest.approx(50.0)


@pytest.mark.parametrize(("hyps", "refs", "exc", "match"), [
    (["a", "b"], [["a"]], ValueError, "2 hypotheses but 1 reference"),
    ([], [], ValueError, "no hypotheses"),
    ("a b", [["a b"]], TypeError, "hypotheses must be a list"),
    (["a"], "a", TypeError, "references must be a list"),
    (["a", 3], [["a"], ["b"]], TypeError, r"hypotheses\[1\] must be a str, got int"),
    (["a", "b"], [["a"], []], ValueError, r"references\[1\] is empty"),
    (["a", "b"], [["a"], "b"], TypeError, r"references\[1\] must be a list of str, got str"),
    (["a", "b"], [["a"], ["b", None]], TypeError,
     r"references\[1\]\[1\] must be a str, got NoneType"),
    (["a"], [["a", " ?! "]], ValueError, r"references\[0\]\[1\] has no words"),
])
def test_input_errors(hyps, refs, exc, match):
    with pytest.raises(exc, match=match):
        caption_scores(hyps, refs)


def test_missing_libraries_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    monkeypatch.setitem(sys.modules, "sacrebleu.metrics", None)
    with pytest.raises(ImportError, match=r"fashion-dialog\[experiments\]"):
        caption_scores(["a"], [["a"]])
