"""The template shopper: an attribute-aware relative captioner.

Given the hidden target and a shown candidate it lists the attribute differences, picks
1-3 of them by salience (category and colour first, then shape, texture, part, fabric,
style), phrases them in one of Fashion IQ's modes — direct ("is solid white and has
buttons"), comparative ("has longer sleeves and is lighter in color") or mixed — with
the configured shares (Fashion IQ, Table 2), optionally adds a negation ("with no lace"),
and applies configurable noise (wrong value, omission, irrelevant caption, repetition of an
earlier request, typo). Every request is true of the target unless noise says otherwise,
so wishes never contradict each other across turns.

How it runs: every random choice of a caption comes from a fixed-size row of uniforms
(`N_UNIFORMS`, drawn from the dialog's own generator) and is made for a whole batch of
dialogs at once with array operations (`SimulatorWorld._plan`: differences, mode, counts,
salience-weighted picks, negation, repetition). The batched core then assembles token ids
from numbered phrases with array operations too (`SimulatorWorld.speak`); the text and the
structured mentions of a caption are built in Python from its plan only when someone reads
them (`SimulatorWorld.caption`). Small batches (the single environment) plan in plain
Python instead (`_plan_rows`). Tests keep the three paths equal.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SLOT_BY_NAME
from simulators.base import Feedback, Mention, token_matrix
from simulators.lexicon import make_lexicon
from simulators.profiles import AttributeProfiles
from simulators.template.config import MODES, TemplateConfig
from simulators.vocab import PAD, Vocabulary, default_vocabulary

# Each caption consumes N_UNIFORMS uniforms of its dialog's generator, whatever it needs,
# each with a fixed role: a caption is a pure function of (target, shown item, earlier
# requests, these numbers), computed for a whole batch of dialogs at once.
U_IRRELEVANT, U_MODE, U_COUNT, U_COMP_COUNT = 0, 1, 2, 3
U_COMP, U_DIRECT = 4, 7  # 3 picks each
U_NEGATE, U_NEG_PICK, U_REPEAT, U_REPEAT_PICK, U_OMIT, U_OMIT_PICK = 10, 11, 12, 13, 14, 15
U_WRONG, U_WRONG_PICK, U_WRONG_VALUE, U_TYPO, U_TYPO_WORD, U_TYPO_POS = 16, 17, 18, 19, 20, 21
U_FILLER, U_FILLER_WORDS, U_TONE_HUE, U_TONE_ARTICLE, U_CANNED = 22, 23, 24, 25, 26
U_NOT_AS, U_COMP_FORM, U_DIRECT_FORM = 27, 30, 33  # one per clause
U_NEG_FORM, U_REPEAT_FORM, U_WRONG_FORM, U_JOIN = 36, 37, 38, 39  # U_JOIN: one per clause
N_UNIFORMS = 46

NORMAL, FOUND, SAME, IRRELEVANT = 0, 1, 2, 3  # what a caption is about
FILLERS = ("should be", "should be", "needs to be", "i want it to be")
# Plan columns (one int row per caption, see `SimulatorWorld._plan`).
_P_COMP, _P_DIRECT, _P_NEG, _P_FALLBACK, _P_REPEAT = 6, 15, 21, 22, 23
PLAN_WIDTH = 25
_VERBS = ("is", "has", "has no", "is not")
_IS, _HAS, _HAS_NO, _IS_NOT = range(4)
_PIECES = 8  # lead verb, then (connector, phrase) pairs: up to 4 clauses a caption
_TOKEN_CACHE_SIZE = 200_000
SMALL_BATCH = 16  # below this many captions, plan them in plain Python (`_plan_rows`)


def roulette(mask: np.ndarray, weights: np.ndarray, u: np.ndarray, count: np.ndarray
             ) -> np.ndarray:
    """Per row, `count` of the columns allowed by `mask` drawn without replacement, each
    draw proportional to the remaining integer column `weights` (successive roulette wheel,
    one uniform `u[:, r]` per draw). `(n, u.shape[1])` column indices, -1 where a row has
    fewer or needs fewer.

    One cumulative sum runs over the whole flattened batch; integer weights keep it exact,
    so each row's draws depend on that row only, whatever else is in the batch."""
    n, width = mask.shape
    out = np.full((n, u.shape[1]), -1, dtype=np.int64)
    live = np.flatnonzero(count > 0)
    w = (mask[live] * weights).ravel()
    u, count = u[live], count[live]
    last = np.arange(len(live)) * width + width - 1
    for r in range(u.shape[1]):
        cum = np.cumsum(w)
        ends = cum[last]
        total = ends.copy()
        total[1:] -= ends[:-1]
        ok = np.flatnonzero((count > r) & (total > 0))
        if not len(ok):
            break
        x = ends[ok] - total[ok] + np.minimum((u[ok, r] * total[ok]).astype(np.int64),
                                              total[ok] - 1)
        idx = np.searchsorted(cum, x, side="right")  # first entry whose sum exceeds x
        out[live[ok], r] = idx % width
        w[idx] = 0
    return out


