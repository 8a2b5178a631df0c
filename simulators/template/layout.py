"""Where things live in the template shopper's arrays: the uniforms a caption draws (`U`),
the columns of a caption plan (`P`), the clause entries a caption is said from (`CLAUSE`),
what a caption is about (status codes) and its mode.

Offsets are assigned in order from (name, width) lists, never counted by hand. The uniform
layout is part of every dialog's identity: a seed gives the same captions only while each
role keeps its offset, so a new role takes columns from `SPARE` at the end.
"""

from __future__ import annotations

from itertools import accumulate


class Layout:
    """Named fields of given widths at consecutive offsets: `layout.NAME` is the first
    column of field NAME, `layout.span("NAME")` its columns, `layout.width` the total."""

    def __init__(self, *fields: tuple[str, int]):
        self.widths = dict(fields)
        starts = list(accumulate(self.widths.values(), initial=0))
        self.offsets = dict(zip(self.widths, starts))
        self.width = starts[-1]
        self.__dict__.update(self.offsets)  # plain attributes: fast in per-caption Python

    def span(self, name: str) -> slice:
        return slice(self.offsets[name], self.offsets[name] + self.widths[name])


MAX_REQUESTS = 3  # comparatives picked, direct requests picked: at most 3 of each
MAX_SPOKEN = 4  # clauses said in one caption: 3 requests and a repeat

# Each caption consumes N_UNIFORMS uniforms of its dialog's generator, whatever it needs,
# each with a fixed role: a caption is a pure function of (target, shown item, earlier
# requests, these numbers), whether one caption is made or a batch.
U = Layout(
    ("IRRELEVANT", 1), ("MODE", 1), ("COUNT", 1), ("COMP_COUNT", 1),
    ("COMP", MAX_REQUESTS), ("DIRECT", MAX_REQUESTS),  # salience-weighted picks
    ("NEGATE", 1), ("NEG_PICK", 1), ("REPEAT", 1), ("REPEAT_PICK", 1),
    ("OMIT", 1), ("OMIT_PICK", 1), ("WRONG", 1), ("WRONG_PICK", 1), ("WRONG_VALUE", 1),
    ("TYPO", 1), ("TYPO_WORD", 1), ("TYPO_POS", 1), ("FILLER", 1), ("FILLER_WORDS", 1),
    ("TONE_HUE", 1), ("TONE_ARTICLE", 1), ("CANNED", 1),
    ("NOT_AS", MAX_REQUESTS), ("COMP_FORM", MAX_REQUESTS), ("DIRECT_FORM", MAX_REQUESTS),
    ("NEG_FORM", 1), ("REPEAT_FORM", 1), ("WRONG_FORM", 1),
    ("JOIN", MAX_SPOKEN - 1),  # the connector before each later clause
    ("SPARE", 4),  # unused: room for new roles without moving the others
)
N_UNIFORMS = U.width  # 46

# One caption's plan: one int row (-1: nothing), made by `plan.plan_rows` (one caption at
# a time) or `plan_array.plan_array` (a batch); the phrases are chosen from it.
PCOMP = Layout(("SLOT", 1), ("TARGET_LEVEL", 1), ("SHOWN_LEVEL", 1))  # one comparative
PDIRECT = Layout(("COLUMN", 1), ("VALUE", 1))  # one direct request (difference column)
P = Layout(
    ("STATUS", 1), ("MODE", 1), ("CATEGORY", 1),  # the target's category
    ("HUE", 1), ("SHOWN_HUE", 1),  # hue values of the target and the shown item
    ("TONE_HUE", 1),  # 1: the tone comparative names the target's hue ("a darker blue")
    ("COMP", MAX_REQUESTS * PCOMP.width), ("DIRECT", MAX_REQUESTS * PDIRECT.width),
    ("NEG", 1), ("FALLBACK", 1),  # values said negated ("with no lace")
    ("REPEAT", 1), ("REPEAT_CODE", 1),  # an earlier request restated, 1 "is" / 2 "not"
)
PLAN_WIDTH = P.width  # 25

# The clauses a caption may say, in saying order before the rules of `clauses` apply:
# spoken entries 0 .. N_SPOKEN - 1, then the silent hue of each comparative (the hue said
# inside "is a darker blue", a request of its own).
CLAUSE = Layout(("COMP", MAX_REQUESTS), ("DIRECT", MAX_REQUESTS), ("NEG", 1),
                ("FALLBACK", 1), ("REPEAT", 1), ("HUE", MAX_REQUESTS))
N_SPOKEN = CLAUSE.HUE
N_ENTRIES = CLAUSE.width

NORMAL, FOUND, SAME, IRRELEVANT = range(4)  # what a caption is about (status)
DIRECT_MODE, COMPARATIVE_MODE, MIXED_MODE = range(3)  # indices into config.MODES
SMALL_BATCH = 16  # below this many captions, plan and phrase them in plain Python
