"""The caption planner, one caption at a time in plain Python: the readable specification.

A plan (one int row, columns `layout.P`) holds every random choice of a caption: what it
is about (status), its mode, which differences it states comparatively, directly and
negated, and which earlier request it repeats; the phrases are chosen from it later
(`compose`, `assemble`). `plan_array.plan_array` makes the same plans for a batch with
array operations, from the same tables and the same decisions (`rules`); a test keeps
the two equal.

Which serves what: numpy's fixed cost per call (a few microseconds, some fifty calls a
plan) dominates for one dialog: the array planner takes about 230 us for one caption,
this one about 12 us. So the single environment and any batch under `SMALL_BATCH` plan
here; larger batches plan with arrays (about 2 us a caption at B = 256).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from simulators.template.columns import DifferenceColumns, Item
from simulators.template.layout import NORMAL, PCOMP, PDIRECT, PLAN_WIDTH, P, U
from simulators.template.rules import CaptionRules, pick, wheel_point


def roulette_row(cols: Sequence[int], weights: Sequence[int], u: Sequence[float], count: int
                 ) -> list[int]:
    """`count` of `cols` drawn without replacement, each draw proportional to the
    remaining integer `weights` (successive roulette wheel, one uniform `u[r]` a draw);
    fewer when the weights run out. (`plan_array.roulette` for a batch.)"""
    out: list[int] = []
    weights = list(weights)
    for r in range(min(count, len(u))):
        total = sum(weights)
        if total <= 0:
            break
        x = wheel_point(u[r], total)
        acc, j = weights[0], 0
        while acc <= x:  # the first entry whose cumulative weight exceeds x
            j += 1
            acc += weights[j]
        out.append(cols[j])
        weights[j] = 0
    return out


class Differences(NamedTuple):
    """Difference columns of a (target, shown item) pair, in column order."""

    diff: list[int]  # every column they differ on
    comparable: list[int]  # ordinal slots with levels on both, same category
    remove: list[int]  # multi-label values only the shown item has
    negatable: list[int]  # shown values that may be said negated ("with no lace")


def differences(cols: DifferenceColumns, t: Item, c: Item) -> Differences:
    """What target `t` and shown item `c` differ on (`DifferenceColumns.differences` for
    a batch)."""
    s_n, noun, ordinal, multi = cols.n_single, cols.noun_list, cols.ordinal_list, cols.multi_list
    same_category = t.category == c.category
    diff, comparable, remove, negatable = [] if same_category else [0], [], [], []
    for k, (tv, cv, tl, cl) in enumerate(zip(t.single, c.single, t.level, c.level)):
        if tv != cv and tv >= 0:
            diff.append(1 + k)
            if ordinal[k] and tl >= 0 and cl >= 0 and same_category:
                comparable.append(1 + k)
            if not noun[cv]:
                negatable.append(1 + k)
    for j in sorted(t.multi ^ c.multi):
        diff.append(1 + s_n + j)
        if j in c.multi:
            remove.append(1 + s_n + j)
            if not noun[multi[j]]:
                negatable.append(1 + s_n + j)
    return Differences(diff, comparable, remove, negatable)


def plan_rows(cols: DifferenceColumns, rules: CaptionRules, targets: Sequence[int],
              shown: Sequence[int], u: Sequence[Sequence[float]], asked: np.ndarray | None
              ) -> list[list[int]]:
    """The plans of n captions (`asked` `(n, V)`: each dialog's earlier requests)."""
    return [plan_caption(cols, rules, t, c, uu, None if asked is None else asked[i])
            for i, (t, c, uu) in enumerate(zip(targets, shown, u))]


def plan_caption(cols: DifferenceColumns, rules: CaptionRules, target: int, shown: int,
                 u: Sequence[float], asked: np.ndarray | None) -> list[int]:
    """One caption's plan: item indices `target` and `shown`, the caption's uniforms `u`
    (`layout.U`) and the dialog's earlier requests `asked` `(V,)` (1 "is", 2 "not";
    None: no repeats)."""
    plan = [-1] * PLAN_WIDTH
    t, c = cols.item(target), cols.item(shown)
    d = differences(cols, t, c)
    plan[P.STATUS] = status = rules.status(target == shown, not d.diff, u[U.IRRELEVANT])
    if status != NORMAL:
        return plan
    w = cols.weight_list
    mode = rules.mode(u[U.MODE], len(d.comparable))
    count, n_comp = rules.counts(mode, u[U.COUNT], u[U.COMP_COUNT])
    comp = roulette_row(d.comparable, [w[k] for k in d.comparable], u[U.span("COMP")], n_comp)
    hue_t, hue_c = t.single[cols.hue], c.single[cols.hue]
    tone_hue = rules.names_hue(cols.tone_column in comp, hue_t, u[U.TONE_HUE])
    taken = set(comp) | ({cols.hue_column} if tone_hue else set())
    rest = [k for k in d.diff if k not in taken and k not in d.remove]
    need = rules.direct_count(mode, count, len(comp), tone_hue & (hue_c != hue_t))
    direct = roulette_row(rest, [w[k] for k in rest], u[U.span("DIRECT")], need)
    plan[P.MODE], plan[P.CATEGORY], plan[P.TONE_HUE] = mode, t.category, int(tone_hue)
    plan[P.HUE], plan[P.SHOWN_HUE] = hue_t, hue_c
    for r, col in enumerate(comp):
        at, slot = P.COMP + PCOMP.width * r, col - 1
        plan[at + PCOMP.SLOT] = slot
        plan[at + PCOMP.TARGET_LEVEL], plan[at + PCOMP.SHOWN_LEVEL] = t.level[slot], c.level[slot]
    for r, col in enumerate(direct):
        at = P.DIRECT + PDIRECT.width * r
        plan[at + PDIRECT.COLUMN], plan[at + PDIRECT.VALUE] = col, t.values[col]
    u_pick = u[U.NEG_PICK:U.NEG_PICK + 1]
    if rules.negates(u[U.NEGATE]):
        neg = roulette_row(d.negatable, [w[k] for k in d.negatable], u_pick, 1)
        if neg:
            plan[P.NEG] = c.values[neg[0]]
    if not comp and not direct:  # only "remove" differences left to say
        fallback = roulette_row(d.remove, [w[k] for k in d.remove], u_pick, 1)
        if fallback:
            plan[P.FALLBACK] = c.values[fallback[0]]
    if asked is not None and rules.repeats(u[U.REPEAT]):
        made = np.flatnonzero(asked).tolist()
        if made:
            col = made[pick(u[U.REPEAT_PICK], len(made))]
            plan[P.REPEAT], plan[P.REPEAT_CODE] = col, int(asked[col])
    return plan
