"""Ground relative captions in the catalog: text -> structured mentions, and their truth.

    g = parse("is darker and has no buttons", "shirt")
    g.mentions   # (Mention(color, tone, tone, more), Mention(part, parts, buttons, not))
    g.status     # "full": every content word is part of a grounded phrase
    truth(g.mentions, catalog, target, shown)   # is each mention true of the pair?

The phrase table (`simulators.grounding_lexicon`) maps the words people use onto the
catalog's attribute values and ordinal slots; the parser matches the longest phrase at each
position and reads the words before it for scope:

- a negator ("no", "not", "without", ...) before a value makes it `not` ("no buttons",
  "is not black"; it carries over "or": "no buttons or pockets"), before a `lacks` phrase
  makes it `is` ("no sleeves" = sleeveless);
- "more" / "less" before an ordinal value compare along its slot ("more fitted" = tighter,
  "less shiny" = duller); before any other value they mean `is` / `not` ("more floral");
- a comparative word ("darker", "longer sleeves", "higher heel") is `more` / `less` of its
  slot; preceded by a negator it says nothing definite and is not grounded.

A phrase is grounded only when its slot and value exist for the item's category
("longer" grounds for a dress, not for a shoe). `status` is `full` (at least one mention and
no content word left over), `partial` (mentions and leftover words) or `none` (no mention);
`unparsed` lists the leftover content words (not glue words like "is", "the", "color").
Comparative mentions carry `ref_level=None`: the parser does not know the shown item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dialog_env.catalog.schema import CATEGORIES, GARMENTS, SLOT_BY_NAME
from simulators.base import Mention
from simulators.grounding_lexicon import (
    LESS,
    MORE,
    NEGATORS,
    NEUTRAL,
    SCOPE_FILLER,
    Concept,
    phrase_tables,
)

_WORD = re.compile(r"[a-z0-9/']+")
MAX_PHRASE = 4
STATUSES = ("full", "partial", "none")


def tokenize(text: str) -> list[str]:
    """Lower-cased words; hyphenated words split ("v-neck" -> "v", "neck")."""
    return _WORD.findall(text.lower().replace("-", " "))


def domain_of(category: str) -> str:
    if category in GARMENTS:
        return "garment"
    if category == "shoes":
        return "shoes"
    raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")


@dataclass(frozen=True)
class Span:
    """A grounded phrase: tokens `start:end`, its concept, the mention it became and the
    scope word that shaped it (`not`, `more`, `less`; "" for none)."""

    start: int
    end: int
    concept: Concept
    mention: Mention
    modifier: str = ""


@dataclass(frozen=True)
class Grounding:
    tokens: tuple[str, ...]
    spans: tuple[Span, ...]
    unparsed: tuple[str, ...]

    @property
    def mentions(self) -> tuple[Mention, ...]:
        seen: dict[Mention, None] = {}
        for s in self.spans:
            seen.setdefault(s.mention)
        return tuple(seen)

    @property
    def status(self) -> str:
        if not self.spans:
            return "none"
        return "partial" if self.unparsed else "full"


@lru_cache(maxsize=1)
def _tables():
    return phrase_tables()


def _applies(concept: Concept, category: str) -> bool:
    slot = SLOT_BY_NAME.get(concept[1])
    if slot is None or category not in slot.values:
        return False
    if concept[0] in ("more", "less"):
        return slot.ordinal
    return concept[2] in slot.values[category]


def _modifier(tokens: list[str], start: int, floor: int) -> str | None:
    """The scope word (negator, more, less) before position `start`, skipping filler words,
    not looking before `floor` (the end of the previous grounded phrase)."""
    j = start - 1
    while j >= floor and tokens[j] in SCOPE_FILLER:
        j -= 1
    if j < floor:
        return None
    w = tokens[j]
    if w in NEGATORS:
        return "not"
    if w in MORE:
        return "more"
    if w in LESS:
        return "less"
    return None


def _mention(concept: Concept, modifier: str | None, category: str) -> Mention | None:
    kind, slot_name = concept[0], concept[1]
    slot = SLOT_BY_NAME[slot_name]
    if kind in ("more", "less"):
        if modifier == "not":
            return None  # "not darker": nothing definite
        return Mention(slot.type, slot_name, slot_name, kind)
    value = concept[2]
    positive = kind == "value"
    if modifier == "not":
        positive = not positive
    elif modifier in ("more", "less") and slot.ordinal and kind == "value":
        levels = slot.values[category]
        level, mid = levels.index(value), (len(levels) - 1) / 2
        if level == mid:
            return None
        up = (level > mid) == (modifier == "more")
        return Mention(slot.type, slot_name, slot_name, "more" if up else "less")
    elif modifier == "less":
        positive = not positive
    return Mention(slot.type, slot_name, value, "is" if positive else "not")


def parse(text: str, category: str) -> Grounding:
    """The mentions of caption `text` about an item of `category` (see the module doc)."""
    table = _tables()[domain_of(category)]
    tokens = tokenize(text)
    spans: list[Span] = []
    unparsed: list[str] = []
    i, floor, last_negated = 0, 0, False
    while i < len(tokens):
        for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
            concept = table.get(tuple(tokens[i:i + n]))
            if concept is not None:
                break
        else:
            if tokens[i] not in NEUTRAL and tokens[i] not in NEGATORS:
                unparsed.append(tokens[i])
            i += 1
            continue
        if not _applies(concept, category):
            unparsed.extend(tokens[i:i + n])
            i += n
            continue
        modifier = _modifier(tokens, i, floor)
        between = tokens[floor:i]
        if modifier is None and last_negated and spans and between and \
                all(w in ("or", "nor", "and") for w in between) and "and" not in between:
            modifier = "not"  # "no buttons or pockets"
        m = _mention(concept, modifier, category)
        if m is None:
            unparsed.extend(tokens[i:i + n])
        else:
            spans.append(Span(i, i + n, concept, m, modifier or ""))
            last_negated = modifier == "not"
        i += n
        floor = i
    return Grounding(tuple(tokens), tuple(spans), tuple(unparsed))


class Truth:
    """Whether mentions are true of (target, shown item) pairs of a catalog, by its ground
    truth: `is` / `not` read the target's attributes, `more` / `less` compare the ordinal
    levels of the two items, `found` is target == shown."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.levels: dict[str, np.ndarray] = {}
        for name, slot in SLOT_BY_NAME.items():
            if not slot.ordinal:
                continue
            lv = np.full(len(catalog), -1, dtype=np.int64)
            for c, cat in enumerate(catalog.categories):
                if cat not in slot.values:
                    continue
                rows = np.flatnonzero(catalog.category == c)
                cols = [catalog.vocab.index(v) for v in slot.values[cat]]
                sub = catalog.attributes[np.ix_(rows, cols)]
                has = sub.any(axis=1)
                lv[rows[has]] = sub[has].argmax(axis=1)
            self.levels[name] = lv

    def mention(self, m: Mention, target: int, shown: int) -> bool:
        if m.relation == "found":
            return target == shown
        if m.relation in ("more", "less"):
            lv = self.levels.get(m.slot)
            if lv is None or lv[target] < 0 or lv[shown] < 0:
                return False
            return bool(lv[target] > lv[shown]) if m.relation == "more" else \
                bool(lv[target] < lv[shown])
        try:
            j = self.catalog.vocab.index(m.value)
        except KeyError:
            return False
        has = bool(self.catalog.attributes[target, j])
        return has if m.relation == "is" else not has

    def all(self, mentions, target: int, shown: int) -> bool:
        return all(self.mention(m, target, shown) for m in mentions)


def truth(mentions, catalog, target: int, shown: int) -> bool:
    """Every mention true of the pair (see `Truth`; build one `Truth` for many pairs)."""
    return Truth(catalog).all(mentions, target, shown)
