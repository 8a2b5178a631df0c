"""The synthetic catalog's attribute schema.

Attributes are grouped into Fashion IQ's five attribute types (texture, fabric, shape,
part, style) plus colour. Each item draws one value per *slot*; a slot belongs to one
attribute type and to the categories it makes sense for. Ordinal slots (length, sleeve
length, heel height, tone, fit, shine) have ordered levels so that comparative feedback
("is longer", "is darker", "has a higher heel") has a ground truth. Multi-label slots
(parts, texture extras) are independent Bernoulli draws per value.

The value names were chosen from the words shoppers use in the public Fashion IQ and Shoes
relative captions (sleeves, black, graphic, logo, stripes, collar, heel, toe, strap, sole,
suede, laces, ankle, shiny, ...). The project never reads those files at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("dress", "shirt", "toptee", "shoes")
GARMENTS: tuple[str, ...] = ("dress", "shirt", "toptee")
ATTRIBUTE_TYPES: tuple[str, ...] = ("color", "texture", "fabric", "shape", "part", "style")
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class Slot:
    """One categorical variable of an item (e.g. its hue, its fabric, its sleeve length).

    `values` maps category -> the value names allowed there, in order; for ordinal slots the
    order is the level order (index = level). `weights` are base frequencies per category
    (long-tailed); the generator reweights them by style.
    """

    name: str
    type: str
    values: dict[str, tuple[str, ...]]
    weights: dict[str, tuple[float, ...]]
    ordinal: bool = False
    multi: bool = False  # independent Bernoulli per value; weights are probabilities
    more: str = ""  # comparative words for ordinal slots ("longer" / "shorter")
    less: str = ""

    def categories(self) -> tuple[str, ...]:
        return tuple(self.values)


def _all(values: tuple[str, ...], weights: tuple[float, ...], cats=CATEGORIES):
    return {c: values for c in cats}, {c: weights for c in cats}


HUES = ("black", "white", "grey", "navy", "blue", "red", "pink", "green", "yellow",
        "orange", "purple", "brown", "beige", "maroon", "teal", "silver", "gold")
# Base RGB of each hue (before tone and lighting).
HUE_RGB: dict[str, tuple[int, int, int]] = {
    "black": (30, 30, 32), "white": (238, 238, 235), "grey": (128, 128, 130),
    "navy": (28, 40, 110), "blue": (50, 110, 215), "red": (205, 35, 40),
    "pink": (240, 130, 175), "green": (40, 150, 60), "yellow": (245, 215, 50),
    "orange": (245, 135, 30), "purple": (125, 55, 165), "brown": (120, 75, 40),
    "beige": (215, 195, 160), "maroon": (120, 20, 40), "teal": (20, 140, 140),
    "silver": (190, 192, 200), "gold": (212, 170, 55),
}
_HUE_W = (18, 16, 9, 6, 9, 8, 6, 5, 3, 2.5, 3, 5, 4, 2, 1.5, 1.2, 1.0)

TONES = ("very-light", "light", "medium", "dark", "very-dark")
PATTERNS = ("solid", "striped", "floral", "graphic", "logo", "polka-dot", "plaid",
            "animal-print", "geometric")
_PATTERN_W = (40, 9, 7, 8, 5, 3, 3, 2, 2)
SHOE_PATTERNS = ("solid", "animal-print", "striped", "plaid", "floral")
_SHOE_PATTERN_W = (60, 4, 2, 1.5, 1.5)

GARMENT_FABRICS = ("cotton", "jersey", "denim", "chiffon", "knit", "silk", "satin", "linen",
                   "velvet", "polyester")
_GARMENT_FABRIC_W = (20, 14, 6, 6, 6, 4, 3, 3, 1.5, 1.5)
SHOE_FABRICS = ("leather", "suede", "canvas", "patent-leather", "mesh", "rubber", "velvet")
_SHOE_FABRIC_W = (20, 8, 5, 4, 4, 2, 1)

SLOTS: tuple[Slot, ...] = (
    Slot("style", "style", *_all(
        ("casual", "formal", "sporty", "party", "bohemian", "vintage", "business", "beach"),
        (30, 12, 12, 10, 6, 4, 6, 4))),
    Slot("hue", "color", *_all(HUES, _HUE_W)),
    Slot("tone", "color", *_all(TONES, (1, 3, 6, 3, 1)), ordinal=True,
         more="darker", less="lighter"),
    Slot("pattern", "texture",
         {**{c: PATTERNS for c in GARMENTS}, "shoes": SHOE_PATTERNS},
         {**{c: _PATTERN_W for c in GARMENTS}, "shoes": _SHOE_PATTERN_W}),
    Slot("texture_extra", "texture",
         {**{c: ("lace", "sequin", "sheer") for c in GARMENTS}, "shoes": ("glitter", "fur")},
         {**{c: (0.06, 0.03, 0.05) for c in GARMENTS}, "shoes": (0.03, 0.02)}, multi=True),
    Slot("shine", "texture", *_all(("matte", "satin-finish", "shiny"), (8, 3, 1.5)),
         ordinal=True, more="shinier", less="more matte"),
    Slot("fabric", "fabric",
         {**{c: GARMENT_FABRICS for c in GARMENTS}, "shoes": SHOE_FABRICS},
         {**{c: _GARMENT_FABRIC_W for c in GARMENTS}, "shoes": _SHOE_FABRIC_W}),
    Slot("silhouette", "shape", {
        "dress": ("a-line", "bodycon", "shift", "wrap", "fit-and-flare", "slip"),
        "shirt": ("button-down", "polo", "henley", "tunic"),
        "toptee": ("t-shirt", "tank-top", "blouse", "crop-top", "camisole"),
        "shoes": ("pump", "sandal", "boot", "ankle-boot", "sneaker", "loafer", "clog",
                  "wedge"),
    }, {
        "dress": (10, 6, 5, 3, 4, 2), "shirt": (10, 5, 2, 2),
        "toptee": (14, 6, 6, 3, 2), "shoes": (8, 7, 6, 5, 8, 4, 2, 2),
    }),
    Slot("toe", "shape", {"shoes": ("round-toe", "pointed-toe", "open-toe", "square-toe")},
         {"shoes": (10, 6, 5, 1.5)}),
    Slot("length", "shape", {
        "dress": ("mini", "knee-length", "midi", "maxi"),
        "shirt": ("cropped", "hip-length", "long-length"),
        "toptee": ("cropped", "hip-length", "long-length"),
    }, {"dress": (4, 6, 4, 3), "shirt": (1, 8, 3), "toptee": (3, 8, 2)},
        ordinal=True, more="longer", less="shorter"),
    Slot("fit", "shape", *_all(("fitted", "regular-fit", "loose"), (4, 6, 3), GARMENTS),
         ordinal=True, more="looser", less="tighter"),
    Slot("heel", "shape", {"shoes": ("flat", "low-heel", "mid-heel", "high-heel")},
         {"shoes": (8, 4, 4, 4)}, ordinal=True, more="higher heel", less="lower heel"),
    Slot("sleeve", "part", *_all(
        ("sleeveless", "short-sleeve", "elbow-sleeve", "long-sleeve"), (5, 7, 2, 5),
        GARMENTS), ordinal=True, more="longer sleeves", less="shorter sleeves"),
    Slot("neckline", "part", *_all(
        ("crew-neck", "v-neck", "scoop-neck", "collar", "halter", "strapless", "turtleneck",
         "off-shoulder"), (10, 8, 5, 6, 1.5, 1.5, 1.2, 1.0), GARMENTS)),
    Slot("parts", "part", {
        "dress": ("buttons", "pockets", "belt", "zipper", "ruffles", "bow", "straps"),
        "shirt": ("buttons", "pockets", "zipper", "hood", "ruffles", "bow"),
        "toptee": ("buttons", "pockets", "hood", "ruffles", "bow", "straps"),
        "shoes": ("laces", "strap", "ankle-strap", "buckle", "platform", "thick-sole",
                  "zipper", "bow", "velcro"),
    }, {
        "dress": (0.15, 0.12, 0.2, 0.08, 0.1, 0.06, 0.1),
        "shirt": (0.7, 0.35, 0.05, 0.06, 0.05, 0.03),
        "toptee": (0.08, 0.08, 0.08, 0.08, 0.05, 0.1),
        "shoes": (0.3, 0.2, 0.12, 0.18, 0.1, 0.15, 0.1, 0.05, 0.04),
    }, multi=True),
)

SLOT_BY_NAME: dict[str, Slot] = {s.name: s for s in SLOTS}
ORDINAL_SLOTS: tuple[Slot, ...] = tuple(s for s in SLOTS if s.ordinal)

# Style reweighting: multiply the base weight of a value by this factor for that style.
# This is what makes attributes correlate (formal <-> silk/satin and long lengths,
# sporty <-> knit/jersey, short sleeves and sneakers, ...).
STYLE_AFFINITY: dict[str, dict[str, float]] = {
    "formal": {"silk": 6, "satin": 8, "velvet": 4, "chiffon": 3, "maxi": 4, "midi": 2.5,
               "mini": 0.3, "black": 3, "navy": 2.5, "maroon": 3, "long-sleeve": 2,
               "pump": 5, "high-heel": 4, "pointed-toe": 3, "patent-leather": 4,
               "solid": 2, "graphic": 0.05, "logo": 0.05, "fitted": 2, "sneaker": 0.02,
               "satin-finish": 3, "shiny": 2, "button-down": 2, "bodycon": 2},
    "sporty": {"knit": 5, "jersey": 5, "short-sleeve": 3, "sleeveless": 2,
               "sneaker": 8, "mesh": 6, "flat": 3, "logo": 5, "graphic": 3, "striped": 2,
               "loose": 2.5, "polo": 4, "t-shirt": 3, "tank-top": 3, "hood": 6, "laces": 3,
               "velcro": 3, "high-heel": 0.05, "silk": 0.1, "satin": 0.1, "pump": 0.02,
               "zipper": 2, "matte": 2, "thick-sole": 2},
    "party": {"sequin": 8, "satin": 4, "mini": 3, "bodycon": 3, "strapless": 4,
              "halter": 3, "high-heel": 3, "red": 2, "gold": 4, "silver": 4, "shiny": 4,
              "glitter": 8, "sandal": 2, "black": 1.5, "off-shoulder": 3},
    "bohemian": {"floral": 5, "chiffon": 3, "maxi": 3, "loose": 3, "ruffles": 4, "linen": 3,
                 "sandal": 3, "brown": 2, "beige": 2, "off-shoulder": 2, "geometric": 3},
    "vintage": {"polka-dot": 6, "plaid": 3, "fit-and-flare": 4, "midi": 2, "collar": 3,
                "bow": 3, "maroon": 2, "loafer": 3, "buttons": 2, "velvet": 3},
    "business": {"button-down": 4, "collar": 5, "cotton": 2, "long-sleeve": 3, "shift": 3,
                 "navy": 2, "grey": 2, "white": 1.5, "loafer": 4, "pump": 3, "leather": 2,
                 "regular-fit": 2, "solid": 2, "graphic": 0.1},
    "beach": {"linen": 4, "sandal": 6, "sleeveless": 3, "tank-top": 3, "open-toe": 4,
              "white": 2, "yellow": 3, "teal": 3, "floral": 2, "straps": 3, "flat": 2,
              "canvas": 2, "light": 2, "very-light": 2},
    "casual": {"cotton": 2, "jersey": 2, "denim": 3, "t-shirt": 2, "graphic": 1.5,
               "sneaker": 1.5, "canvas": 2},
}
