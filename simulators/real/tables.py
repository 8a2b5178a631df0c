"""The real-language shopper's tables, built once per catalog from the shipped caption data.

`RealTables.build(catalog, vocab, data, config, truth)` keeps the usable templates of each
category grouped by signature (the sorted ids of their placeholder atoms), the surface
forms of each concept key, the atoms with what each asserts, and the candidate attribute
columns of each atom per domain. `RealShopper` only reads them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SLOT_BY_NAME
from simulators.grounding import Truth, domain_of
from simulators.grounding_lexicon import LESS, MORE, NEGATORS, SCOPE_FILLER, phrase_tables
from simulators.real.config import RealConfig
from simulators.vocab import Vocabulary

SAMENESS = frozenset({"same", "identical", "exact", "exactly", "similar"})
DOMAINS = ("garment", "shoes")

Atom = tuple[str, str, str]  # (kind, slot, modifier) of a placeholder


def relation(kind: str, slot: str, modifier: str) -> str:
    """What a placeholder asserts: is, not or cmp (a comparison along an ordinal slot)."""
    if kind in ("more", "less"):
        return "cmp"
    ordinal = SLOT_BY_NAME[slot].ordinal
    if modifier in ("more", "less") and ordinal and kind == "value":
        return "cmp"
    positive = kind == "value"
    if modifier in ("not", "less"):
        positive = not positive
    return "is" if positive else "not"


class Forms:
    """Phrases of one concept key with cumulative weights."""

    def __init__(self, phrases: dict[str, int], vocab: Vocabulary):
        self.text = list(phrases)
        self.ids = [vocab.ids(p) for p in self.text]
        self.cum = np.cumsum(list(phrases.values())).tolist()

    def pick(self, u: float) -> int:
        return bisect.bisect_right(self.cum, u * self.cum[-1])


class Template(NamedTuple):
    """One usable caption template: token ids (a placeholder `i` as `-1 - i`), how often
    people wrote it, its placeholder atoms, its text and whether a fill may join a
    neighbouring template word into another phrase (then its caption is re-verified)."""

    ids: list[int]
    count: int
    atoms: list[Atom]
    text: str
    risky: bool


@dataclass(frozen=True)
class CategoryTable:
    """A category's templates grouped by signature (`sigs[k]`: sorted atom ids)."""

    domain: str
    sigs: list[tuple[int, ...]]
    sig_atoms: np.ndarray                 # (S, width) atom ids of each signature, -1 padded
    weight: np.ndarray                    # (S,) how often people wrote the signature
    templates: list[list[Template]]       # per signature
    cum: list[list[int]]                  # per signature: cumulative template counts
    empty: list[int]                      # signatures without placeholders


@dataclass(frozen=True)
class RealTables:
    """Everything `RealShopper` reads, built once from the catalog and the caption data."""

    forms: dict[tuple[str, str], Forms]   # (domain, concept key) -> phrases
    by_category: list[CategoryTable]
    atoms: list[Atom]
    atom_id: dict[Atom, int]
    relations: list[str]                  # per atom: is, not or cmp
    level_slots: list[str]                # ordinal slots, the columns of `levels`
    levels: np.ndarray                    # (N, len(level_slots)) ordinal level per item
    candidates: dict[tuple[str, int], np.ndarray]  # (domain, atom) -> attribute columns

    @classmethod
    def build(cls, catalog: Catalog, vocab: Vocabulary, data: dict, config: RealConfig,
              truth: Truth) -> RealTables:
        forms = build_forms(data, vocab)
        atom_index: dict[Atom, int] = {}
        joinable = {d: _joinable(t) for d, t in phrase_tables().items()}
        by_category = [category_table(cat, data, config, forms, vocab, joinable, atom_index)
                       for cat in catalog.categories]
        atoms: list[Atom] = list(atom_index)
        relations = [relation(*a) for a in atoms]
        level_slots = sorted(truth.levels)
        levels = np.stack([truth.levels[x] for x in level_slots], axis=1)
        candidates: dict[tuple[str, int], np.ndarray] = {}
        for dom in DOMAINS:
            for k, (kind, slot, _) in enumerate(atoms):
                if relations[k] == "cmp" and kind in ("more", "less"):
                    continue
                candidates[(dom, k)] = np.array(
                    sorted(all_cols(catalog, forms, dom, kind, slot)), dtype=np.int64)
        return cls(forms, by_category, atoms, atom_index, relations, level_slots, levels,
                   candidates)


