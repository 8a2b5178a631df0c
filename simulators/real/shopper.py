"""The real-language shopper: people's captions, re-grounded onto each (target, shown) pair.

Each template is a real training caption whose grounded phrases became placeholders
(`simulators.real.build`): "is {0} with {1}" from "is black with long sleeves", each
placeholder knowing its concept kind (value, lacks, comparative), slot and scope word.
For a pair, a template *fits* when every placeholder can be filled with something true and
informative of the target relative to the shown item:

    value placeholder        a value the target has and the shown item lacks ("is red")
    negated / lacks          a value the shown item has and the target lacks ("no buttons")
    comparative              a slot whose level differs, worded by its direction ("darker")

The shopper draws a fitting template with probability proportional to how often people
wrote it (captions that ground nothing weighted by `RealConfig.ungrounded`), fills each
placeholder with a value drawn among the candidates and one of the phrases people used for
it (by frequency), and reports the mentions it realised. So every groundable word it says
is true of the pair by the catalog's ground truth, and every other word is a person's.
Every random choice of a dialog comes from uniforms drawn from its own generator at `start`.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SLOT_BY_NAME
from simulators.base import DialogsBase, Feedback, Mention, draw_uniforms, token_matrix
from simulators.grounding import Truth, parse
from simulators.modes import caption_mode
from simulators.real.config import RealConfig
from simulators.real.data import FOUND_TEXT, load_data, real_vocabulary
from simulators.real.tables import CategoryTable, RealTables
from simulators.vocab import PAD

WIDTH = 24
FOUND = Mention("target", "target", "target", "found")

# The uniforms of one caption (one row per turn, drawn from the dialog's generator at
# `start`): which fitting signature, which of its templates, then two per placeholder
# (which value fills it, which phrase says it).
U_SIGNATURE = 0
U_TEMPLATE = 1
U_FILLS = 2
MAX_PLACEHOLDERS = 6  # RealConfig.max_placeholders is at most this
N_UNIFORMS = U_FILLS + 2 * MAX_PLACEHOLDERS


def u_value(j: int) -> int:
    """Offset of the uniform choosing placeholder `j`'s value."""
    return U_FILLS + 2 * j


def u_phrase(j: int) -> int:
    """Offset of the uniform choosing placeholder `j`'s phrase."""
    return U_FILLS + 2 * j + 1


# When the drawn template cannot be filled (or its caption fails verification), up to
# RETRIES more draws of template and fills, each from the row's uniforms shifted by
# `attempt * RETRY_SHIFT` (mod 1; the golden ratio's fraction spreads the retries).
RETRIES = 3
RETRY_SHIFT = 0.6180339887


