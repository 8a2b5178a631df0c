"""Token ids of a batch of planned captions, with array operations (the batched core's hot
path: it needs token ids only; text and mentions are built from the plans when read).

Every clause's phrase numbers come from the same `PhraseTable` methods the caption builder
calls, here with a column of the batch at a time; which clauses are said in which order
comes from the plain-Python rules of `clauses` through `ClauseOrders`; then the token ids
of each row's phrase numbers are concatenated with one scatter. Captions that draw noise
changing their words (`noisy`) are left to the caption builder. A test keeps the token
ids equal to the builder's.
"""

from __future__ import annotations

import numpy as np

from simulators.template.clauses import ClauseOrders
from simulators.template.layout import (
    CLAUSE,
    MAX_REQUESTS,
    N_ENTRIES,
    N_SPOKEN,
    NORMAL,
    PCOMP,
    PDIRECT,
    P,
    U,
)
from simulators.template.mentions import IS_CODE, NOT_CODE
from simulators.template.phrases import IS, MAX_PIECES, PhraseTable
from simulators.template.rules import CaptionRules
from simulators.vocab import PAD

# The request each kind of entry makes (0: none): direct requests and the silent hue ask
# for a value, negations ask to avoid one; comparatives and repeats are not remembered.
REQUEST_CODE = np.zeros(N_ENTRIES, dtype=np.int64)
REQUEST_CODE[CLAUSE.span("DIRECT")] = REQUEST_CODE[CLAUSE.span("HUE")] = IS_CODE
REQUEST_CODE[[CLAUSE.NEG, CLAUSE.FALLBACK]] = NOT_CODE


