"""Catalogs described by attribute *tags* (the real datasets' `asin2attr` files) rather
than by the embedded catalog's schema (`dialog_env.catalog.schema.SLOTS`).

A real catalog's vocabulary is whatever tags its files hold, grouped by attribute type
(texture, fabric, shape, part, style), each value in slot `<type>-tags`; it has no colour
slots and no ordinal slots. An item has any number of tags of each type, so every tag
is a multi-label value:

- `schema_slots(catalog)`: the slots the shoppers read. The embedded schema's own for a
  catalog that follows it; for a tag catalog, one multi-label slot per tag slot (all its
  values allowed in every category) and the hue and tone slots with no values anywhere
  (the template shopper's tone-with-hue rule then never applies; no comparatives exist).
- `tag_lexicon(lexicon, catalog)`: the template lexicon with a phrase per tag, the tag
  itself (a `type:tag` name says its tag): "has <tag>" for part tags ("has long
  sleeve"; but "is sleeveless", "is belted"), "is <tag>" for the other types ("is
  floral", "is chiffon", "is a-line"); both
  lexicon splits use the tag (tags have no held-out wording). Category nouns for
  categories the lexicon lacks are their names ("rain boots").
- `tag_vocabulary(catalog)`: the default word vocabulary plus the tags' words.
"""

from __future__ import annotations

import dataclasses

from dialog_env.catalog.catalog import AttributeVocab, Catalog
from dialog_env.catalog.schema import SLOT_BY_NAME, SLOTS, Slot
from simulators.lexicon import Lexicon, default_vocabulary
from simulators.vocab import Vocabulary

# The colour slots the template shopper's rules name; empty in a tag catalog.
NO_HUE = Slot("hue", "color", {}, {})
NO_TONE = Slot("tone", "color", {}, {}, ordinal=True)


def follows_schema(vocab: AttributeVocab) -> bool:
    """Whether `vocab` has values and every one is a value of the embedded schema's slot
    it names."""
    return len(vocab) > 0 and all(slot in SLOT_BY_NAME and any(name in values for values in
                                            SLOT_BY_NAME[slot].values.values())
               for name, slot in zip(vocab.names, vocab.slots))


def schema_slots(catalog: Catalog) -> tuple[Slot, ...]:
    """The slots the shoppers read for `catalog` (see the module docstring)."""
    if follows_schema(catalog.vocab):
        return SLOTS
    v = catalog.vocab
    tags = [Slot(slot, v.types[list(v.slots).index(slot)],
                 {c: tuple(n for n, s in zip(v.names, v.slots) if s == slot)
                  for c in catalog.categories}, {}, multi=True)
            for slot in dict.fromkeys(v.slots)]
    return (NO_HUE, NO_TONE, *tags)


def tag_word(name: str) -> str:
    """The tag a vocabulary value says: "texture:floral" -> "floral"."""
    return name.partition(":")[2] if ":" in name else name


def _kind(tag: str, type_: str) -> str:
    """"has" for part tags that name a part ("has long sleeve"), else "adj" ("is floral",
    and "is sleeveless", "is belted" for part tags that are adjectives)."""
    return "has" if type_ == "part" and not tag.endswith(("less", "ed")) else "adj"


def tag_lexicon(lexicon: Lexicon, catalog: Catalog) -> Lexicon:
    """`lexicon` with a phrase for every tag of `catalog` (see the module docstring)."""
    if follows_schema(catalog.vocab):
        return lexicon
    v = catalog.vocab
    values = {**lexicon.values, **{n: (_kind(tag_word(n), t), (tag_word(n),))
                                   for n, t in zip(v.names, v.types)}}
    categories = {**{c: c.replace("_", " ") for c in catalog.categories},
                  **lexicon.categories}
    return dataclasses.replace(lexicon, values=values, categories=categories)


def tag_vocabulary(catalog: Catalog) -> Vocabulary:
    """The default word vocabulary, plus the words of `catalog`'s tags and category
    names when it is a tag catalog."""
    base = default_vocabulary()
    if follows_schema(catalog.vocab):
        return base
    words = set(base.words[2:])
    for text in [tag_word(n) for n in catalog.vocab.names] + list(catalog.categories):
        words.update(Vocabulary.tokenize(text.replace("_", " ")))
    return Vocabulary(words)
