"""The caption planner for a batch, with array operations: the plans of `plan.plan_rows`
(the specification; see there which path serves which batch size), from the same
difference columns and the same decisions (`rules`), for n captions at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulators.template.columns import DifferenceColumns
from simulators.template.layout import (
    MAX_REQUESTS,
    NORMAL,
    PCOMP,
    PDIRECT,
    PLAN_WIDTH,
    P,
    U,
)
from simulators.template.rules import CaptionRules, pick, wheel_point


def roulette(mask: np.ndarray, weights: np.ndarray, u: np.ndarray, count: np.ndarray
             ) -> np.ndarray:
    """`plan.roulette_row` for every row: per row, `count` of the columns allowed by `mask`
    `(n, C)` drawn without replacement, each proportional to the remaining integer column
    `weights` `(C,)`, one uniform `u[:, r]` a draw. `(n, u.shape[1])` column indices, -1
    where a row has fewer or needs fewer.

    One cumulative sum runs over the whole flattened batch; integer weights keep it exact,
    so each row's draws depend on that row only, whatever else is in the batch."""
    n, width = mask.shape
    out = np.full((n, u.shape[1]), -1, dtype=np.int64)
    live = np.flatnonzero(count > 0)
    w = (mask[live] * weights).ravel()  # (live * C,)
    u, count = u[live], count[live]
    last = np.arange(len(live)) * width + width - 1  # each row's last entry in `w`
    for r in range(u.shape[1]):
        cum = np.cumsum(w)
        ends = cum[last]
        total = ends.copy()
        total[1:] -= ends[:-1]  # (live,) each row's remaining weight
        ok = np.flatnonzero((count > r) & (total > 0))
        if not len(ok):
            break
        x = ends[ok] - total[ok] + wheel_point(u[ok, r], total[ok])
        idx = np.searchsorted(cum, x, side="right")  # first entry whose sum exceeds x
        out[live[ok], r] = idx % width
        w[idx] = 0
    return out


class DifferenceMasks(NamedTuple):
    """`plan.Differences` of n pairs, as `(n, C)` bool masks over the difference columns,
    with the single-label values `(n, S)` and levels `(n, S)` they were read from."""

    diff: np.ndarray
    comparable: np.ndarray
    remove: np.ndarray
    negatable: np.ndarray
    t_single: np.ndarray
    c_single: np.ndarray
    t_level: np.ndarray
    c_level: np.ndarray


def difference_masks(cols: DifferenceColumns, targets: np.ndarray, shown: np.ndarray
                     ) -> DifferenceMasks:
    """What targets and shown items `(n,)` differ on (`plan.differences` for a batch)."""
    p, s_n = cols.profiles, cols.n_single
    diff, ts, cs, c_multi = cols.differences(targets, shown)  # (n, C), (n, S) x 2, (n, M)
    single, multi = slice(1, 1 + s_n), slice(1 + s_n, None)  # column groups
    tl, cl = p.level[targets], p.level[shown]  # (n, S)
    remove = np.zeros_like(diff)  # values only the shown item has
    remove[:, multi] = diff[:, multi] & c_multi
    comparable = np.zeros_like(diff)
    comparable[:, single] = diff[:, single] & cols.ordinal & (tl >= 0) & (cl >= 0) & \
        ~diff[:, :1]  # same category
    negatable = np.zeros_like(diff)
    negatable[:, single] = diff[:, single] & ~cols.noun[cs]
    negatable[:, multi] = remove[:, multi] & ~cols.noun[cols.multi_columns]
    return DifferenceMasks(diff, comparable, remove, negatable, ts, cs, tl, cl)