class RealShopper:
    """People's captions re-grounded onto the catalog (see the module docstring)."""

    name = "real"

    def __init__(self, catalog: Catalog, config: RealConfig | None = None,
                 data: dict | None = None):
        self.config = config or RealConfig()
        self.vocab = real_vocabulary()
        self.width = WIDTH
        self.catalog = catalog
        self.truth = Truth(catalog)
        self.attributes = catalog.attributes
        self.vnames = catalog.vocab.names
        self.found_ids = self.vocab.ids(FOUND_TEXT)
        self.n_items = len(catalog)
        self.tables = t = RealTables.build(catalog, self.vocab, data or load_data(),
                                           self.config, self.truth)
        self.forms, self.by_category = t.forms, t.by_category
        self.atoms, self.atom_id, self.relations = t.atoms, t.atom_id, t.relations
        self.level_slots, self.levels, self.candidates = t.level_slots, t.levels, t.candidates
        self._domain_tables: dict[str, tuple] = {}  # filled per domain by _domain_arrays
        self._toward_cache: dict[tuple[str, int, str], list[int]] = {}

    # -- speaking -------------------------------------------------------------------------
    def available(self, targets: np.ndarray, shown: np.ndarray, dom: str) -> np.ndarray:
        """`(n, atoms)` how many distinct fills each placeholder kind has for each pair:
        one matrix product for the value kinds, one gather for the comparisons."""
        m_is, m_not, cmp_slot, up, down = self._domain_arrays(dom)
        a = self.attributes
        t, s = a[targets], a[shown]
        out = (t & ~s).astype(np.float32) @ m_is + (~t & s).astype(np.float32) @ m_not
        lt, ls = self.levels[targets][:, cmp_slot], self.levels[shown][:, cmp_slot]
        ok = (lt >= 0) & (ls >= 0) & (((lt > ls) & up) | ((lt < ls) & down))
        return out.astype(np.int64) + ok

    def _domain_arrays(self, dom: str):
        """Per domain: `(V, atoms)` 0/1 candidate columns of the is / not atoms, and per
        atom its ordinal slot (column of `self.levels`) and allowed directions."""
        cached = self._domain_tables
        if dom not in cached:
            v, n = len(self.vnames), len(self.atoms)
            m_is, m_not = np.zeros((v, n), np.float32), np.zeros((v, n), np.float32)
            cmp_slot = np.zeros(n, dtype=np.int64)
            up, down = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
            for k, rel in enumerate(self.relations):
                if rel == "cmp":
                    cmp_slot[k] = self.level_slots.index(self.atoms[k][1])
                    up[k], down[k] = self._directions(dom, k)
                else:
                    (m_is if rel == "is" else m_not)[self.candidates[(dom, k)], k] = 1.0
            cached[dom] = (m_is, m_not, cmp_slot, up, down)
        return cached[dom]

    def _directions(self, dom: str, k: int) -> tuple[bool, bool]:
        kind, slot, modifier = self.atoms[k]
        if kind in ("more", "less"):
            return (dom, f"more|{slot}") in self.forms, (dom, f"less|{slot}") in self.forms
        cols = self.candidates[(dom, k)]
        dirs = {self._direction(slot, modifier, self.vnames[c]) for c in cols.tolist()}
        return "more" in dirs, "less" in dirs

    def _toward(self, dom: str, k: int, want: str) -> list[int]:
        """Candidate columns of modifier-comparison atom `k` ("more fitted") whose value
        points in direction `want` (computed once per domain, atom and direction)."""
        cache, key = self._toward_cache, (dom, k, want)
        if key not in cache:
            _, slot, modifier = self.atoms[k]
            cache[key] = [c for c in self.candidates[(dom, k)].tolist()
                          if self._direction(slot, modifier, self.vnames[c]) == want]
        return cache[key]

    def _direction(self, slot: str, modifier: str, value: str) -> str | None:
        for levels in SLOT_BY_NAME[slot].values.values():
            if value in levels:
                level, mid = levels.index(value), (len(levels) - 1) / 2
                if level == mid:
                    return None
                return "more" if (level > mid) == (modifier == "more") else "less"
        return None

    def speak(self, targets: np.ndarray, shown: np.ndarray, uniforms: np.ndarray
              ) -> tuple[np.ndarray, list[Feedback]]:
        """Token ids `(n, WIDTH)` and captions of pairs (`uniforms`: `(n, K)` in [0, 1))."""
        n = len(targets)
        out: list[Feedback | None] = [None] * n
        same = targets == shown
        for i in np.flatnonzero(same).tolist():
            out[i] = Feedback(FOUND_TEXT, tuple(self.found_ids), (FOUND,), "found")
        cats = self.catalog.category[targets]
        for c in np.unique(cats[~same]).tolist():
            rows = np.flatnonzero((cats == c) & ~same)
            table = self.by_category[c]
            avail = self.available(targets[rows], shown[rows], table.domain)
            sa = table.sig_atoms
            fits = np.ones((len(rows), len(sa)), dtype=bool)
            for j in range(sa.shape[1]):
                col = sa[:, j]
                need = (sa == col[:, None]).sum(axis=1)  # repeats of the atom in a signature
                ok = avail[:, np.maximum(col, 0)] >= need[None, :]
                fits &= ok | (col < 0)[None, :]
            w = fits * table.weight[None, :]
            total = w.sum(axis=1)
            if table.empty:  # nothing fits: a caption that grounds nothing
                w[total == 0, table.empty] = 1.0
                total = w.sum(axis=1)
            cum = np.cumsum(w, axis=1)
            pick = (cum <= (uniforms[rows, U_SIGNATURE] * total)[:, None]).sum(axis=1)
            pick = np.minimum(pick, len(sa) - 1)
            for j, (r, k) in enumerate(zip(rows.tolist(), pick.tolist())):
                f = self._fill(table, k, int(targets[r]), int(shown[r]), uniforms[r])
                for attempt in range(1, RETRIES + 1):
                    if f is not None:
                        break
                    # Another draw of template and fills from the row's own uniforms.
                    u = (uniforms[r] + attempt * RETRY_SHIFT) % 1.0
                    k2 = min(int((cum[j] <= u[U_SIGNATURE] * total[j]).sum()), len(sa) - 1)
                    f = self._fill(table, k2, int(targets[r]), int(shown[r]), u)
                if f is None:  # nothing verified: a caption that grounds nothing
                    f = self._fill(table, table.empty[0], 0, 0, uniforms[r]) \
                        if table.empty else Feedback("", (), (), "irrelevant")
                out[r] = f
        return token_matrix(out, self.width, PAD), out

    def _fill(self, table: CategoryTable, k: int, target: int, shown: int, u: np.ndarray
              ) -> Feedback | None:
        cum = table.cum[k]
        ids_t, _, atoms, text, risky = table.templates[k][
            min(bisect.bisect_right(cum, u[U_TEMPLATE] * cum[-1]), len(cum) - 1)]
        dom = table.domain
        a = self.attributes
        fills: list[tuple[list[int], str]] = []
        mentions: list[Mention] = []
        used: set[int] = set()
        for j, atom in enumerate(atoms):
            kind, slot, modifier = atom
            ak = self.atom_id[atom]
            rel = self.relations[ak]
            uv, uf = u[u_value(j)], u[u_phrase(j)]
            if rel == "cmp":
                lv = self.truth.levels[slot]
                up = lv[target] > lv[shown]
                if kind in ("more", "less"):
                    key = f"{'more' if up else 'less'}|{slot}"
                else:
                    cols = self._toward(dom, ak, "more" if up else "less")
                    if not cols:
                        return None
                    key = f"{kind}|{slot}|{self.vnames[cols[int(uv * len(cols))]]}"
                m = Mention(SLOT_BY_NAME[slot].type, slot, slot, "more" if up else "less",
                            ref_level=int(lv[shown]))
            else:
                cols = self.candidates[(dom, ak)]
                if rel == "is":
                    ok = a[target, cols] & ~a[shown, cols]
                else:
                    ok = ~a[target, cols] & a[shown, cols]
                choices = [c for c in cols[ok].tolist() if c not in used]
                if not choices:
                    return None
                c = choices[int(uv * len(choices))]
                used.add(c)
                key = f"{kind}|{slot}|{self.vnames[c]}"
                m = Mention(SLOT_BY_NAME[slot].type, slot, self.vnames[c], rel)
            forms = self.forms[(dom, key)]
            f = min(forms.pick(uf), len(forms.text) - 1)
            fills.append((forms.ids[f], forms.text[f]))
            mentions.append(m)
        ids: list[int] = []
        for t in ids_t:
            ids += fills[-1 - t][0] if t < 0 else [t]
        words = [fills[int(w[1:-1])][1] if w.startswith("{") else w for w in text.split()]
        if risky:  # a template word next to a placeholder may join its fill into a phrase
            cat = self.catalog.categories[self.catalog.category[target]]
            said = parse(" ".join(words), cat).mentions
            if not self.truth.all(said, target, shown):
                return None
        return Feedback(" ".join(words), tuple(ids), tuple(dict.fromkeys(mentions)),
                        caption_mode(mentions))

    def dialogs(self, batch_size: int, max_turns: int) -> RealDialogs:
        return RealDialogs(self, batch_size, max_turns)


class RealDialogs(DialogsBase):
    """The real-language shopper's state of B dialogs (`simulators.base.DialogsBase`)."""

    state = ("uniforms",)

    def __init__(self, shopper: RealShopper, batch_size: int, max_turns: int):
        super().__init__(shopper, batch_size, max_turns)
        self.uniforms = np.zeros((batch_size, max_turns + 1, N_UNIFORMS))

    def begin(self, rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        self.uniforms[rows] = draw_uniforms(rngs, self.uniforms.shape[1], N_UNIFORMS)

    def speak(self, rows: np.ndarray, shown: np.ndarray, turn: np.ndarray) -> np.ndarray:
        tokens, fb = self.shopper.speak(self.target[rows], shown, self.uniforms[rows, turn])
        self.record(rows.tolist(), turn.tolist(), fb)
        return tokens
