"""Captions from plans, in plain Python: text, token ids, mentions and mode.

A caption's clauses get their phrase numbers from the `PhraseTable` (one clause at a time),
`clauses.keep` / `clauses.lead_with_is` decide what is said in which order, and the text
and token ids are the joined texts and concatenated token ids of the phrase numbers. The
noise that changes the words themselves (omission, wrong value, typo) is applied here
only: the array path (`assemble`) hands captions that draw it to this builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from dialog_env.catalog.schema import SLOT_BY_NAME
from simulators.base import Feedback, Mention
from simulators.modes import caption_mode
from simulators.template.clauses import drop, keep, lead_with_is, spoken
from simulators.template.config import MODES
from simulators.template.layout import (
    CLAUSE,
    MAX_REQUESTS,
    MIXED_MODE,
    NORMAL,
    PCOMP,
    PDIRECT,
    P,
    U,
)
from simulators.template.mentions import MentionTable
from simulators.template.phrases import IS, PhraseTable
from simulators.template.rules import CaptionRules, pick
from simulators.vocab import Vocabulary

SILENT = -1  # the verb of a silent clause (the hue said inside "is a darker blue")


class Clause(NamedTuple):
    verb: int  # index into phrases.VERBS, or SILENT
    phrase: int  # phrase number (PhraseTable)
    mention: Mention


class CaptionBuilder:
    """The `Feedback` of planned captions (`caption(plan, u)`)."""

    def __init__(self, phrases: PhraseTable, mentions: MentionTable, rules: CaptionRules,
                 values: Sequence[str], categories: Sequence[str], tone: int,
                 vocab: Vocabulary):
        self.phrases, self.mentions, self.rules, self.vocab = phrases, mentions, rules, vocab
        self.categories, self.tone = categories, tone  # tone: its single-label slot
        self._index = {v: j for j, v in enumerate(values)}

    def caption(self, plan: Sequence[int], u: Sequence[float]) -> Feedback:
        """One caption from its plan row and its uniforms (Python sequences)."""
        status, rules = plan[P.STATUS], self.rules
        if status != NORMAL:
            p = self.phrases.canned_answer(status, u[U.CANNED])
            mentions, label = self.mentions.canned[status]
            return Feedback(self.phrases.texts[p], self.phrases.tokens[p], mentions, label)
        said = self.clauses(plan, u)
        entries = keep(tuple(said))
        if all(e == CLAUSE.REPEAT for e in entries):  # cannot happen: a difference is
            raise AssertionError(f"no clause for caption plan {plan}")  # always sayable
        if rules.omits(u[U.OMIT]):
            words = spoken(entries)
            if len(words) > 1:
                entries = drop(entries, words[pick(u[U.OMIT_PICK], len(words))])
        if rules.corrupts(u[U.WRONG]):
            said = self._corrupt(said, entries, plan[P.CATEGORY], u)
        entries = lead_with_is(entries, {e for e in entries if said[e].verb == IS})
        text, tokens = self.compose([said[e] for e in spoken(entries)], u)
        if rules.typos(u[U.TYPO]):
            text = typo(text, u[U.TYPO_WORD], u[U.TYPO_POS])
            tokens = tuple(self.vocab.ids(text))
        mentions = tuple(said[e].mention for e in entries)
        return Feedback(text, tokens, mentions, mode_label(plan[P.MODE], mentions))

    def clauses(self, plan: Sequence[int], u: Sequence[float]) -> dict[int, Clause]:
        """The planned clauses by entry (`layout.CLAUSE`), in `clauses.SAYING_ORDER`."""
        t, m, said = self.phrases, self.mentions, {}
        hue = plan[P.HUE]
        for r in range(MAX_REQUESTS):
            at = P.COMP + PCOMP.width * r
            slot = plan[at + PCOMP.SLOT]
            if slot < 0:
                break
            tl, cl = plan[at + PCOMP.TARGET_LEVEL], plan[at + PCOMP.SHOWN_LEVEL]
            tone_hue = slot == self.tone and plan[P.TONE_HUE] == 1
            verb, phrase = t.comparative(self.rules, slot, tl, cl, u[U.COMP_FORM + r],
                                         u[U.NOT_AS + r], tone_hue, u[U.TONE_ARTICLE], hue)
            said[CLAUSE.COMP + r] = Clause(verb, phrase, m.compared(slot, tl > cl, cl))
            if tone_hue and plan[P.SHOWN_HUE] != hue:  # the hue is a request too
                said[CLAUSE.HUE + r] = Clause(SILENT, 0, m.is_[hue])
        for r in range(MAX_REQUESTS):
            at = P.DIRECT + PDIRECT.width * r
            column, value = plan[at + PDIRECT.COLUMN], plan[at + PDIRECT.VALUE]
            if column < 0:
                break
            verb, phrase = t.direct_request(column, value, plan[P.CATEGORY],
                                            u[U.DIRECT_FORM + r])
            said[CLAUSE.DIRECT + r] = Clause(verb, phrase, m.category[value] if column == 0
                                             else m.is_[value])
        for entry, column in ((CLAUSE.NEG, P.NEG), (CLAUSE.FALLBACK, P.FALLBACK)):
            value = plan[column]
            if value >= 0:
                said[entry] = Clause(*t.negated(value, u[U.NEG_FORM]), m.not_[value])
        value, code = plan[P.REPEAT], plan[P.REPEAT_CODE]
        if value >= 0:
            said[CLAUSE.REPEAT] = Clause(*t.repeated(value, code, u[U.REPEAT_FORM]),
                                         m.repeat[code][value])
        return said

    def compose(self, clauses: list[Clause], u: Sequence[float]) -> tuple[str, tuple[int, ...]]:
        """The text and token ids of spoken clauses: lead, phrase, then connector and
        phrase per later clause."""
        t, first = self.phrases, clauses[0]
        pieces = [t.lead(self.rules, first.verb, len(clauses), u[U.FILLER], u[U.FILLER_WORDS]),
                  first.phrase]
        for k, c in enumerate(clauses[1:]):
            pieces += (t.connector(c.verb, u[U.JOIN + k]), c.phrase)
        return " ".join(map(t.texts.__getitem__, pieces)), sum(map(t.tokens.__getitem__,
                                                                 pieces), ())

    def _corrupt(self, said: dict[int, Clause], entries: tuple[int, ...], category: int,
                 u: Sequence[float]) -> dict[int, Clause]:
        """Noise: one direct request of a single-label slot says another value."""
        fit = [e for e in spoken(entries) if said[e].mention.relation == "is"
               and said[e].mention.slot in SLOT_BY_NAME
               and not SLOT_BY_NAME[said[e].mention.slot].multi]
        if not fit:
            return said
        e = fit[pick(u[U.WRONG_PICK], len(fit))]
        m = said[e].mention
        others = [v for v in SLOT_BY_NAME[m.slot].values.get(self.categories[category], ())
                  if v != m.value and not self.phrases.noun[self._index[v]]]
        if not others:
            return said
        value = others[pick(u[U.WRONG_VALUE], len(others))]
        v, t = self._index[value], self.phrases
        phrase = t.forms[v, pick(u[U.WRONG_FORM], t.n_forms[v])]
        return {**said, e: Clause(t.direct_verb[v], phrase,
                                  Mention(m.type, m.slot, value, "is", None, "wrong"))}


def typo(text: str, u_word: float, u_pos: float) -> str:
    """Noise: two letters of one long word swapped."""
    words = text.split(" ")
    long = [i for i, wd in enumerate(words) if len(wd) >= 4 and wd.isalpha()]
    if not long:
        return text
    i = long[pick(u_word, len(long))]
    wd = words[i]
    k = pick(u_pos, len(wd) - 1)
    words[i] = wd[:k] + wd[k + 1] + wd[k] + wd[k + 2:]
    return " ".join(words)


def mode_label(mode: int, mentions: tuple[Mention, ...]) -> str:
    """The caption's mode; a mixed plan is labelled by what it says in the end
    (`simulators.modes.caption_mode`); any other plan by its own mode."""
    if mode != MIXED_MODE:
        return MODES[mode]
    return caption_mode(mentions)