def plan_array(cols: DifferenceColumns, rules: CaptionRules, targets: np.ndarray,
               shown: np.ndarray, u: np.ndarray, asked: np.ndarray | None) -> np.ndarray:
    """`(n, PLAN_WIDTH)` int64 plans of n captions: item indices `targets` and `shown`
    `(n,)`, uniforms `u` `(n, N_UNIFORMS)`, earlier requests `asked` `(n, V)` (or None)."""
    n, w = len(targets), cols.weights
    d = difference_masks(cols, targets, shown)
    status = rules.status(targets == shown, ~d.diff.any(1), u[:, U.IRRELEVANT])  # (n,)
    mode = rules.mode(u[:, U.MODE], d.comparable.sum(1))
    count, n_comp = rules.counts(mode, u[:, U.COUNT], u[:, U.COMP_COUNT])
    comp = roulette(d.comparable, w, u[:, U.span("COMP")], n_comp)  # (n, 3) columns
    hue_t, hue_c = d.t_single[:, cols.hue], d.c_single[:, cols.hue]
    tone_hue = rules.names_hue((comp == cols.tone_column).any(1), hue_t, u[:, U.TONE_HUE])
    rest = d.diff & ~d.remove  # (n, C) what direct requests may say
    r, k = np.nonzero(comp >= 0)
    rest[r, comp[r, k]] = False
    rest[tone_hue, cols.hue_column] = False
    got = (comp >= 0).sum(1)
    need = rules.direct_count(mode, count, got, tone_hue & (hue_c != hue_t))
    direct = roulette(rest, w, u[:, U.span("DIRECT")], need)  # (n, 3) columns
    u_pick = U.span("NEG_PICK")
    neg = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(rules.negates(u[:, U.NEGATE]))
    neg[rows] = roulette(d.negatable[rows], w, u[rows, u_pick], np.ones(len(rows)))[:, 0]
    fallback = np.full(n, -1, dtype=np.int64)  # only "remove" differences left to say
    rows = np.flatnonzero((got == 0) & (direct[:, 0] < 0))
    fallback[rows] = roulette(d.remove[rows], w, u[rows, u_pick], np.ones(len(rows)))[:, 0]

    plan = np.full((n, PLAN_WIDTH), -1, dtype=np.int64)
    plan[:, P.STATUS], plan[:, P.MODE] = status, mode
    plan[:, P.CATEGORY] = cols.profiles.category[targets]
    plan[:, P.HUE], plan[:, P.SHOWN_HUE], plan[:, P.TONE_HUE] = hue_t, hue_c, tone_hue
    slot = np.maximum(comp, 1) - 1  # (n, 3)
    comps = np.empty((n, MAX_REQUESTS, PCOMP.width), dtype=np.int64)
    comps[..., PCOMP.SLOT] = slot
    comps[..., PCOMP.TARGET_LEVEL] = np.take_along_axis(d.t_level, slot, 1)
    comps[..., PCOMP.SHOWN_LEVEL] = np.take_along_axis(d.c_level, slot, 1)
    plan[:, P.span("COMP")] = np.where((comp >= 0)[:, :, None], comps, -1).reshape(n, -1)
    tv, cv = cols.values(targets), cols.values(shown)  # (n, C)
    directs = np.empty((n, MAX_REQUESTS, PDIRECT.width), dtype=np.int64)
    directs[..., PDIRECT.COLUMN] = direct
    directs[..., PDIRECT.VALUE] = np.take_along_axis(tv, np.maximum(direct, 0), 1)
    plan[:, P.span("DIRECT")] = np.where((direct >= 0)[:, :, None], directs, -1).reshape(n, -1)
    rows = np.arange(n)
    plan[:, P.NEG] = np.where(neg >= 0, cv[rows, np.maximum(neg, 0)], -1)
    plan[:, P.FALLBACK] = np.where(fallback >= 0, cv[rows, np.maximum(fallback, 0)], -1)
    if asked is not None:
        rep = np.flatnonzero(rules.repeats(u[:, U.REPEAT]) & (asked != 0).any(1))
        if len(rep):
            made = asked[rep] != 0  # (r, V)
            at = pick(u[rep, U.REPEAT_PICK], made.sum(1))
            col = (np.cumsum(made, axis=1) <= at[:, None]).sum(1)  # the at-th request
            plan[rep, P.REPEAT], plan[rep, P.REPEAT_CODE] = col, asked[rep, col]
    plan[status != NORMAL] = -1  # canned answers: nothing else to plan
    plan[:, P.STATUS] = status
    return plan
