"""The caption's decisions, each written once for one caption and for a batch.

Every function here takes either Python numbers (one caption: the plain-Python planner and
caption builder) or numpy arrays of the same shape (a batch: the array planner and token
assembly), with the same arithmetic, so the two paths cannot drift apart. `where` and
`pick` are the only places that tell them apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulators.template.config import TemplateConfig
from simulators.template.layout import (
    COMPARATIVE_MODE,
    DIRECT_MODE,
    FOUND,
    IRRELEVANT,
    MIXED_MODE,
    NORMAL,
    SAME,
)

Num = Any  # a Python number (one caption) or a numpy array (a batch)

JOIN_BOUNDS = (0.5, 0.6, 0.75)  # a later clause's connector bucket (`PhraseTable.connectors`)
ARTICLE_AT = 0.5  # "is a darker blue" from this uniform up, else "is darker blue"
FEWER_COMP_BELOW = 0.3  # a mixed caption has one comparative fewer below this uniform


def where(cond: Num, a: Num, b: Num) -> Num:
    """`np.where` for a batch; a conditional expression for one caption."""
    if cond.__class__ is not np.ndarray:
        return a if cond else b
    return np.where(cond, a, b)


def pick(u: Num, n: Num) -> Num:
    """The index that uniform `u` in [0, 1) draws among `n` choices."""
    if u.__class__ is not np.ndarray:
        return int(u * n)
    return (u * n).astype(np.int64)


def bucket(x: Num, bounds: tuple[float, ...]) -> Num:
    """How many of the increasing `bounds` `x` reaches (an int, or an int array)."""
    n = 0
    for b in bounds:
        n = n + (x >= b)  # 0 + a bool array: an int array
    return n


def wheel_point(u: Num, total: Num) -> Num:
    """Where uniform `u` stops a roulette wheel of integer weight `total`."""
    x = pick(u, total)
    return where(x < total, x, total - 1)


class CaptionRules:
    """The configured rates, as the decisions they drive."""

    def __init__(self, config: TemplateConfig):
        self.config = cfg = config
        self.mode_bounds = tuple(np.cumsum(cfg.mode_rates).tolist()[:2])
        self.single_share = cfg.single_rate / (1 - cfg.mode_rates[2])  # of non-mixed
        self.three_mixed = cfg.three_rate / (1 - cfg.single_rate)  # of mixed

    def status(self, found: Num, same: Num, u_irrelevant: Num) -> Num:
        """What a caption is about: the target itself, nothing to say, an irrelevant
        remark (noise), or the differences (NORMAL)."""
        return where(found, FOUND, where(same, SAME, where(
            u_irrelevant < self.config.irrelevant_rate, IRRELEVANT, NORMAL)))

    def mode(self, u_mode: Num, n_comparable: Num) -> Num:
        """Direct, comparative or mixed by the configured shares; a comparative caption
        with nothing comparable is said directly."""
        mode = bucket(u_mode, self.mode_bounds)
        return where((mode == COMPARATIVE_MODE) & (n_comparable == 0), DIRECT_MODE, mode)

    def counts(self, mode: Num, u_count: Num, u_comp_count: Num) -> tuple[Num, Num]:
        """How many requests a caption makes, and how many of them are comparatives."""
        cfg, single = self.config, self.single_share
        count = where(mode == MIXED_MODE, where(u_count < self.three_mixed, 3, 2),
                      where(u_count < single, 1,
                            where(u_count < single + cfg.three_rate, 3, 2)))
        fewer = count - 1 - (u_comp_count < FEWER_COMP_BELOW)
        n_comp = where(mode == COMPARATIVE_MODE, count, where(
            mode == MIXED_MODE, where(fewer < 1, 1, fewer), 0))
        return count, n_comp

    def names_hue(self, tone_compared: Num, hue: Num, u_tone_hue: Num) -> Num:
        """Whether a tone comparative names the target's hue ("is a darker blue")."""
        return tone_compared & (hue >= 0) & (u_tone_hue < self.config.tone_with_hue_rate)

    def direct_count(self, mode: Num, count: Num, n_compared: Num, hue_said: Num) -> Num:
        """Direct requests to add: all of a direct caption's; the rest of a mixed one's,
        where a hue said inside "is a darker blue" counts as one."""
        return where(mode == DIRECT_MODE, count,
                     where(mode == MIXED_MODE, count - n_compared - hue_said, 0))

    def negates(self, u_negate: Num) -> Num:
        return u_negate < self.config.negation_rate

    def repeats(self, u_repeat: Num) -> Num:
        return u_repeat < self.config.repeat_rate

    # Noise that changes the words: the array path leaves captions that draw it to the
    # plain-Python caption builder, which applies it.
    def omits(self, u_omit: Num) -> Num:
        return u_omit < self.config.omit_rate

    def corrupts(self, u_wrong: Num) -> Num:
        return u_wrong < self.config.wrong_rate

    def typos(self, u_typo: Num) -> Num:
        return u_typo < self.config.typo_rate

    def not_as(self, has_not_as: Num, u_not_as: Num) -> Num:
        """Whether a comparative is said as a negated opposite ("is not as long")."""
        return has_not_as & (u_not_as < self.config.not_as_rate)

    def filler(self, lead_is: Num, spoken: Num, u_filler: Num) -> Num:
        """Whether an "is" lead becomes a filler ("should be"): more often when the
        caption has a single clause."""
        return lead_is & (u_filler < self.config.filler_rate * where(spoken == 1, 3.0, 0.5))
