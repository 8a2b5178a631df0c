"""Surface forms of the template shopper, split into a `train` and a held-out `test` lexicon.

Each attribute value has a *kind* and a few phrases per split:
  adj   — said with "is": "is red", "is not floral"
  has   — said with "has"/"with": "has buttons", "with no buttons", "without a collar"
  noun  — a kind of item: "is a wrap dress"
Comparatives of ordinal slots ("is longer", "has a higher heel") have their own phrases.
A caption built from one split uses only that split's phrases (plus the shared glue words
"is", "has", "and", "with", "no", "not", "but", "a"), so robustness to unseen wording can be
measured by training on `train` and evaluating on `test`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.vocab import Vocabulary

# value: (kind, train forms, test forms); forms separated by "|".
VALUES: dict[str, tuple[str, str, str]] = {
    # colour (hue)
    "black": ("adj", "black|black colored|black in color", "ebony"),
    "white": ("adj", "white|white colored|white in color", "ivory"),
    "grey": ("adj", "grey|gray", "charcoal"),
    "navy": ("adj", "navy|navy blue", "midnight blue"),
    "blue": ("adj", "blue|blue colored|blue in color", "cobalt"),
    "red": ("adj", "red|red colored|red in color", "scarlet"),
    "pink": ("adj", "pink|pink in color", "rose colored"),
    "green": ("adj", "green|green in color", "emerald"),
    "yellow": ("adj", "yellow|yellow in color", "mustard"),
    "orange": ("adj", "orange|orange in color", "tangerine"),
    "purple": ("adj", "purple|purple in color", "violet"),
    "brown": ("adj", "brown|brown in color", "chocolate"),
    "beige": ("adj", "beige|tan", "camel"),
    "maroon": ("adj", "maroon|maroon in color", "burgundy"),
    "teal": ("adj", "teal|teal in color", "turquoise"),
    "silver": ("adj", "silver", "platinum"),
    "gold": ("adj", "gold", "golden"),
    # colour (tone)
    "very-light": ("adj", "very light in color|pale", "pastel"),
    "light": ("adj", "light colored|light", "soft toned"),
    "medium": ("adj", "medium toned", "mid toned"),
    "dark": ("adj", "dark colored|dark", "deep toned"),
    "very-dark": ("adj", "very dark", "deep dark"),
    # texture
    "solid": ("adj", "solid|solid colored|plain", "single toned"),
    "striped": ("adj", "striped|stripes", "pinstriped"),
    "floral": ("adj", "floral|flowery", "blossom patterned"),
    "graphic": ("has", "a graphic|a graphic print", "some artwork"),
    "logo": ("has", "a logo", "a brand emblem"),
    "polka-dot": ("adj", "polka dot|dotted", "spotted"),
    "plaid": ("adj", "plaid|checkered", "tartan"),
    "animal-print": ("adj", "animal print|leopard print", "zebra patterned"),
    "geometric": ("adj", "geometric patterned", "abstract patterned"),
    "lace": ("has", "lace|lace trim", "crochet"),
    "sequin": ("has", "sequins", "bedazzled details"),
    "sheer": ("adj", "sheer|see through", "transparent"),
    "glitter": ("adj", "glittery", "sparkling"),
    "fur": ("has", "fur", "fuzzy trim"),
    "matte": ("adj", "matte", "dull"),
    "satin-finish": ("adj", "slightly shiny", "glossy"),
    "shiny": ("adj", "shiny", "lustrous"),
    # fabric
    "cotton": ("adj", "cotton", "cottony"),
    "jersey": ("adj", "jersey|stretchy", "elastic"),
    "denim": ("adj", "denim|jean", "chambray"),
    "chiffon": ("adj", "chiffon|flowy", "airy"),
    "knit": ("adj", "knit|knitted", "woolly"),
    "silk": ("adj", "silk|silky", "silken"),
    "satin": ("adj", "satin", "sateen"),
    "linen": ("adj", "linen", "flaxen"),
    "velvet": ("adj", "velvet", "velour"),
    "polyester": ("adj", "polyester", "synthetic"),
    "leather": ("adj", "leather", "hide"),
    "suede": ("adj", "suede", "nubuck"),
    "canvas": ("adj", "canvas", "cloth"),
    "patent-leather": ("adj", "patent leather", "lacquered"),
    "mesh": ("adj", "mesh", "netted"),
    "rubber": ("adj", "rubber", "rubbery"),
    # shape (silhouette, toe, length, fit, heel)
    "a-line": ("noun", "an a-line|an a line", "a trapeze"),
    "bodycon": ("noun", "a bodycon|a tight fitting", "a figure hugging"),
    "shift": ("noun", "a shift|a straight", "a column"),
    "wrap": ("noun", "a wrap", "a crossover"),
    "fit-and-flare": ("noun", "a fit and flare|a flared", "a skater"),
    "slip": ("noun", "a slip", "a cami"),
    "button-down": ("noun", "a button down|a button up", "an oxford"),
    "polo": ("noun", "a polo", "a tennis"),
    "henley": ("noun", "a henley", "a placket"),
    "tunic": ("noun", "a tunic", "a kaftan"),
    "t-shirt": ("noun", "a t-shirt|a tee", "a crewneck tee"),
    "tank-top": ("noun", "a tank top|a tank", "a vest"),
    "blouse": ("noun", "a blouse", "a peasant"),
    "crop-top": ("noun", "a crop top", "a bralette"),
    "camisole": ("noun", "a camisole|a cami top", "a strappy vest"),
    "pump": ("noun", "a pump|a pump style", "a court"),
    "sandal": ("noun", "a sandal|an open sandal", "a slide"),
    "boot": ("noun", "a boot|a tall boot", "a knee boot"),
    "ankle-boot": ("noun", "an ankle boot|a bootie", "a chelsea"),
    "sneaker": ("noun", "a sneaker|an athletic shoe", "a trainer"),
    "loafer": ("noun", "a loafer|a slip on", "a moccasin"),
    "clog": ("noun", "a clog", "a mule"),
    "wedge": ("noun", "a wedge", "an espadrille"),
    "round-toe": ("has", "a round toe|a rounded toe", "a bulbous toe"),
    "pointed-toe": ("has", "a pointed toe|a pointy toe", "a tapered toe"),
    "open-toe": ("has", "an open toe|open toes", "a peep toe"),
    "square-toe": ("has", "a square toe", "a boxy toe"),
    "mini": ("adj", "mini|very short", "micro length"),
    "knee-length": ("adj", "knee length", "knee high"),
    "midi": ("adj", "midi|mid length", "calf length"),
    "maxi": ("adj", "maxi|floor length", "ankle grazing"),
    "cropped": ("adj", "cropped", "abbreviated"),
    "hip-length": ("adj", "hip length", "waist grazing"),
    "long-length": ("adj", "long", "elongated"),
    "fitted": ("adj", "fitted|tight", "snug"),
    "regular-fit": ("adj", "regular fit", "standard cut"),
    "loose": ("adj", "loose|loose fitting", "baggy"),
    "flat": ("adj", "flat", "heelless"),
    "low-heel": ("has", "a low heel|a small heel", "a kitten heel"),
    "mid-heel": ("has", "a medium heel|a mid heel", "a moderate heel"),
    "high-heel": ("has", "a high heel|high heels", "a stiletto"),
    # part (sleeves, neckline, parts)
    "sleeveless": ("adj", "sleeveless", "armless"),
    "short-sleeve": ("has", "short sleeves", "cap sleeves"),
    "elbow-sleeve": ("has", "3/4 sleeves|elbow length sleeves", "half sleeves"),
    "long-sleeve": ("has", "long sleeves", "full sleeves"),
    "crew-neck": ("has", "a crew neck|a round neck", "a jewel neckline"),
    "v-neck": ("has", "a v-neck|a v neckline", "a plunging neckline"),
    "scoop-neck": ("has", "a scoop neck", "a wide scooped neckline"),
    "collar": ("has", "a collar", "lapels"),
    "halter": ("adj", "halter|a halter neck", "tied at the neck"),
    "strapless": ("adj", "strapless", "bandeau"),
    "turtleneck": ("has", "a turtleneck|a high neck", "a funnel neck"),
    "off-shoulder": ("adj", "off the shoulder|off shoulder", "bardot"),
    "buttons": ("has", "buttons", "fasteners"),
    "pockets": ("has", "pockets", "pouches"),
    "belt": ("has", "a belt", "a sash"),
    "zipper": ("has", "a zipper", "a zip"),
    "ruffles": ("has", "ruffles", "frills"),
    "bow": ("has", "a bow", "a ribbon"),
    "straps": ("has", "thin straps|spaghetti straps", "shoulder ties"),
    "hood": ("has", "a hood", "a cowl"),
    "laces": ("has", "laces", "shoelaces"),
    "strap": ("has", "a strap", "a band"),
    "ankle-strap": ("has", "an ankle strap", "a t-bar"),
    "buckle": ("has", "a buckle", "a clasp"),
    "platform": ("has", "a platform", "a raised sole"),
    "thick-sole": ("has", "a thick sole|a chunky sole", "a lug sole"),
    "velcro": ("has", "velcro", "hook and loop"),
    # style
    "casual": ("adj", "casual", "laid back"),
    "formal": ("adj", "formal|elegant", "dressy"),
    "sporty": ("adj", "sporty|athletic", "activewear"),
    "party": ("adj", "party|sexy", "clubwear"),
    "bohemian": ("adj", "bohemian|boho", "hippie"),
    "vintage": ("adj", "vintage|retro", "old fashioned"),
    "business": ("adj", "business|office", "professional"),
    "beach": ("adj", "beach|summery", "resort"),
}

# Category nouns ("is a dress"); the noun kind appends them to silhouette phrases.
CATEGORY_NOUNS: dict[str, tuple[str, str]] = {
    "dress": ("dress", "gown"), "shirt": ("shirt", "button shirt"),
    "toptee": ("top", "blouse top"), "shoes": ("shoe", "footwear"),
}

# Comparatives of ordinal slots: (more phrases, less phrases) per split, as clauses.
COMPARATIVES: dict[str, dict[str, tuple[str, str]]] = {
    "train": {
        "tone": ("is darker|is darker in color|is a darker color",
                 "is lighter|is lighter in color|is a lighter color"),
        "length": ("is longer|is longer in length", "is shorter|is shorter in length"),
        "sleeve": ("has longer sleeves|has more sleeve", "has shorter sleeves|has less sleeve"),
        "fit": ("is looser|is less fitted", "is tighter|is more fitted"),
        "heel": ("has a higher heel|is higher", "has a lower heel|is lower"),
        "shine": ("is shinier|is more shiny", "is less shiny|is more matte"),
    },
    "test": {
        "tone": ("is deeper toned", "is paler toned"),
        "length": ("is lengthier", "is briefer"),
        "sleeve": ("has lengthier sleeves", "has briefer sleeves"),
        "fit": ("is roomier", "is snugger"),
        "heel": ("has a loftier heel", "has a flatter heel"),
        "shine": ("is glossier", "is duller"),
    },
}

# Comparatives said as a negated opposite ("is not as dark" = lighter), train split only.
NOT_AS: dict[str, tuple[str, str]] = {
    "tone": ("is not as light", "is not as dark"), "length": ("is not as short", "is not as long"),
    "sleeve": ("has sleeves not as short", "has sleeves not as long"),
    "fit": ("is not as tight", "is not as loose"), "heel": ("is not as flat", "is not as high"),
    "shine": ("is not as matte", "is not as shiny"),
}

FOUND = {"train": ("is the one|is exactly it|is perfect", "is precisely right")}
IRRELEVANT = {
    "train": ("looks nice|is similar|i like it|is the same style|is okay",
              "is fine i guess|looks pretty"),
}
SAME = {"train": ("is very similar|is almost the same", "is nearly identical")}


@dataclass(frozen=True)
class Lexicon:
    """The phrases of one split."""

    split: str
    values: dict[str, tuple[str, tuple[str, ...]]]  # value -> (kind, forms)
    categories: dict[str, str]
    comparatives: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    found: tuple[str, ...]
    irrelevant: tuple[str, ...]
    same: tuple[str, ...]
    tone_words: tuple[str, str]  # ("darker", "lighter") said before a hue
    not_as: dict[str, tuple[str, str]]

    def words(self) -> set[str]:
        out: set[str] = set()
        phrases = [f for _, forms in self.values.values() for f in forms]
        phrases += list(self.categories.values()) + list(self.found) + list(self.irrelevant)
        phrases += list(self.same) + [p for m, l_ in self.comparatives.values() for p in m + l_]
        phrases += list(self.tone_words) + [p for pair in self.not_as.values() for p in pair]
        for p in phrases:
            out.update(p.split())
        return out


def _split(forms: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in forms.split("|") if f.strip())


def make_lexicon(split: str = "train") -> Lexicon:
    """The `train` or held-out `test` lexicon."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown lexicon split {split!r}; expected 'train' or 'test'")
    j = 0 if split == "train" else 1
    return Lexicon(
        split=split,
        values={v: (kind, _split((train, test)[j])) for v, (kind, train, test) in VALUES.items()},
        categories={c: forms[j] for c, forms in CATEGORY_NOUNS.items()},
        comparatives={s: (_split(m), _split(le)) for s, (m, le) in COMPARATIVES[split].items()},
        found=_split(FOUND["train"][j]),
        irrelevant=_split(IRRELEVANT["train"][j]),
        same=_split(SAME["train"][j]),
        tone_words=(("darker", "lighter"), ("deeper", "paler"))[j],
        not_as=NOT_AS if split == "train" else {},
    )


# Words every caption may use, whatever the lexicon split.
GLUE_WORDS = ("is", "has", "and", "with", "no", "not", "but", "a", "an", "without", "it", "as",
              "should", "be", "i", "want", "would", "like", "more", "in", "color", "also",
              "instead", "of", "needs", "to", "the", "style")


def default_vocabulary() -> Vocabulary:
    """The default word list: every word of the train and test lexicons plus the glue
    words (the template shopper's words; the real and tag vocabularies extend it)."""
    words: set[str] = set(GLUE_WORDS)
    for split in ("train", "test"):
        words |= make_lexicon(split).words()
    for forms in CATEGORY_NOUNS.values():
        for f in forms:
            words.update(f.split())
    return Vocabulary(words)
