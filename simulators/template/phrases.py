"""The phrase table: every phrase a caption is said from, numbered, and what a clause says.

A caption is a lead (a verb or a filler) and a phrase, then a connector and a phrase per
later clause: at most `MAX_PIECES` numbered phrases. The caption builder (`compose`) joins
their texts and token ids; the array path (`assemble`) gathers their token ids. Both pick
the phrase numbers with the same methods of `PhraseTable`, which take one clause (Python
numbers) or a batch of clauses (arrays): the wording lives here only.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from simulators.lexicon import Lexicon
from simulators.template.layout import FOUND, IRRELEVANT, MAX_SPOKEN, SAME
from simulators.template.rules import (
    ARTICLE_AT,
    JOIN_BOUNDS,
    CaptionRules,
    Num,
    bucket,
    pick,
    where,
)
from simulators.vocab import Vocabulary

VERBS = ("is", "has", "has no", "is not")
IS, HAS, HAS_NO, IS_NOT = range(len(VERBS))
FILLERS = ("should be", "should be", "needs to be", "i want it to be")
# The connector before a later clause, by its verb (rows, as VERBS) and by the bucket of
# its uniform (columns: < 0.5, < 0.6, < 0.75, else; see `rules.JOIN_BOUNDS`).
CONNECTORS = (("and", "and", "and is", "and is"),
              ("with", "with", "and has", "and has"),
              ("with no", "without", "without", "but has no"),
              ("but not", "but not", "and is not", "and is not"))
MAX_PIECES = 2 * MAX_SPOKEN  # lead, phrase, then (connector, phrase) per later clause


class PhraseTable:
    """Numbered phrases (0: the empty phrase) with their `texts` and `tokens`, and lookup
    arrays from what a clause says to phrase numbers (and verbs, indices into VERBS).

    verbs (4,), fillers (4,), connectors (4, buckets): leads and joins
    forms (V, F), n_forms (V,): each attribute value's forms ("red", "red colored")
    direct (V, F, C), direct_verb (V,): a direct request by value, form and the target's
        category (item kinds name it: "a wrap dress"); categories (C,): "a dress", "shoes"
    negated_verb (V,): "has no" / "is not"; repeat_verb (V, 3): by request code (1 is, 2 not)
    comp, comp_verb (S, 2, G), comp_n (S, 2): comparatives by single-label slot, side
        (0: more, 1: less) and form; not_as, not_as_verb (S, 2), has_not_as (S,)
    tone_hue (2, 2, V, F): "a darker blue" by article, side, hue value and hue form
    canned (4, K), canned_n (4,): whole answers by status ("is the one")
    noun (V,): values said as item kinds ("an a-line"): never negated or remembered
    token_ids (P, L), lengths (P,): token ids of the P phrases, padded with 0
    """

    def __init__(self, lexicon: Lexicon, values: Sequence[str], value_slots: Sequence[str],
                 categories: Sequence[str], single_slots: Sequence[str], vocab: Vocabulary):
        self.texts: list[str] = [""]
        self._numbers = {"": 0}
        kinds = [lexicon.values[v][0] for v in values]
        forms = [lexicon.values[v][1] for v in values]
        self.noun = np.array([k == "noun" for k in kinds])
        has = np.array([k == "has" for k in kinds])
        self.verbs = self.numbers(VERBS)
        self.fillers = self.numbers(FILLERS)
        self.connectors = self.numbers(CONNECTORS)
        self.n_forms = np.array([len(f) for f in forms])
        f_n = int(self.n_forms.max())
        self.forms = self.numbers([_padded(f, f_n) for f in forms])
        nouns = [lexicon.categories[c] for c in categories]
        self.direct = self.numbers([[[f"{form} {noun}" if kind == "noun" and form else form
                                      for noun in nouns] for form in _padded(f, f_n)]
                                    for kind, f in zip(kinds, forms)])
        self.categories = self.numbers([f"{'' if c == 'shoes' else 'a '}{noun}"
                                         for c, noun in zip(categories, nouns)])
        self.direct_verb = np.where(has, HAS, IS)
        self.negated_verb = np.where(has, HAS_NO, IS_NOT)
        self.repeat_verb = np.stack([self.direct_verb, self.direct_verb, self.negated_verb], 1)
        self.tone_hue = self.numbers([[[[
            f"{'a ' if article else ''}{word} {form.split()[0]}" if slot == "hue" and form
            else "" for form in _padded(f, f_n)] for f, slot in zip(forms, value_slots)]
            for word in lexicon.tone_words] for article in (0, 1)])
        self._comparatives(lexicon, single_slots)
        answers = {FOUND: lexicon.found, SAME: lexicon.same, IRRELEVANT: lexicon.irrelevant}
        self.canned_n = np.array([len(answers.get(s, ("",))) for s in range(4)])
        self.canned = self.numbers([_padded(answers.get(s, ("",)), int(self.canned_n.max()))
                                    for s in range(4)])
        self.tokens = [tuple(vocab.ids(text)) for text in self.texts]
        self.lengths = np.array([len(t) for t in self.tokens])
        self.token_ids = np.zeros((len(self.tokens), self.lengths.max()), dtype=np.int64)
        for p, ids in enumerate(self.tokens):
            self.token_ids[p, :len(ids)] = ids
        self.width = MAX_PIECES * self.token_ids.shape[1]  # token ids per caption

    def _comparatives(self, lexicon: Lexicon, single_slots: Sequence[str]) -> None:
        """Comparative phrases ("is" / "has" and the rest) of each single-label slot."""
        def split(phrases: Sequence[str], n: int) -> tuple[list[int], list[int]]:
            verbs, rests = zip(*(p.partition(" ")[::2] for p in _padded(phrases, n)))
            return [VERBS.index(v) if v else IS for v in verbs], list(rests)

        sides = [lexicon.comparatives.get(s, ((), ())) for s in single_slots]
        self.comp_n = np.array([[max(len(p), 1) for p in pair] for pair in sides])
        comp = [[split(p, int(self.comp_n.max())) for p in pair] for pair in sides]
        self.comp_verb = np.array([[verbs for verbs, _ in pair] for pair in comp])
        self.comp = self.numbers([[rests for _, rests in pair] for pair in comp])
        self.has_not_as = np.array([s in lexicon.not_as for s in single_slots])
        not_as = [split(lexicon.not_as.get(s, ("", "")), 2) for s in single_slots]
        self.not_as_verb = np.array([verbs for verbs, _ in not_as])
        self.not_as = self.numbers([rests for _, rests in not_as])

    def number(self, text: str) -> int:
        """The phrase number of `text` (numbered on first use)."""
        got = self._numbers.get(text)
        if got is None:
            got = self._numbers[text] = len(self.texts)
            self.texts.append(text)
        return got

    def numbers(self, texts: Sequence) -> np.ndarray:
        """The phrase numbers of a (nested) sequence of texts, as an array of its shape."""
        return np.array([self.number(t) if isinstance(t, str) else self.numbers(t)
                         for t in texts], dtype=np.int64)

    def scalars(self) -> PhraseTable:
        """This table with Python ints in its lookup arrays (object arrays), for one
        clause at a time: arithmetic on numpy scalars would be ten times slower."""
        one = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(one, name, value.astype(object))
        return one

    # ---------------------------------------------------------------- what a clause says
    # Each takes one clause (Python numbers) or a batch (arrays) and returns (verb, phrase).
    # Every branch is evaluated, as `np.where` does: a branch not taken, or a batch row
    # whose clause is absent, may index with a plan's -1, which reads a valid last entry.
    def comparative(self, rules: CaptionRules, slot: Num, target_level: Num, shown_level: Num,
                    u_form: Num, u_not_as: Num, tone_hue: Num, u_article: Num, hue: Num
                    ) -> tuple[Num, Num]:
        """"is longer", "is not as short", or with `tone_hue` "is a darker blue"."""
        side = where(target_level > shown_level, 0, 1)
        f = pick(u_form, self.comp_n[slot, side])
        not_as = rules.not_as(self.has_not_as[slot], u_not_as)
        named = self.tone_hue[where(u_article >= ARTICLE_AT, 1, 0), side, hue,
                              pick(u_form, self.n_forms[hue])]
        return (where(tone_hue, IS, where(not_as, self.not_as_verb[slot, side],
                                          self.comp_verb[slot, side, f])),
                where(tone_hue, named, where(not_as, self.not_as[slot, side],
                                             self.comp[slot, side, f])))

    def direct_request(self, column: Num, value: Num, category: Num, u_form: Num
                       ) -> tuple[Num, Num]:
        """"is red", "has buttons", "is an a-line dress"; column 0: "is a dress"."""
        is_category = column == 0
        rest = self.direct[value, pick(u_form, self.n_forms[value]), category]
        return (where(is_category, IS, self.direct_verb[value]),
                where(is_category, self.categories[where(is_category, value, 0)], rest))

    def negated(self, value: Num, u_form: Num) -> tuple[Num, Num]:
        """"has no lace", "is not floral"."""
        return self.negated_verb[value], self.forms[value, pick(u_form, self.n_forms[value])]

    def repeated(self, value: Num, code: Num, u_form: Num) -> tuple[Num, Num]:
        """An earlier request (code 1 "is", 2 "not") said again."""
        return self.repeat_verb[value, code], self.forms[value, pick(u_form, self.n_forms[value])]

    def canned_answer(self, status: Num, u_canned: Num) -> Num:
        """The whole answer of a caption that is not about differences."""
        return self.canned[status, pick(u_canned, self.canned_n[status])]

    def lead(self, rules: CaptionRules, verb: Num, spoken: Num, u_filler: Num, u_words: Num
             ) -> Num:
        """The caption's first phrase: its first clause's verb, or a filler for "is"."""
        return where(rules.filler(verb == IS, spoken, u_filler),
                     self.fillers[pick(u_words, len(FILLERS))], self.verbs[verb])

    def connector(self, verb: Num, u_join: Num) -> Num:
        """The phrase joining a later clause with verb `verb` ("with", "but not")."""
        return self.connectors[verb, bucket(u_join, JOIN_BOUNDS)]


def _padded(texts: Sequence[str], n: int) -> list[str]:
    """`texts` padded with "" to length n."""
    return list(texts) + [""] * (n - len(texts))