def build_forms(data: dict, vocab: Vocabulary) -> dict[tuple[str, str], Forms]:
    out: dict[tuple[str, str], Forms] = {}
    for dom, forms in data["forms"].items():
        for key, phrases in forms.items():
            out[(dom, key)] = Forms(phrases, vocab)
    return out


def category_table(cat: str, data: dict, cfg: RealConfig, forms: dict, vocab: Vocabulary,
                   joinable: dict[str, frozenset[str]], atom_index: dict[Atom, int]
                   ) -> CategoryTable:
    """The usable templates of `cat` grouped by signature; new atoms get the next ids of
    `atom_index` (in template order)."""
    dom = domain_of(cat)
    groups: dict[tuple, list[Template]] = {}
    for text, count, atoms in data["templates"].get(cat, []):
        atoms = [tuple(a) for a in atoms]
        if count < cfg.min_count or len(atoms) > cfg.max_placeholders:
            continue
        if not atoms and SAMENESS.intersection(text.split()):
            continue  # "is exactly the same": said of the target itself
        if not all(usable(forms, dom, cat, a) for a in atoms):
            continue
        ids = []
        for w in text.split():
            ids.append(-1 - int(w[1:-1]) if w.startswith("{") else vocab.ids(w)[0])
        for a in atoms:
            atom_index.setdefault(a, len(atom_index))
        sig = tuple(sorted(atom_index[a] for a in atoms))
        groups.setdefault(sig, []).append(
            Template(ids, count, atoms, text, _risky(text.split(), joinable[dom])))
    sigs = list(groups)
    width = max([len(s) for s in sigs] + [1])
    sig_atoms = np.full((len(sigs), width), -1, dtype=np.int64)
    weight = np.zeros(len(sigs))
    for k, sig in enumerate(sigs):
        sig_atoms[k, :len(sig)] = sig
        total = sum(t.count for t in groups[sig])
        weight[k] = total * (cfg.ungrounded if not sig else 1.0)
    return CategoryTable(
        domain=dom, sigs=sigs, sig_atoms=sig_atoms, weight=weight,
        templates=[groups[s] for s in sigs],
        cum=[np.cumsum([t.count for t in groups[s]]).tolist() for s in sigs],
        empty=[k for k, s in enumerate(sigs) if not s])


def all_cols(catalog: Catalog, forms: dict, dom: str, kind: str, slot: str) -> list[int]:
    """Attribute columns of the slot's values in `dom` that people have a phrase for."""
    names = set()
    for cat, vals in SLOT_BY_NAME[slot].values.items():
        if domain_of(cat) == dom:
            names.update(vals)
    return [catalog.vocab.index(v) for v in names
            if v in catalog.vocab and (dom, f"{kind}|{slot}|{v}") in forms]


def usable(forms: dict, dom: str, cat: str, atom: tuple) -> bool:
    """Whether some phrase can fill placeholder `atom` in category `cat`."""
    kind, slot, modifier = atom
    s = SLOT_BY_NAME.get(slot)
    if s is None or cat not in s.values:
        return False
    if kind in ("more", "less"):
        return (dom, f"more|{slot}") in forms or (dom, f"less|{slot}") in forms
    return any((dom, f"{kind}|{slot}|{v}") in forms for v in s.values[cat])


def _joinable(table: dict) -> frozenset[str]:
    """Words of the domain's multi-word phrases (scope and glue words aside): such a word
    next to a placeholder may join the fill into another phrase ("cap" + "sleeves")."""
    words = {w for phrase in table if len(phrase) > 1 for w in phrase}
    return frozenset(words - NEGATORS - SCOPE_FILLER - MORE - LESS - {"and", "with"})


def _risky(words: list[str], joinable: frozenset[str]) -> bool:
    return any(w.startswith("{") and ((i > 0 and words[i - 1] in joinable) or
                                       (i + 1 < len(words) and words[i + 1] in joinable))
               for i, w in enumerate(words))