class SimulatorWorld:
    """What every shopper of a catalog shares: profiles, lexicon, vocabulary, phrase tables;
    and the batched shopper itself (`captions`).

    Differences live in a dense `(n, C)` matrix of *difference columns*: column 0 is the
    category, columns 1..S the single-label slots, then one per multi-label value
    (`column_slots` names them)."""

    def __init__(self, catalog: Catalog, config: TemplateConfig | None = None,
                 attributes: np.ndarray | None = None, vocabulary: Vocabulary | None = None):
        self.config = cfg = config or TemplateConfig()
        self.profiles = p = AttributeProfiles(catalog, attributes)
        self.lexicon = lex = make_lexicon(cfg.lexicon)
        self.vocab = vocabulary or default_vocabulary()
        self.names, self.types = catalog.vocab.names, catalog.vocab.types
        slots = catalog.vocab.slots
        missing = [n for n in self.names if n not in lex.values]
        if missing:
            raise ValueError(f"lexicon {cfg.lexicon!r} has no phrases for attribute values "
                             f"{missing[:5]}")
        salience = dict(cfg.salience)
        multi_names = {s.name for s in p.multi_slots}
        self.multi_columns = np.array([j for j, s in enumerate(slots) if s in multi_names],
                                      dtype=np.int64)
        self._multi = np.ascontiguousarray(p.multi[:, self.multi_columns])
        self.n_single = len(p.single_slots)
        self.column_slots = (("category",) + tuple(s.name for s in p.single_slots)
                             + tuple(slots[j] for j in self.multi_columns))
        # Integer salience (1/1000 steps): exact, batch-independent weighted draws.
        self.column_weights = np.round(np.array(
            [salience.get(s, 1.0) for s in self.column_slots]) * 1000).astype(np.int64)
        self._ordinal = np.array([s.ordinal for s in p.single_slots])
        self._hue, self._tone = p.slot_index["hue"], p.slot_index["tone"]
        self._mode_cdf = np.cumsum(cfg.mode_rates)
        # Phrase tables: per attribute value its kind, forms, first words and mentions.
        self._kind = [lex.values[n][0] for n in self.names]
        self._forms = [lex.values[n][1] for n in self.names]
        self._noun = np.array([k == "noun" for k in self._kind] + [True])  # [-1]: no value
        self._is = [Mention(self.types[j], slots[j], n, "is") for j, n in enumerate(self.names)]
        self._not = [Mention(self.types[j], slots[j], n, "not")
                     for j, n in enumerate(self.names)]
        self._repeat = {code: [m._replace(noise="repeat") for m in ms]
                        for code, ms in ((1, self._is), (2, self._not))}
        # Requests a later repeat may restate: value index and 1 (is) / 2 (not).
        self._remember = {m: (j, code) for code, ms in ((1, self._is), (2, self._not))
                          for j, m in enumerate(ms)
                          if self._kind[j] != "noun" and ms[j].type != "category"}
        self._remember_id = {id(m): got for m, got in self._remember.items()}
        self._cat_nouns = [lex.categories[c] for c in p.categories]
        self._cat_clause = [("is", f"{'' if c == 'shoes' else 'a '}{lex.categories[c]}",
                             Mention("category", "category", c, "is")) for c in p.categories]
        self._single_names = [s.name for s in p.single_slots]
        self._single_types = [SLOT_BY_NAME[s].type for s in self._single_names]
        self._comparatives = {
            s: tuple(tuple((v, r) for v, _, r in (ph.partition(" ") for ph in side))
                     for side in sides) for s, sides in lex.comparatives.items()}
        self._not_as = {s: tuple((v, r) for v, _, r in (ph.partition(" ") for ph in pair))
                        for s, pair in lex.not_as.items()}
        self._comp_mentions: dict[tuple[int, bool, int], Mention] = {}
        self._canned = {FOUND: (lex.found, (Mention("target", "target", "target", "found"),),
                                "found"),
                        SAME: (lex.same, (), "same"), IRRELEVANT: (lex.irrelevant, (),
                                                                   "irrelevant")}
        self._tokens: dict[str, tuple[int, ...]] = {}
        # Plain-Python copies for `_plan_rows`.
        self._items: dict[int, tuple] = {}
        self._column_weights = self.column_weights.tolist()
        self._ordinal_list = self._ordinal.tolist()
        self._noun_list = self._noun.tolist()
        self._multi_list = self.multi_columns.tolist()
        self._mode_cdf_list = self._mode_cdf.tolist()
        self._build_phrase_tables()

    # ------------------------------------------------------------------ differences
    def differences(self, targets: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """`(n, C)` bool: on which difference columns each target and candidate differ
        (a single-label slot counts when the target has a value there)."""
        return self._difference_parts(targets, candidates)[0]

    def _difference_parts(self, targets: np.ndarray, candidates: np.ndarray):
        """The difference matrix and what it was computed from: single-label values of
        targets and candidates, and the candidates' multi-label values."""
        p = self.profiles
        ts, cs = p.single[targets], p.single[candidates]
        c_multi = self._multi[candidates]
        diff = np.concatenate([(p.category[targets] != p.category[candidates])[:, None],
                               (ts != cs) & (ts >= 0), self._multi[targets] ^ c_multi],
                              axis=1)
        return diff, ts, cs, c_multi

    def asked_from(self, history: Sequence[Feedback]) -> np.ndarray:
        """`(1, V)` int8 requests made in `history` (1: "is", 2: "not"), for repeats."""
        asked = np.zeros((1, len(self.names)), dtype=np.int8)
        for fb in history:
            for m in fb.mentions:
                got = self._remember.get(m)
                if got is not None:
                    asked[0, got[0]] = got[1]
        return asked

    def _plan(self, targets: np.ndarray, candidates: np.ndarray, u: np.ndarray,
              asked: np.ndarray | None) -> np.ndarray:
        """Every random choice of n captions, as array operations: what each caption is
        about, its mode, which differences it states comparatively, directly and negated,
        and which earlier request it repeats. `(n, PLAN_WIDTH)` int64."""
        cfg, p = self.config, self.profiles
        n, s_n = len(targets), self.n_single
        t_cat, c_cat = p.category[targets], p.category[candidates]
        diff, ts, cs, c_multi = self._difference_parts(targets, candidates)
        same_cat = ~diff[:, 0]
        d_single, d_multi = diff[:, 1:1 + s_n], diff[:, 1 + s_n:]
        tl, cl = p.level[targets], p.level[candidates]
        remove = np.zeros_like(diff)
        remove[:, 1 + s_n:] = d_multi & c_multi
        comparable = np.zeros_like(diff)
        comparable[:, 1:1 + s_n] = d_single & self._ordinal & (tl >= 0) & (cl >= 0) & \
            same_cat[:, None]
        weights = self.column_weights

        status = np.where(targets == candidates, FOUND,
                          np.where(~diff.any(1), SAME,
                                   np.where(u[:, U_IRRELEVANT] < cfg.irrelevant_rate,
                                            IRRELEVANT, NORMAL)))
        mode = np.minimum(np.searchsorted(self._mode_cdf, u[:, U_MODE], side="right"), 2)
        mode[(mode == 1) & ~comparable.any(1)] = 0  # nothing comparable: say it directly
        uc = u[:, U_COUNT]
        single = cfg.single_rate / (1 - cfg.mode_rates[2])
        count = np.where(mode == 2, np.where(uc < cfg.three_rate / (1 - cfg.single_rate), 3, 2),
                         np.where(uc < single, 1,
                                  np.where(uc < single + cfg.three_rate, 3, 2)))
        n_comp = np.where(mode == 1, count, np.where(
            mode == 2, np.maximum(1, count - 1 - (u[:, U_COMP_COUNT] < 0.3)), 0))
        comp = roulette(comparable, weights, u[:, U_COMP:U_COMP + 3], n_comp)
        got = (comp >= 0).sum(1)
        # "is a darker blue": a tone comparative may name the target's hue.
        hue_t, hue_c = ts[:, self._hue], cs[:, self._hue]
        tone_hue = (comp == 1 + self._tone).any(1) & (hue_t >= 0) & \
            (u[:, U_TONE_HUE] < cfg.tone_with_hue_rate)
        rest = diff & ~remove
        r, c = np.nonzero(comp >= 0)
        rest[r, comp[r, c]] = False
        rest[tone_hue, 1 + self._hue] = False
        # Mixed captions fill up to `count` requests; the hue said inside "is a darker
        # blue" counts as one (when the shown item's hue differs).
        said = got + (tone_hue & (hue_c != hue_t))
        need = np.where(mode == 0, count, np.where(mode == 2, count - said, 0))
        direct = roulette(rest, weights, u[:, U_DIRECT:U_DIRECT + 3], need)
        # Values of the chosen columns: category, single-slot value or multi-label value.
        tv = np.concatenate([t_cat[:, None], ts, np.broadcast_to(
            self.multi_columns, (n, len(self.multi_columns)))], axis=1)
        cv = np.concatenate([c_cat[:, None], cs, np.broadcast_to(
            self.multi_columns, (n, len(self.multi_columns)))], axis=1)
        negatable = np.zeros_like(diff)
        negatable[:, 1:1 + s_n] = d_single & ~self._noun[cs]
        negatable[:, 1 + s_n:] = remove[:, 1 + s_n:] & ~self._noun[self.multi_columns]
        neg = np.full(n, -1, dtype=np.int64)
        rows = np.flatnonzero(u[:, U_NEGATE] < cfg.negation_rate)
        neg[rows] = roulette(negatable[rows], weights, u[rows, U_NEG_PICK:U_NEG_PICK + 1],
                             np.ones(len(rows)))[:, 0]
        fallback = np.full(n, -1, dtype=np.int64)  # only "remove" differences left to say
        rows = np.flatnonzero((got == 0) & (direct[:, 0] < 0))
        fallback[rows] = roulette(remove[rows], weights, u[rows, U_NEG_PICK:U_NEG_PICK + 1],
                                  np.ones(len(rows)))[:, 0]

        plan = np.full((n, PLAN_WIDTH), -1, dtype=np.int64)
        plan[:, 0], plan[:, 1], plan[:, 2] = status, mode, t_cat
        plan[:, 3], plan[:, 4], plan[:, 5] = hue_t, hue_c, tone_hue
        k = np.maximum(comp, 1) - 1
        lv = np.stack([k, np.take_along_axis(tl, k, 1), np.take_along_axis(cl, k, 1)], axis=2)
        plan[:, _P_COMP:_P_COMP + 9] = np.where((comp >= 0)[:, :, None], lv, -1).reshape(n, 9)
        dv = np.stack([direct, np.take_along_axis(tv, np.maximum(direct, 0), 1)], axis=2)
        plan[:, _P_DIRECT:_P_DIRECT + 6] = np.where((direct >= 0)[:, :, None], dv,
                                                     -1).reshape(n, 6)
        rows = np.arange(n)
        plan[:, _P_NEG] = np.where(neg >= 0, cv[rows, np.maximum(neg, 0)], -1)
        plan[:, _P_FALLBACK] = np.where(fallback >= 0, cv[rows, np.maximum(fallback, 0)], -1)
        if asked is not None:
            rep = np.flatnonzero((u[:, U_REPEAT] < cfg.repeat_rate) & (asked != 0).any(1))
            if len(rep):
                made = asked[rep] != 0
                pick = (u[rep, U_REPEAT_PICK] * made.sum(1)).astype(np.int64)
                col = (np.cumsum(made, axis=1) <= pick[:, None]).sum(1)
                plan[rep, _P_REPEAT], plan[rep, _P_REPEAT + 1] = col, asked[rep, col]
        plan[status != NORMAL, 1:] = -1  # canned answers: nothing else to plan
        return plan

    def _item(self, i: int) -> tuple[int, list[int], list[int], frozenset[int]]:
        """(category, single values, levels, multi-label positions) of item `i` as Python
        values, for `_plan_rows` (cached)."""
        got = self._items.get(i)
        if got is None:
            p = self.profiles
            got = (int(p.category[i]), p.single[i].tolist(), p.level[i].tolist(),
                   frozenset(np.flatnonzero(self._multi[i]).tolist()))
            if len(self._items) < 2_000_000:
                self._items[i] = got
        return got

    @staticmethod
    def _roulette_row(cols: list[int], weights: list[int], u: Sequence[float], count: int
                      ) -> list[int]:
        """`roulette` for one row: `cols` with integer `weights`, in column order."""
        out: list[int] = []
        weights = list(weights)
        for r in range(min(count, len(u))):
            total = sum(weights)
            if total <= 0:
                break
            x = min(int(u[r] * total), total - 1)
            acc, j = weights[0], 0
            while acc <= x:  # first entry whose cumulative weight exceeds x
                j += 1
                acc += weights[j]
            out.append(cols[j])
            weights[j] = 0
        return out

    def _plan_rows(self, targets: Sequence[int], candidates: Sequence[int],
                   u: list[list[float]], asked: np.ndarray | None) -> list[list[int]]:
        """`_plan` one caption at a time in plain Python: the same plan, without numpy's
        per-call overhead (the single environment's path). A test keeps them equal."""
        cfg, s_n, cw = self.config, self.n_single, self._column_weights
        ordinal, noun, mcols = self._ordinal_list, self._noun_list, self._multi_list
        single_share = cfg.single_rate / (1 - cfg.mode_rates[2])
        three_mixed = cfg.three_rate / (1 - cfg.single_rate)
        plans = []
        for i, (t, c, uu) in enumerate(zip(targets, candidates, u)):
            plan = [-1] * PLAN_WIDTH
            plans.append(plan)
            t_cat, ts, tl, tm = self._item(t)
            c_cat, cs, cl, cm = self._item(c)
            same_cat = t_cat == c_cat
            diff = [] if same_cat else [0]
            comparable, remove, negatable = [], [], []
            for k in range(s_n):
                if ts[k] != cs[k] and ts[k] >= 0:
                    diff.append(1 + k)
                    if ordinal[k] and tl[k] >= 0 and cl[k] >= 0 and same_cat:
                        comparable.append(1 + k)
                    if not noun[cs[k]]:
                        negatable.append(1 + k)
            for j in sorted(tm ^ cm):
                diff.append(1 + s_n + j)
                if j in cm:
                    remove.append(1 + s_n + j)
                    if not noun[mcols[j]]:
                        negatable.append(1 + s_n + j)
            if t == c:
                plan[0] = FOUND
                continue
            if not diff:
                plan[0] = SAME
                continue
            if uu[U_IRRELEVANT] < cfg.irrelevant_rate:
                plan[0] = IRRELEVANT
                continue
            plan[0] = NORMAL
            mode = min(bisect.bisect_right(self._mode_cdf_list, uu[U_MODE]), 2)
            if mode == 1 and not comparable:
                mode = 0
            uc = uu[U_COUNT]
            if mode == 2:
                count = 3 if uc < three_mixed else 2
            else:
                count = 1 if uc < single_share else (3 if uc < single_share + cfg.three_rate
                                                     else 2)
            n_comp = count if mode == 1 else (
                max(1, count - 1 - (uu[U_COMP_COUNT] < 0.3)) if mode == 2 else 0)
            comp = self._roulette_row(comparable, [cw[k] for k in comparable],
                                      uu[U_COMP:U_COMP + 3], n_comp)
            hue_t, hue_c = ts[self._hue], cs[self._hue]
            tone_hue = (1 + self._tone) in comp and hue_t >= 0 and \
                uu[U_TONE_HUE] < cfg.tone_with_hue_rate
            taken = set(comp) | ({1 + self._hue} if tone_hue else set())
            rest = [k for k in diff if k not in taken and k not in remove]
            said = len(comp) + (tone_hue and hue_c != hue_t)
            need = count if mode == 0 else (count - said if mode == 2 else 0)
            direct = self._roulette_row(rest, [cw[k] for k in rest], uu[U_DIRECT:U_DIRECT + 3],
                                        need)
            plan[1:6] = [mode, t_cat, hue_t, hue_c, int(tone_hue)]
            for r, col in enumerate(comp):
                plan[_P_COMP + 3 * r:_P_COMP + 3 * r + 3] = [col - 1, tl[col - 1], cl[col - 1]]

            def value(col: int, cat: int, values: list[int]) -> int:
                return cat if col == 0 else (values[col - 1] if col <= s_n else
                                             mcols[col - 1 - s_n])

            for r, col in enumerate(direct):
                plan[_P_DIRECT + 2 * r:_P_DIRECT + 2 * r + 2] = [col, value(col, t_cat, ts)]
            if uu[U_NEGATE] < cfg.negation_rate:
                neg = self._roulette_row(negatable, [cw[k] for k in negatable],
                                         uu[U_NEG_PICK:U_NEG_PICK + 1], 1)
                if neg:
                    plan[_P_NEG] = value(neg[0], c_cat, cs)
            if not comp and not direct:
                fb = self._roulette_row(remove, [cw[k] for k in remove],
                                        uu[U_NEG_PICK:U_NEG_PICK + 1], 1)
                if fb:
                    plan[_P_FALLBACK] = value(fb[0], c_cat, cs)
            if asked is not None and uu[U_REPEAT] < cfg.repeat_rate:
                made = np.flatnonzero(asked[i]).tolist()
                if made:
                    col = made[int(uu[U_REPEAT_PICK] * len(made))]
                    plan[_P_REPEAT], plan[_P_REPEAT + 1] = col, int(asked[i, col])
        return plans

    # ------------------------------------------------------------------ phrasing
    def _direct(self, col: int, v: int, cat: int, u: float) -> tuple[str, str, Mention]:
        if col == 0:
            return self._cat_clause[v]
        kind, forms = self._kind[v], self._forms[v]
        form = forms[int(u * len(forms))]
        if kind == "noun":
            return "is", f"{form} {self._cat_nouns[cat]}", self._is[v]
        return ("has" if kind == "has" else "is"), form, self._is[v]

    def _negated(self, v: int, u: float) -> tuple[str, str, Mention]:
        forms = self._forms[v]
        return ("has no" if self._kind[v] == "has" else "is not"), \
            forms[int(u * len(forms))], self._not[v]

    def _comparative(self, k: int, t_level: int, c_level: int, r: int, plan: list[int],
                     u: list[float]) -> list[tuple[str, str, Mention]]:
        more = t_level > c_level
        m = self._comp_mentions.get((k, more, c_level))
        if m is None:
            m = self._comp_mentions[(k, more, c_level)] = Mention(
                self._single_types[k], self._single_names[k], self._single_names[k],
                "more" if more else "less", ref_level=c_level)
        if k == self._tone and plan[5]:  # "is a darker blue"
            hue = plan[3]
            forms = self._forms[hue]
            word = self.lexicon.tone_words[0 if more else 1]
            art = "a " if u[U_TONE_ARTICLE] >= 0.5 else ""
            out = [("is", f"{art}{word} {forms[int(u[U_COMP_FORM + r] * len(forms))].split()[0]}",
                    m)]
            if plan[4] != hue:  # the hue is a request too (silent: said inside the clause)
                out.append(("", "", self._is[hue]))
            return out
        slot = self._single_names[k]
        if slot in self._not_as and u[U_NOT_AS + r] < self.config.not_as_rate:
            verb, rest = self._not_as[slot][0 if more else 1]
        else:
            phrases = self._comparatives[slot][0 if more else 1]
            verb, rest = phrases[int(u[U_COMP_FORM + r] * len(phrases))]
        return [(verb, rest, m)]

    def _words(self, phrase: str) -> tuple[int, ...]:
        """Token ids of a phrase (cached: captions are built from a small set of phrases)."""
        got = self._tokens.get(phrase)
        if got is None:
            if len(self._tokens) >= _TOKEN_CACHE_SIZE:
                self._tokens.clear()
            got = self._tokens[phrase] = tuple(self.vocab.ids(phrase))
        return got

    def _compose(self, clauses: list[tuple[str, str, Mention]], u: list[float]
                 ) -> tuple[str, list[int]]:
        """The caption's text and token ids."""
        clauses = [c for c in clauses if c[0]]
        words = self._words
        verb, rest, _ = clauses[0]
        rate = self.config.filler_rate * (3.0 if len(clauses) == 1 else 0.5)
        if verb == "is" and u[U_FILLER] < rate:
            verb = FILLERS[int(u[U_FILLER_WORDS] * len(FILLERS))]
        parts = [verb, rest]
        for k, (verb, rest, _) in enumerate(clauses[1:]):
            x = u[U_JOIN + k]
            if verb == "has":
                parts.append("with" if x < 0.6 else "and has")
            elif verb == "has no":
                parts.append("with no" if x < 0.5 else ("without" if x < 0.75 else "but has no"))
            elif verb == "is not":
                parts.append("but not" if x < 0.6 else "and is not")
            else:
                parts.append("and" if x < 0.6 else "and is")
            parts.append(rest)
        tokens: list[int] = []
        cached = self._tokens.get
        for part in parts:
            ids = cached(part)
            tokens += words(part) if ids is None else ids
        return " ".join(parts), tokens

    @staticmethod
    def _typo(text: str, u: list[float]) -> str:
        words = text.split(" ")
        long = [i for i, wd in enumerate(words) if len(wd) >= 4 and wd.isalpha()]
        if not long:
            return text
        i = long[int(u[U_TYPO_WORD] * len(long))]
        wd = words[i]
        k = int(u[U_TYPO_POS] * (len(wd) - 1))
        words[i] = wd[:k] + wd[k + 1] + wd[k] + wd[k + 2:]
        return " ".join(words)

    @staticmethod
    def _drop(clauses: list, i: int) -> list:
        """Remove spoken clause `i` and its silent companion (the hue named inside
        "is a darker blue"), which directly follows it."""
        drop = {i, i + 1} if i + 1 < len(clauses) and not clauses[i + 1][0] else {i}
        return [c for k, c in enumerate(clauses) if k not in drop]

    def _corrupt(self, clauses: list, cat: int, u: list[float]) -> list:
        """Replace one direct request's value by another value of the same slot."""
        idx = [i for i, c in enumerate(clauses) if c[0] and c[2].relation == "is"
               and c[2].slot in SLOT_BY_NAME and not SLOT_BY_NAME[c[2].slot].multi]
        if not idx:
            return clauses
        i = idx[int(u[U_WRONG_PICK] * len(idx))]
        m = clauses[i][2]
        others = [v for v in SLOT_BY_NAME[m.slot].values.get(self.profiles.categories[cat], ())
                  if v != m.value and self.lexicon.values[v][0] != "noun"]
        if not others:
            return clauses
        value = others[int(u[U_WRONG_VALUE] * len(others))]
        kind, forms = self.lexicon.values[value]
        clauses = list(clauses)
        clauses[i] = ("has" if kind == "has" else "is", forms[int(u[U_WRONG_FORM] * len(forms))],
                      Mention(m.type, m.slot, value, "is", None, "wrong"))
        return clauses

    def _canned_feedback(self, status: int, u: list[float]) -> Feedback:
        phrases, mentions, label = self._canned[status]
        text = phrases[int(u[U_CANNED] * len(phrases))]
        return Feedback(text, self._words(text), mentions, label)

    def _caption(self, plan: list[int], u: list[float]) -> Feedback:
        """One caption from its plan row and uniforms (phrase assembly only)."""
        status, mode, cat = plan[0], plan[1], plan[2]
        if status:
            return self._canned_feedback(status, u)
        cfg = self.config
        clauses: list[tuple[str, str, Mention]] = []
        for r in range(3):
            k = plan[_P_COMP + 3 * r]
            if k < 0:
                break
            clauses += self._comparative(k, plan[_P_COMP + 3 * r + 1],
                                         plan[_P_COMP + 3 * r + 2], r, plan, u)
        for r in range(3):
            col = plan[_P_DIRECT + 2 * r]
            if col < 0:
                break
            clauses.append(self._direct(col, plan[_P_DIRECT + 2 * r + 1], cat,
                                        u[U_DIRECT_FORM + r]))
        if plan[_P_NEG] >= 0:
            spoken = [i for i, c in enumerate(clauses) if c[0]]
            if len(spoken) >= 2:  # keep captions short: the negation replaces a request
                clauses = self._drop(clauses, spoken[-1])
            clauses.append(self._negated(plan[_P_NEG], u[U_NEG_FORM]))
        if not clauses:  # only "remove" differences: say what it should not have
            if plan[_P_FALLBACK] < 0:  # (cannot happen: a difference is always sayable)
                raise AssertionError(f"no clause for caption plan {plan}")
            clauses.append(self._negated(plan[_P_FALLBACK], u[U_NEG_FORM]))
        v = plan[_P_REPEAT]
        if v >= 0:
            code = plan[_P_REPEAT + 1]
            forms = self._forms[v]
            clauses.append((_VERBS[self._repeat_verb[v, code]],
                            forms[int(u[U_REPEAT_FORM] * len(forms))],
                            self._repeat[code][v]))
        if cfg.omit_rate and u[U_OMIT] < cfg.omit_rate:
            spoken = [i for i, c in enumerate(clauses) if c[0]]
            if len(spoken) > 1:
                clauses = self._drop(clauses, spoken[int(u[U_OMIT_PICK] * len(spoken))])
        if cfg.wrong_rate and u[U_WRONG] < cfg.wrong_rate:
            clauses = self._corrupt(clauses, cat, u)
        if len(clauses) > 1 and clauses[0][0] != "is":
            # "is ... with ..." reads better than "has ... and is ..."
            k = next((i for i, c in enumerate(clauses) if c[0] == "is"), 0)
            if k:
                clauses.insert(0, clauses.pop(k))
        text, tokens = self._compose(clauses, u)
        if u[U_TYPO] < cfg.typo_rate:
            text = self._typo(text, u)
            tokens = self.vocab.ids(text)
        mentions = tuple(c[2] for c in clauses)
        label = MODES[mode]
        if mode == 2:
            compared = sum(m.relation in ("more", "less") for m in mentions)
            label = "direct" if not compared else \
                ("comparative" if compared == len(mentions) else "mixed")
        return Feedback(text, tuple(tokens), mentions, label)

    # ------------------------------------------------------------------ token assembly
    def _build_phrase_tables(self) -> None:
        """Every phrase a caption is assembled from, numbered, with its token ids; and
        lookup arrays from (value, form, category, ...) to phrase numbers, for `speak`."""
        ids: dict[str, int] = {"": 0}

        def pid(text: str) -> int:
            return ids.setdefault(text, len(ids))

        v_n, c_n, s_n = len(self.names), len(self._cat_nouns), self.n_single
        f_n = max(len(f) for f in self._forms)
        self._verb_ids = np.array([pid(v) for v in _VERBS])
        self._filler_ids = np.array([pid(f) for f in FILLERS])
        # Connector before a later clause, by its verb and by its uniform's bucket
        # (< 0.5, < 0.6, < 0.75, else): see `_compose`.
        self._conn_table = np.array([[pid(c) for c in row] for row in (
            ("and", "and", "and is", "and is"),  # is
            ("with", "with", "and has", "and has"),  # has
            ("with no", "without", "without", "but has no"),  # has no
            ("but not", "but not", "and is not", "and is not"))])  # is not
        self._n_forms = np.array([len(f) for f in self._forms])
        self._form_ids = np.zeros((v_n, f_n), dtype=np.int64)
        self._direct_ids = np.zeros((v_n, f_n, c_n), dtype=np.int64)
        self._direct_verb = np.zeros(v_n, dtype=np.int64)
        self._neg_verb = np.zeros(v_n, dtype=np.int64)
        self._repeat_verb = np.zeros((v_n, 3), dtype=np.int64)
        self._rememberable = np.array([k != "noun" for k in self._kind])
        hues = [v for v in range(v_n) if self.profiles.vocab.slots[v] == "hue"]
        self._tone_hue_ids = np.zeros((2, 2, v_n, f_n), dtype=np.int64)  # article, side
        for v, (kind, forms) in enumerate(zip(self._kind, self._forms)):
            has = kind == "has"
            self._direct_verb[v] = _HAS if has else _IS
            self._neg_verb[v] = _HAS_NO if has else _IS_NOT
            self._repeat_verb[v, 1:] = (_HAS, _HAS_NO) if has else (_IS, _IS_NOT)
            for f, form in enumerate(forms):
                self._form_ids[v, f] = pid(form)
                for c, noun in enumerate(self._cat_nouns):
                    self._direct_ids[v, f, c] = pid(f"{form} {noun}" if kind == "noun" else form)
                if v in hues:
                    for art, side in np.ndindex(2, 2):
                        self._tone_hue_ids[art, side, v, f] = pid(
                            f"{'a ' if art else ''}{self.lexicon.tone_words[side]} "
                            f"{form.split()[0]}")
        self._cat_ids = np.array([pid(rest) for _, rest, _ in self._cat_clause])
        self._comp_n = np.ones((s_n, 2), dtype=np.int64)
        cf_n = max(len(side) for sides in self._comparatives.values() for side in sides)
        self._comp_ids = np.zeros((s_n, 2, cf_n), dtype=np.int64)
        self._comp_verb = np.zeros((s_n, 2, cf_n), dtype=np.int64)
        self._has_not_as = np.zeros(s_n, dtype=bool)
        self._not_as_ids = np.zeros((s_n, 2), dtype=np.int64)
        self._not_as_verb = np.zeros((s_n, 2), dtype=np.int64)
        for k, slot in enumerate(self._single_names):
            for side, phrases in enumerate(self._comparatives.get(slot, ())):
                self._comp_n[k, side] = len(phrases)
                for f, (verb, rest) in enumerate(phrases):
                    self._comp_verb[k, side, f] = _VERBS.index(verb)
                    self._comp_ids[k, side, f] = pid(rest)
            if slot in self._not_as:
                self._has_not_as[k] = True
                for side, (verb, rest) in enumerate(self._not_as[slot]):
                    self._not_as_verb[k, side] = _VERBS.index(verb)
                    self._not_as_ids[k, side] = pid(rest)
        canned = {s: phrases for s, (phrases, _, _) in self._canned.items()}
        self._canned_n = np.ones(4, dtype=np.int64)
        self._canned_ids = np.zeros((4, max(len(p) for p in canned.values())), dtype=np.int64)
        for s, phrases in canned.items():
            self._canned_n[s] = len(phrases)
            self._canned_ids[s, :len(phrases)] = [pid(p) for p in phrases]
        tokens = [self.vocab.ids(p) for p in ids]
        self._phrase_tokens = np.zeros((len(ids), max(map(len, tokens))), dtype=np.int64)
        for i, t in enumerate(tokens):
            self._phrase_tokens[i, :len(t)] = t
        self._phrase_len = np.array([len(t) for t in tokens])
        self.caption_width = _PIECES * self._phrase_tokens.shape[1]

    def speak(self, targets: np.ndarray, candidates: np.ndarray, uniforms: np.ndarray,
              asked: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray],
                         list[Feedback] | None]:
        """`captions` without building text: the batched core's hot path.

        Returns the plans `(n, PLAN_WIDTH)` (`caption(plan, u)` turns one into its
        `Feedback` when the text or mentions are wanted), the token ids
        `(n, caption_width)` padded with PAD, the requests made (rows, values, codes), and
        the Feedback list when it was built anyway (batches under SMALL_BATCH), else None.
        Token ids are assembled from numbered phrases with array operations; captions
        that draw a typo, an omission or a wrong value take the plain-Python path.
        A test keeps both paths equal."""
        targets, candidates = self._check_inputs(targets, candidates, uniforms)
        n, cfg, u = len(targets), self.config, uniforms
        if n < SMALL_BATCH:  # few captions: plain Python throughout (and keep the Feedback)
            ul = u.tolist()
            plans = self._plan_rows(targets.tolist(), candidates.tolist(), ul, asked)
            fbs, made = self._build(plans, ul)
            return (np.array(plans, dtype=np.int64).reshape(n, PLAN_WIDTH),
                    token_matrix(fbs, self.caption_width, PAD),
                    tuple(np.array(m, dtype=np.int64) for m in made), fbs)
        plan = self._plan(targets, candidates, u, asked)
        status, cat = plan[:, 0], np.maximum(plan[:, 2], 0)
        normal = status == NORMAL
        noisy = normal & ((u[:, U_TYPO] < cfg.typo_rate) | (u[:, U_OMIT] < cfg.omit_rate) |
                          (u[:, U_WRONG] < cfg.wrong_rate))
        verb = np.zeros((n, 9), dtype=np.int64)
        rest = np.zeros((n, 9), dtype=np.int64)
        active = np.zeros((n, 9), dtype=bool)
        silent = np.zeros((n, 3), dtype=bool)  # the hue said inside "is a darker blue"
        hue = np.maximum(plan[:, 3], 0)
        for r in range(3):  # comparatives
            k = plan[:, _P_COMP + 3 * r]
            kk = np.maximum(k, 0)
            side = (plan[:, _P_COMP + 3 * r + 1] <= plan[:, _P_COMP + 3 * r + 2]).astype(int)
            x = u[:, U_COMP_FORM + r]
            tone_hue = (k == self._tone) & (plan[:, 5] == 1)
            art = (u[:, U_TONE_ARTICLE] >= 0.5).astype(int)
            tone_ids = self._tone_hue_ids[art, side, hue, (x * self._n_forms[hue]).astype(int)]
            not_as = self._has_not_as[kk] & (u[:, U_NOT_AS + r] < cfg.not_as_rate)
            f = (x * self._comp_n[kk, side]).astype(int)
            rest[:, r] = np.where(tone_hue, tone_ids, np.where(
                not_as, self._not_as_ids[kk, side], self._comp_ids[kk, side, f]))
            verb[:, r] = np.where(tone_hue, _IS, np.where(
                not_as, self._not_as_verb[kk, side], self._comp_verb[kk, side, f]))
            active[:, r] = k >= 0
            silent[:, r] = (k >= 0) & tone_hue & (plan[:, 4] != plan[:, 3])
        for r in range(3):  # direct requests
            col = plan[:, _P_DIRECT + 2 * r]
            v = np.maximum(plan[:, _P_DIRECT + 2 * r + 1], 0)
            f = (u[:, U_DIRECT_FORM + r] * self._n_forms[v]).astype(int)
            is_cat = col == 0
            rest[:, 3 + r] = np.where(is_cat, self._cat_ids[np.minimum(v, len(self._cat_ids) - 1)],
                                      self._direct_ids[v, f, cat])
            verb[:, 3 + r] = np.where(is_cat, _IS, self._direct_verb[v])
            active[:, 3 + r] = col >= 0
        for slot, p_col, u_col in ((6, _P_NEG, U_NEG_FORM), (7, _P_FALLBACK, U_NEG_FORM)):
            v = np.maximum(plan[:, p_col], 0)
            rest[:, slot] = self._form_ids[v, (u[:, u_col] * self._n_forms[v]).astype(int)]
            verb[:, slot] = self._neg_verb[v]
            active[:, slot] = plan[:, p_col] >= 0
        v, code = np.maximum(plan[:, _P_REPEAT], 0), np.maximum(plan[:, _P_REPEAT + 1], 0)
        rest[:, 8] = self._form_ids[v, (u[:, U_REPEAT_FORM] * self._n_forms[v]).astype(int)]
        verb[:, 8] = self._repeat_verb[v, code]
        active[:, 8] = plan[:, _P_REPEAT] >= 0
        # A negation replaces the last request when there are two or more.
        said = active[:, :6]
        drop = np.flatnonzero(active[:, 6] & (said.sum(1) >= 2))
        active[drop, 5 - np.argmax(said[drop, ::-1], axis=1)] = False
        active[:, 7] &= ~active[:, 6]
        # "is ... with ...": the first "is" request goes first.
        spoken = active.sum(1)
        key = np.where(active, np.arange(9), 99)
        first = np.argmax(active, axis=1)
        rows = np.arange(n)
        is_verb = active & (verb == _IS)
        lead_is = np.flatnonzero((spoken > 1) & (verb[rows, first] != _IS) & is_verb.any(1))
        key[lead_is, np.argmax(is_verb[lead_is], axis=1)] = -1
        order = np.argsort(key, axis=1, kind="stable")[:, :_PIECES // 2]
        verb, rest = np.take_along_axis(verb, order, 1), np.take_along_axis(rest, order, 1)
        pieces = np.zeros((n, _PIECES), dtype=np.int64)
        rate = np.where(spoken == 1, cfg.filler_rate * 3.0, cfg.filler_rate * 0.5)
        filler = (verb[:, 0] == _IS) & (u[:, U_FILLER] < rate)
        pieces[:, 0] = np.where(filler, self._filler_ids[(u[:, U_FILLER_WORDS] * len(FILLERS))
                                                         .astype(int)], self._verb_ids[verb[:, 0]])
        pieces[:, 1] = rest[:, 0]
        later = np.arange(1, _PIECES // 2) < spoken[:, None]  # clauses 2, 3, 4 said?
        x = u[:, U_JOIN:U_JOIN + _PIECES // 2 - 1]
        bucket = (x >= 0.5).astype(int) + (x >= 0.6) + (x >= 0.75)
        pieces[:, 2::2] = np.where(later, self._conn_table[verb[:, 1:], bucket], 0)
        pieces[:, 3::2] = np.where(later, rest[:, 1:], 0)
        canned = ~normal
        f = (u[:, U_CANNED] * self._canned_n[status]).astype(int)
        pieces[canned] = 0
        pieces[canned, 0] = self._canned_ids[status[canned], f[canned]]
        # Concatenate the pieces' token ids: each token goes to its piece's offset.
        length = self._phrase_len[pieces]
        start = np.cumsum(length, axis=1) - length
        r, p, t = np.nonzero(np.arange(self._phrase_tokens.shape[1]) < length[:, :, None])
        tokens = np.full((n, self.caption_width), PAD, dtype=np.int64)
        tokens[r, start[r, p] + t] = self._phrase_tokens[pieces[r, p], t]
        # Requests to remember for repeats: the hue inside a tone comparative, direct
        # values (not categories or item kinds), negations.
        act = active & normal[:, None] & ~noisy[:, None]
        hue_r = np.flatnonzero((silent & act[:, :3]).any(1) & self._rememberable[hue])
        dv = np.maximum(plan[:, _P_DIRECT + 1:_P_DIRECT + 6:2], 0)
        dr, dk = np.nonzero(act[:, 3:6] & (plan[:, _P_DIRECT:_P_DIRECT + 6:2] > 0) &
                            self._rememberable[dv])
        nr, nk = np.nonzero(act[:, 6:8])
        nv = plan[nr, np.where(nk == 0, _P_NEG, _P_FALLBACK)]
        nr, nv = nr[self._rememberable[nv]], nv[self._rememberable[nv]]
        noisy = np.flatnonzero(noisy)  # the plain-Python path
        fbs, (k, values, codes) = self._build(plan[noisy].tolist(), u[noisy].tolist())
        tokens[noisy] = token_matrix(fbs, self.caption_width, PAD)
        made = (np.concatenate([hue_r, dr, nr, noisy[np.array(k, dtype=np.int64)]]),
                np.concatenate([plan[hue_r, 3], dv[dr, dk], nv, np.array(values, np.int64)]),
                np.concatenate([np.ones(len(hue_r) + len(dr), dtype=np.int64),
                                np.full(len(nr), 2), np.array(codes, np.int64)]))
        return plan, tokens, made, None

    def caption(self, plan: Sequence[int], u: Sequence[float]) -> Feedback:
        """The `Feedback` of one planned caption (a row of `speak`'s plans and its
        uniforms): its text, tokens, mentions and mode."""
        return self._caption(np.asarray(plan).tolist(), np.asarray(u).tolist())

    def captions(self, targets: np.ndarray, candidates: np.ndarray, uniforms: np.ndarray,
                 asked: np.ndarray | None = None
                 ) -> tuple[list[Feedback], tuple[list[int], list[int], list[int]]]:
        """The shopper's captions for n (target, shown item) pairs.

        `uniforms` `(n, N_UNIFORMS)` in [0, 1) drive every random choice; `asked` `(n, V)`
        int8 holds each dialog's earlier requests (see `asked_from`), for repeats.
        Returns the captions and the requests they make, as (caption row, value, 1 "is" /
        2 "not") lists, to add to `asked`."""
        targets, candidates = self._check_inputs(targets, candidates, uniforms)
        ul = uniforms.tolist()
        if len(targets) < SMALL_BATCH:
            plans = self._plan_rows(targets.tolist(), candidates.tolist(), ul, asked)
        else:
            plans = self._plan(targets, candidates, uniforms, asked).tolist()
        return self._build(plans, ul)

    @staticmethod
    def _check_inputs(targets, candidates, uniforms: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        targets = np.asarray(targets, dtype=np.int64)
        candidates = np.asarray(candidates, dtype=np.int64)
        if uniforms.shape != (len(targets), N_UNIFORMS):
            raise ValueError(f"uniforms must have shape ({len(targets)}, {N_UNIFORMS}), "
                             f"got {uniforms.shape}")
        return targets, candidates

    def _build(self, plans: list[list[int]], ul: list[list[float]]
               ) -> tuple[list[Feedback], tuple[list[int], list[int], list[int]]]:
        """Captions from plan rows and their uniforms (Python), and the requests they
        make as (caption row, value, code) lists."""
        out: list[Feedback] = []
        rows: list[int] = []
        values: list[int] = []
        codes: list[int] = []
        remember = self._remember_id.get  # the shared table mentions, by identity
        for i, (p_row, u) in enumerate(zip(plans, ul)):
            fb = self._caption(p_row, u)
            out.append(fb)
            for m in fb.mentions:
                got = remember(id(m))
                if got is not None:
                    rows.append(i)
                    values.append(got[0])
                    codes.append(got[1])
        return out, (rows, values, codes)


class TemplateSimulator:
    """One shopper (one dialog): `reset(target, rng)`, then `feedback(candidate, history)`.
    (The batched core calls `SimulatorWorld.captions` for all its dialogs at once.)"""

    def __init__(self, world: SimulatorWorld):
        self.world = world
        self.target = -1
        self.rng: np.random.Generator | None = None

    @classmethod
    def for_catalog(cls, catalog: Catalog, config: TemplateConfig | None = None,
                    attributes: np.ndarray | None = None) -> TemplateSimulator:
        return cls(SimulatorWorld(catalog, config, attributes))

    def _check(self, item: int, what: str) -> int:
        n = len(self.world.profiles.category)
        if not 0 <= int(item) < n:
            raise ValueError(f"{what} {item} out of range 0..{n - 1}")
        return int(item)

    def reset(self, target: int, rng: np.random.Generator) -> None:
        self.target = self._check(target, "target")
        self.rng = rng

    def differences(self, candidate: int) -> list[str]:
        """Names of the difference columns on which the target and `candidate` differ."""
        row = self.world.differences(np.array([self.target]),
                                     np.array([self._check(candidate, "candidate")]))[0]
        return [self.world.column_slots[k] if k <= self.world.n_single else
                self.world.names[self.world.multi_columns[k - 1 - self.world.n_single]]
                for k in np.flatnonzero(row)]

    def feedback(self, candidate: int, history: Sequence[Feedback] = ()) -> Feedback:
        """The shopper's caption about `candidate`, given the dialog's earlier feedback."""
        if self.rng is None:
            raise RuntimeError("call reset(target, rng) before feedback()")
        c = self._check(candidate, "candidate")
        u = self.rng.random((1, N_UNIFORMS))
        return self.world.captions(np.array([self.target]), np.array([c]), u,
                                   self.world.asked_from(history))[0][0]