class TokenAssembler:
    """Token ids of planned captions (`tokens`) and the requests they make (`requests`)."""

    def __init__(self, phrases: PhraseTable, rules: CaptionRules, tone: int):
        self.phrases, self.rules, self.tone = phrases, rules, tone  # tone: its single slot
        self.orders = ClauseOrders()
        self._rememberable = np.append(~phrases.noun, False)  # (V + 1,) [-1]: no value

    def noisy(self, plan: np.ndarray, u: np.ndarray) -> np.ndarray:
        """`(n,)` bool: captions whose words the noise changes (for the caption builder)."""
        r = self.rules
        return (plan[:, P.STATUS] == NORMAL) & (
            r.typos(u[:, U.TYPO]) | r.omits(u[:, U.OMIT]) | r.corrupts(u[:, U.WRONG]))

    def clauses(self, plan: np.ndarray, u: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every planned clause's verb and phrase number `(n, N_SPOKEN + 1)` (the last
        column: zeros, for padding), and which entries are planned `(n, N_ENTRIES)`."""
        n, t, rules = len(plan), self.phrases, self.rules
        verb = np.zeros((n, N_SPOKEN + 1), dtype=np.int64)
        phrase = np.zeros((n, N_SPOKEN + 1), dtype=np.int64)
        planned = np.zeros((n, N_ENTRIES), dtype=bool)
        hue = plan[:, P.HUE]
        comps = plan[:, P.span("COMP")].reshape(n, MAX_REQUESTS, PCOMP.width)
        directs = plan[:, P.span("DIRECT")].reshape(n, MAX_REQUESTS, PDIRECT.width)
        for r in range(MAX_REQUESTS):
            slot, e = comps[:, r, PCOMP.SLOT], CLAUSE.COMP + r
            tone_hue = (slot == self.tone) & (plan[:, P.TONE_HUE] == 1)
            verb[:, e], phrase[:, e] = t.comparative(
                rules, slot, comps[:, r, PCOMP.TARGET_LEVEL], comps[:, r, PCOMP.SHOWN_LEVEL],
                u[:, U.COMP_FORM + r], u[:, U.NOT_AS + r], tone_hue, u[:, U.TONE_ARTICLE], hue)
            planned[:, e] = slot >= 0
            planned[:, CLAUSE.HUE + r] = (slot >= 0) & tone_hue & (plan[:, P.SHOWN_HUE] != hue)
        for r in range(MAX_REQUESTS):
            column, e = directs[:, r, PDIRECT.COLUMN], CLAUSE.DIRECT + r
            verb[:, e], phrase[:, e] = t.direct_request(
                column, directs[:, r, PDIRECT.VALUE], plan[:, P.CATEGORY], u[:, U.DIRECT_FORM + r])
            planned[:, e] = column >= 0
        for e, column in ((CLAUSE.NEG, P.NEG), (CLAUSE.FALLBACK, P.FALLBACK)):
            verb[:, e], phrase[:, e] = t.negated(plan[:, column], u[:, U.NEG_FORM])
            planned[:, e] = plan[:, column] >= 0
        e = CLAUSE.REPEAT
        verb[:, e], phrase[:, e] = t.repeated(plan[:, P.REPEAT], plan[:, P.REPEAT_CODE],
                                              u[:, U.REPEAT_FORM])
        planned[:, e] = plan[:, P.REPEAT] >= 0
        return verb, phrase, planned

    def tokens(self, plan: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`(n, PhraseTable.width)` token ids padded with PAD, and the entries said
        `(n, N_ENTRIES)` bool."""
        n, t = len(plan), self.phrases
        verb, phrase, planned = self.clauses(plan, u)
        order, kept = self.orders(planned, verb[:, :N_SPOKEN] == IS)  # (n, 4), (n, N_ENTRIES)
        verb = np.take_along_axis(verb, order, 1)  # (n, 4) in saying order, 0 past the end
        phrase = np.take_along_axis(phrase, order, 1)
        later = order[:, 1:] < N_SPOKEN  # (n, 3) are clauses 2, 3, 4 said?
        pieces = np.zeros((n, MAX_PIECES), dtype=np.int64)
        pieces[:, 0] = t.lead(self.rules, verb[:, 0], (order < N_SPOKEN).sum(1),
                              u[:, U.FILLER], u[:, U.FILLER_WORDS])
        pieces[:, 1] = phrase[:, 0]
        pieces[:, 2::2] = np.where(later, t.connector(verb[:, 1:], u[:, U.span("JOIN")]), 0)
        pieces[:, 3::2] = np.where(later, phrase[:, 1:], 0)
        status = plan[:, P.STATUS]
        canned = status != NORMAL
        pieces[canned] = 0
        pieces[canned, 0] = t.canned_answer(status[canned], u[canned, U.CANNED])
        # Concatenate the pieces' token ids: each token goes to its piece's offset.
        length = t.lengths[pieces]  # (n, MAX_PIECES)
        start = np.cumsum(length, axis=1) - length
        r, p, k = np.nonzero(np.arange(t.token_ids.shape[1]) < length[:, :, None])
        tokens = np.full((n, t.width), PAD, dtype=np.int64)
        tokens[r, start[r, p] + k] = t.token_ids[pieces[r, p], k]
        return tokens, kept

    def requests(self, plan: np.ndarray, said: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The requests a later repeat may restate, among the entries `said` `(n,
        N_ENTRIES)`: (rows, values, codes), as `MentionTable.requests` finds them in the
        captions' mentions (values that are not item kinds; categories are not requests)."""
        n = len(plan)
        value = np.full((n, N_ENTRIES), -1, dtype=np.int64)  # each entry's value
        directs = plan[:, P.span("DIRECT")].reshape(n, MAX_REQUESTS, PDIRECT.width)
        value[:, CLAUSE.span("DIRECT")] = np.where(directs[..., PDIRECT.COLUMN] > 0,
                                                   directs[..., PDIRECT.VALUE], -1)
        value[:, CLAUSE.NEG], value[:, CLAUSE.FALLBACK] = plan[:, P.NEG], plan[:, P.FALLBACK]
        value[:, CLAUSE.span("HUE")] = plan[:, P.HUE, None]
        rows, entries = np.nonzero(said & (REQUEST_CODE > 0) & self._rememberable[value])
        return rows, value[rows, entries], REQUEST_CODE[entries]
