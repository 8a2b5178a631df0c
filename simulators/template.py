"""The template shopper: an attribute-aware relative captioner.

Given the hidden target and a shown candidate it lists the attribute differences, picks
1-3 of them by salience (category and colour first, then shape, texture, part, fabric,
style), phrases them in one of Fashion IQ's modes — direct ("is solid white and has
buttons"), comparative ("has longer sleeves and is lighter in color") or mixed — with
the configured shares (Fashion IQ, Table 2), optionally adds a negation ("with no lace"),
and applies configurable noise (wrong value, omission, irrelevant caption, repetition of an
earlier request, typo). Every request is true of the target unless noise says otherwise,
so wishes never contradict each other across turns.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SLOT_BY_NAME
from simulators.base import Feedback, Mention
from simulators.lexicon import Lexicon, make_lexicon
from simulators.profiles import AttributeProfiles
from simulators.vocab import Vocabulary, default_vocabulary

DEFAULT_SALIENCE: dict[str, float] = {
    "category": 6.0, "hue": 7.0, "silhouette": 1.6, "length": 2.2, "sleeve": 2.2, "heel": 2.0,
    "tone": 2.0, "pattern": 1.8, "neckline": 1.1, "parts": 0.8, "texture_extra": 0.9,
    "toe": 1.1, "fit": 1.3, "shine": 1.0, "fabric": 0.7, "style": 0.45,
}
MODES = ("direct", "comparative", "mixed")


@dataclass(frozen=True)
class TemplateConfig:
    """Rates of the template shopper (defaults: Fashion IQ's measured shares)."""

    lexicon: str = "train"
    mode_rates: tuple[float, float, float] = (0.49, 0.32, 0.19)
    single_rate: float = 0.305
    three_rate: float = 0.05
    negation_rate: float = 0.035
    tone_with_hue_rate: float = 0.8
    not_as_rate: float = 0.06
    filler_rate: float = 0.12
    wrong_rate: float = 0.0
    omit_rate: float = 0.0
    irrelevant_rate: float = 0.02
    repeat_rate: float = 0.05
    typo_rate: float = 0.01
    salience: tuple[tuple[str, float], ...] = tuple(DEFAULT_SALIENCE.items())

    def __post_init__(self) -> None:
        if isinstance(self.salience, dict):  # accept a dict, store a hashable tuple
            object.__setattr__(self, "salience", tuple(self.salience.items()))
        if len(self.mode_rates) != 3 or abs(sum(self.mode_rates) - 1) > 1e-6 or \
                min(self.mode_rates) < 0:
            raise ValueError(f"mode_rates (direct, comparative, mixed) must be 3 non-negative "
                             f"shares summing to 1, got {self.mode_rates}")
        for name in ("single_rate", "three_rate", "negation_rate", "filler_rate", "wrong_rate",
                     "omit_rate", "irrelevant_rate", "tone_with_hue_rate", "not_as_rate",
                     "repeat_rate", "typo_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.single_rate + self.three_rate > 1 or self.single_rate > 1 - self.mode_rates[2]:
            raise ValueError("single_rate + three_rate must be <= 1 and single_rate <= "
                             "1 - mixed share (mixed captions need two requests)")


class _Diff(NamedTuple):
    slot: str
    kind: str  # category | single | add | remove
    t: int  # target value (vocab index; category index for kind=category)
    c: int  # candidate value
    t_level: int
    c_level: int
    weight: float


class SimulatorWorld:
    """What every shopper of a catalog shares: profiles, lexicon, vocabulary."""

    def __init__(self, catalog: Catalog, config: TemplateConfig | None = None,
                 attributes: np.ndarray | None = None, vocabulary: Vocabulary | None = None):
        self.config = config or TemplateConfig()
        self.profiles = AttributeProfiles(catalog, attributes)
        self.lexicon: Lexicon = make_lexicon(self.config.lexicon)
        self.vocab = vocabulary or default_vocabulary()
        self.names = catalog.vocab.names
        self.types = catalog.vocab.types
        p = self.profiles
        self._single_names = [s.name for s in p.single_slots]
        self.salience = dict(self.config.salience)
        self._single_w = np.array([self.salience.get(s, 1.0) for s in self._single_names])
        self._ordinal = np.array([s.ordinal for s in p.single_slots])
        self._multi_slot_of = {j: catalog.vocab.slots[j] for j in range(len(self.names))
                               if catalog.vocab.slots[j] in {s.name for s in p.multi_slots}}
        self._mode_cdf = np.cumsum(self.config.mode_rates).tolist()
        self._single_w = self._single_w.tolist()
        self.category_weight = self.salience.get("category", 1.0)
        self.multi_weight = {s.name: self.salience.get(s.name, 1.0)
                             for s in p.multi_slots}
        self._items: dict[int, tuple] = {}

    def batch_differences(self, targets: np.ndarray, candidates: np.ndarray
                          ) -> list[list[_Diff]]:
        """`TemplateSimulator.differences` for many (target, candidate) pairs at once,
        computed with array operations (the batched core's hot path)."""
        p = self.profiles
        n = len(targets)
        out: list[list[_Diff]] = [[] for _ in range(n)]
        t_cat, c_cat = p.category[targets], p.category[candidates]
        same = t_cat == c_cat
        for r in np.flatnonzero(~same).tolist():
            out[r].append(_Diff("category", "category", int(t_cat[r]), int(c_cat[r]), -1, -1,
                                self.category_weight))
        ts, cs = p.single[targets], p.single[candidates]
        rows, slots = np.nonzero((ts != cs) & (ts >= 0))
        tv, cv = ts[rows, slots].tolist(), cs[rows, slots].tolist()
        tl = p.level[targets][rows, slots].tolist()
        cl = np.where(same[rows], p.level[candidates][rows, slots], -1).tolist()
        names, weights = self._single_names, self._single_w
        for i, (r, k) in enumerate(zip(rows.tolist(), slots.tolist())):
            out[r].append(_Diff(names[k], "single", tv[i], cv[i], tl[i], cl[i], weights[k]))
        mt = p.multi[targets]
        rows, cols = np.nonzero(mt ^ p.multi[candidates])
        has = mt[rows, cols].tolist()
        for r, j, h in zip(rows.tolist(), cols.tolist(), has):
            slot = self._multi_slot_of[j]
            out[r].append(_Diff(slot, "add" if h else "remove", j, j, -1, -1,
                                self.multi_weight[slot]))
        return out

    def item(self, i: int) -> tuple[int, tuple[int, ...], tuple[int, ...], frozenset[int]]:
        """(category, single values, ordinal levels, multi-label values) of item `i`,
        as plain Python values (cached: the simulator's inner loop runs on these)."""
        got = self._items.get(i)
        if got is None:
            p = self.profiles
            got = (int(p.category[i]), tuple(p.single[i].tolist()), tuple(p.level[i].tolist()),
                   frozenset(np.flatnonzero(p.multi[i]).tolist()))
            if len(self._items) < 2_000_000:
                self._items[i] = got
        return got


class TemplateSimulator:
    """One shopper (per dialog): `reset(target, rng)`, then `feedback(candidate, history)`."""

    def __init__(self, world: SimulatorWorld):
        self.world = world
        self.target = -1
        self.candidate = -1
        self.rng: np.random.Generator | None = None

    @classmethod
    def for_catalog(cls, catalog: Catalog, config: TemplateConfig | None = None,
                    attributes: np.ndarray | None = None) -> TemplateSimulator:
        return cls(SimulatorWorld(catalog, config, attributes))

    def reset(self, target: int, rng: np.random.Generator) -> None:
        n = len(self.world.profiles.category)
        if not 0 <= int(target) < n:
            raise ValueError(f"target {target} out of range 0..{n - 1}")
        self.target = int(target)
        self.rng = rng
        self._u: list[float] = []

    def _rand(self) -> float:
        """Next uniform in [0, 1) of this dialog's generator (drawn in blocks: numpy's
        scalar calls cost microseconds each, and this runs once per dialog per turn)."""
        if not self._u:
            self._u = self.rng.random(32).tolist()
        return self._u.pop()

    def _int(self, n: int) -> int:
        return min(int(self._rand() * n), n - 1)

    # ------------------------------------------------------------------ differences
    def differences(self, candidate: int) -> list[_Diff]:
        """Every attribute on which the target and `candidate` differ."""
        w = self.world
        t_cat, ts, tl, tm = w.item(self.target)
        c_cat, cs, cl, cm = w.item(candidate)
        out: list[_Diff] = []
        same_cat = t_cat == c_cat
        if not same_cat:
            out.append(_Diff("category", "category", t_cat, c_cat, -1, -1, w.category_weight))
        names, weights = w._single_names, w._single_w
        k = 0
        for a, c in zip(ts, cs):
            if a != c and a >= 0:
                out.append(_Diff(names[k], "single", a, c, tl[k], cl[k] if same_cat else -1,
                                 weights[k]))
            k += 1
        for j in sorted(tm ^ cm):  # column order, as batch_differences
            slot = w._multi_slot_of[j]
            out.append(_Diff(slot, "add" if j in tm else "remove", j, j, -1, -1,
                             w.multi_weight[slot]))
        return out

    # ------------------------------------------------------------------ phrasing
    def _pick(self, pool: list[_Diff], k: int) -> list[_Diff]:
        """`k` differences without replacement, each draw proportional to salience
        (successive roulette wheel: one uniform per draw)."""
        if k >= len(pool):
            return list(pool)
        pool = list(pool)
        out = []
        total = sum(d.weight for d in pool)
        for _ in range(k):
            u = self._rand() * total
            j = 0
            while j < len(pool) - 1 and u >= pool[j].weight:
                u -= pool[j].weight
                j += 1
            d = pool.pop(j)
            total -= d.weight
            out.append(d)
        return out

    def _form(self, value: str) -> tuple[str, str]:
        kind, forms = self.world.lexicon.values[value]
        return kind, forms[self._int(len(forms))]

    def _choice(self, options: Sequence[str]) -> str:
        return options[self._int(len(options))]

    def _direct(self, d: _Diff) -> tuple[str, str, Mention]:
        w = self.world
        if d.kind == "category":
            cat = w.profiles.categories[d.t]
            noun = w.lexicon.categories[cat]
            art = "" if cat == "shoes" else "a "
            return "is", f"{art}{noun}", Mention("category", "category", cat, "is")
        name = w.names[d.t]
        kind, form = self._form(name)
        m = Mention(w.types[d.t], d.slot, name, "is")
        if kind == "noun":
            cat = w.profiles.categories[w.profiles.category[self.target]]
            return "is", f"{form} {w.lexicon.categories[cat]}", m
        return ("has" if kind == "has" else "is"), form, m

    def _negated(self, d: _Diff) -> tuple[str, str, Mention] | None:
        w = self.world
        if d.kind not in ("single", "remove") or d.c < 0:
            return None
        name = w.names[d.c]
        kind, form = self._form(name)
        m = Mention(w.types[d.c], d.slot, name, "not")
        if kind == "noun":
            return None
        if kind == "has":
            return "has no", form, m
        return "is not", form, m

    def _comparative(self, d: _Diff) -> list[tuple[str, str, Mention]]:
        w = self.world
        more = d.t_level > d.c_level
        m = Mention(SLOT_BY_NAME[d.slot].type, d.slot, d.slot, "more" if more else "less",
                    ref_level=d.c_level)
        if d.slot == "tone" and self._rand() < w.config.tone_with_hue_rate:
            # "is a darker blue": the comparative names the target's hue too.
            hue = w.item(self.target)[1][w.profiles.slot_index["hue"]]
            cand_hue = w.item(self.candidate)[1][w.profiles.slot_index["hue"]]
            if hue >= 0:
                name = w.names[hue]
                _, form = self._form(name)
                word = w.lexicon.tone_words[0 if more else 1]
                out = [("is", f"{self._choice(('', 'a '))}{word} {form.split()[0]}", m)]
                if cand_hue != hue:
                    out.append(("", "", Mention(w.types[hue], "hue", name, "is")))
                return out
        phrases = w.lexicon.comparatives[d.slot][0 if more else 1]
        if d.slot in w.lexicon.not_as and self._rand() < w.config.not_as_rate:
            phrases = (w.lexicon.not_as[d.slot][0 if more else 1],)
        verb, _, rest = self._choice(phrases).partition(" ")
        return [(verb, rest, m)]

    def _compose(self, clauses: list[tuple[str, str, Mention]]) -> str:
        clauses = [c for c in clauses if c[0]]
        verb, rest, _ = clauses[0]
        first = f"{verb} {rest}"
        rate = self.world.config.filler_rate * (3.0 if len(clauses) == 1 else 0.5)
        if verb == "is" and self._rand() < rate:
            first = self._choice(("should be", "should be", "needs to be",
                                  "i want it to be")) + f" {rest}"
        parts = [first]
        for verb, rest, _ in clauses[1:]:
            u = self._rand()
            if verb == "has":
                parts.append(f"with {rest}" if u < 0.6 else f"and has {rest}")
            elif verb == "has no":
                parts.append(f"with no {rest}" if u < 0.5 else
                             (f"without {rest}" if u < 0.75 else f"but has no {rest}"))
            elif verb == "is not":
                parts.append(f"but not {rest}" if u < 0.6 else f"and is not {rest}")
            else:
                parts.append(f"and {rest}" if u < 0.6 else f"and is {rest}")
        return " ".join(parts)

    def _typo(self, text: str) -> str:
        words = text.split(" ")
        long = [i for i, wd in enumerate(words) if len(wd) >= 4 and wd.isalpha()]
        if not long:
            return text
        i = long[self._int(len(long))]
        wd = words[i]
        k = self._int(len(wd) - 1)
        words[i] = wd[:k] + wd[k + 1] + wd[k] + wd[k + 2:]
        return " ".join(words)

    def _finish(self, text: str, mentions: tuple[Mention, ...], mode: str) -> Feedback:
        return Feedback(text, tuple(self.world.vocab.ids(text)), mentions, mode)

    # ------------------------------------------------------------------ the caption
    def feedback(self, candidate: int, history: Sequence[Feedback] = (),
                 differences: list[_Diff] | None = None) -> Feedback:
        """The shopper's caption about `candidate`. `differences` may be passed when
        already computed (`SimulatorWorld.batch_differences`)."""
        if self.rng is None:
            raise RuntimeError("call reset(target, rng) before feedback()")
        w, cfg = self.world, self.world.config
        lex = w.lexicon
        self.candidate = int(candidate)
        if candidate == self.target:
            m = Mention("target", "target", "target", "found")
            return self._finish(self._choice(lex.found), (m,), "found")
        diffs = self.differences(candidate) if differences is None else differences
        if not diffs:
            return self._finish(self._choice(lex.same), (), "same")
        if self._rand() < cfg.irrelevant_rate:
            return self._finish(self._choice(lex.irrelevant), (), "irrelevant")
        mode = MODES[min(2, bisect.bisect_right(w._mode_cdf, self._rand()))]
        u = self._rand()
        if mode == "mixed":
            n = 3 if u < cfg.three_rate / (1 - cfg.single_rate) else 2
        else:
            single = cfg.single_rate / (1 - cfg.mode_rates[2])
            n = 1 if u < single else (3 if u < single + cfg.three_rate else 2)
        comparable = [d for d in diffs if d.kind == "single" and d.t_level >= 0
                      and d.c_level >= 0]
        if mode == "comparative" and not comparable:
            mode = "direct"
        clauses: list[tuple[str, str, Mention]] = []
        if mode != "direct":
            n_comp = n if mode == "comparative" else max(1, n - 1 - int(self._rand() < 0.3))
            chosen = self._pick(comparable, n_comp)
            for d in chosen:
                clauses += self._comparative(d)
            rest = [d for d in diffs if d not in chosen and d.kind != "remove"]
            need = n - len(clauses) if mode == "mixed" else 0
        else:
            rest = [d for d in diffs if d.kind != "remove"]
            need = n
        negate = self._rand() < cfg.negation_rate
        direct = self._pick(rest, need) if need > 0 else []
        clauses += [self._direct(d) for d in direct]
        if negate:
            pool = [d for d in diffs if d.kind in ("single", "remove") and d.c >= 0
                    and w.names[d.c] in lex.values and lex.values[w.names[d.c]][0] != "noun"]
            neg = self._pick(pool, 1)
            if neg:
                clause = self._negated(neg[0])
                if clause is not None:
                    spoken = [i for i, c in enumerate(clauses) if c[0]]
                    if len(spoken) >= 2:
                        clauses = self._drop(clauses, spoken[-1])
                    clauses.append(clause)
        if not clauses:  # only "remove" differences: say what it should not have
            clause = self._negated(self._pick([d for d in diffs if d.kind == "remove"], 1)[0])
            clauses.append(clause)
        if history and self._rand() < cfg.repeat_rate:
            earlier = [m for fb in history for m in fb.mentions
                       if m.relation in ("is", "not") and m.noise is None
                       and m.type != "category"]
            if earlier:
                m = earlier[self._int(len(earlier))]
                kind, form = self._form(m.value)
                if kind != "noun":
                    verb = {("has", "is"): "has", ("has", "not"): "has no",
                            ("adj", "is"): "is", ("adj", "not"): "is not"}[(kind, m.relation)]
                    clauses.append((verb, form, Mention(m.type, m.slot, m.value, m.relation,
                                                        m.ref_level, "repeat")))
        spoken = [i for i, c in enumerate(clauses) if c[0]]
        if len(spoken) > 1 and self._rand() < cfg.omit_rate:
            clauses = self._drop(clauses, spoken[self._int(len(spoken))])
        if self._rand() < cfg.wrong_rate:
            clauses = self._corrupt(clauses)
        if len(clauses) > 1 and clauses[0][0] != "is" and any(c[0] == "is" for c in clauses):
            # "is ... with ..." reads better than "has ... and is ..."
            k = next(i for i, c in enumerate(clauses) if c[0] == "is")
            clauses.insert(0, clauses.pop(k))
        text = self._compose(clauses)
        if self._rand() < cfg.typo_rate:
            text = self._typo(text)
        if mode == "mixed" and not any(c[2].relation in ("more", "less") for c in clauses):
            mode = "direct"
        elif mode == "mixed" and all(c[2].relation in ("more", "less") for c in clauses):
            mode = "comparative"
        return self._finish(text, tuple(c[2] for c in clauses), mode)

    @staticmethod
    def _drop(clauses: list, i: int) -> list:
        """Remove spoken clause `i` and its silent companion (the hue named inside
        "is a darker blue"), which directly follows it."""
        drop = {i, i + 1} if i + 1 < len(clauses) and not clauses[i + 1][0] else {i}
        return [c for k, c in enumerate(clauses) if k not in drop]

    def _corrupt(self, clauses):
        """Replace one direct request's value by another value of the same slot."""
        w = self.world
        idx = [i for i, c in enumerate(clauses) if c[0] and c[2].relation == "is"
               and c[2].slot in SLOT_BY_NAME and not SLOT_BY_NAME[c[2].slot].multi]
        if not idx:
            return clauses
        i = idx[self._int(len(idx))]
        m = clauses[i][2]
        cat = w.profiles.categories[w.profiles.category[self.target]]
        others = [v for v in SLOT_BY_NAME[m.slot].values.get(cat, ()) if v != m.value
                  and w.lexicon.values[v][0] != "noun"]
        if not others:
            return clauses
        value = others[self._int(len(others))]
        kind, form = self._form(value)
        clauses = list(clauses)
        clauses[i] = ("has" if kind == "has" else "is", form,
                      Mention(m.type, m.slot, value, "is", None, "wrong"))
        return clauses
