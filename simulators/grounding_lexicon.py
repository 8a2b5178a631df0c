"""The words real shoppers use for the catalog's attributes (`simulators.grounding`).

Written from the most frequent words and phrases of the public Fashion IQ and Shoes relative
captions, mapped onto the catalog's attribute values (`dialog_env.catalog.schema`). A phrase
is a tuple of words (hyphens split: "v-neck" is ("v", "neck")). Each maps to one concept:

    ("value", slot, value)   the target has `value` ("black", "v neck", "sleeveless")
    ("lacks", slot, value)   the target lacks `value` ("sleeves" = not sleeveless)
    ("more", slot) / ("less", slot)  the target's level of ordinal slot `slot` is above /
                             below the shown item's ("darker", "longer sleeves")

A phrase may mean different things for garments and for shoes ("lace" is a fabric trim on a
dress and "laces" on a shoe), so each entry gives its concept per domain: `garment` (dress,
shirt, toptee) and `shoes`; `both` when it is the same. A concept whose slot or value does
not exist for the item's category is not groundable there ("longer" says nothing of shoes).
"""

from __future__ import annotations

from dialog_env.catalog.schema import SLOTS

Concept = tuple  # ("value"|"lacks", slot, value) or ("more"|"less", slot)

# Surface phrase -> concept for both domains (value words of the schema are added below).
_BOTH: dict[str, Concept] = {}
_GARMENT: dict[str, Concept] = {}
_SHOES: dict[str, Concept] = {}


def _v(table: dict, slot: str, value: str, phrases: str, relation: str = "value") -> None:
    for p in phrases.split("|"):
        table[p.strip()] = (relation, slot, value)


def _c(table: dict, slot: str, direction: str, phrases: str) -> None:
    for p in phrases.split("|"):
        table[p.strip()] = (direction, slot)


# Colour (hue and tone).
for hue, syn in {
    "black": "black", "white": "white|ivory|off white|whiter", "grey": "grey|gray|charcoal",
    "navy": "navy|navy blue", "blue": "blue|bluer|royal blue", "red": "red|redder|reddish",
    "pink": "pink|fuchsia|magenta|hot pink", "green": "green|greener|lime|olive",
    "yellow": "yellow|mustard", "orange": "orange|coral", "purple": "purple|lilac|lavender|plum",
    "brown": "brown|chocolate|taupe|russet|cognac", "beige": "beige|tan|cream|khaki|camel|nude",
    "maroon": "maroon|burgundy|wine", "teal": "teal|turquoise|aqua", "silver": "silver",
    "gold": "gold|golden",
}.items():
    _v(_BOTH, "hue", hue, syn)
_v(_BOTH, "tone", "very-light", "pale|pastel|very light")
_v(_BOTH, "tone", "light", "light|light colored")
_v(_BOTH, "tone", "dark", "dark|dark colored")
_v(_BOTH, "tone", "very-dark", "very dark")
_c(_BOTH, "tone", "more", "darker|deeper|darker colored|darker in color|darker color")
_c(_BOTH, "tone", "less", "lighter|paler|lighter colored|lighter in color|lighter color")

# Texture: pattern, extras, shine.
_v(_BOTH, "pattern", "solid", "solid|plain|solid colored|solid color|monochromatic|one color")
_v(_BOTH, "pattern", "solid", "colorful|colourful|multicolored|multi colored|multicolor|patterned|"
   "multi color|colourfull|multi", "lacks")
_v(_BOTH, "pattern", "striped", "striped|stripes|stripe|stripped|strips|stripes on it|pinstripes")
_v(_BOTH, "pattern", "floral", "floral|flowers|flower|flowery|floral print|floral pattern|"
   "flower print|flowered")
_v(_GARMENT, "pattern", "graphic", "graphic|graphics|graphic print|graphic design|picture|"
   "image|print|printed|cartoon|design on it")
_v(_GARMENT, "pattern", "logo", "logo|logos|emblem|brand|text|words|writing|lettering|letters|"
   "wording|written|slogan|word|letter")
_v(_BOTH, "pattern", "polka-dot", "polka dot|polka dots|polka dotted|dotted|dots|spots|spotted")
_v(_BOTH, "pattern", "plaid", "plaid|checkered|checked|tartan|flannel|checks")
_v(_BOTH, "pattern", "animal-print", "animal print|leopard|leopard print|cheetah|zebra|"
   "snakeskin|snake skin|tiger|animal|reptile|snake print|zebra print|cheetah print|"
   "animal-like")
_v(_GARMENT, "pattern", "geometric", "geometric|abstract|geometric print|geometric pattern")
_v(_GARMENT, "texture_extra", "lace", "lace|lacy|lace trim")
_v(_GARMENT, "texture_extra", "sequin", "sequins|sequin|sequined|sparkly|glitter|glittery|"
   "sparkles")
_v(_GARMENT, "texture_extra", "sheer", "sheer|transparent|see through|mesh")
_v(_SHOES, "texture_extra", "glitter", "glitter|glittery|sparkly|sequins|sequined|sparkles")
_v(_SHOES, "texture_extra", "fur", "fur|furry|fur trim|fuzzy")
_v(_BOTH, "shine", "shiny", "shiny|shiney|glossy|shiner|metallic|shimmery")
_v(_BOTH, "shine", "matte", "matte|dull")
_c(_BOTH, "shine", "more", "shinier|glossier|more shiny|more glossy|shinnier")
_c(_BOTH, "shine", "less", "duller|less shiny|more matte|less glossy")

# Fabric.
for fab, syn in {"cotton": "cotton", "jersey": "jersey|stretchy", "denim": "denim|jean|jeans",
                 "chiffon": "chiffon", "knit": "knit|knitted|sweater|woolen|wool",
                 "silk": "silk|silky", "satin": "satin", "linen": "linen",
                 "polyester": "polyester"}.items():
    _v(_GARMENT, "fabric", fab, syn)
_v(_BOTH, "fabric", "velvet", "velvet|velour")
for fab, syn in {"leather": "leather", "suede": "suede", "canvas": "canvas|cloth",
                 "patent-leather": "patent|patent leather", "mesh": "mesh",
                 "rubber": "rubber|rain|rubber boots"}.items():
    _v(_SHOES, "fabric", fab, syn)

# Shape: silhouette, toe, length, fit, heel.
for sil, syn in {"a-line": "a line", "bodycon": "bodycon|body con", "shift": "shift",
                 "wrap": "wrap", "fit-and-flare": "fit and flare|flared|flare",
                 "slip": "slip|slip dress"}.items():
    _v(_GARMENT, "silhouette", sil, syn)
for sil, syn in {"button-down": "button down|button up|dress shirt", "polo": "polo",
                 "henley": "henley", "tunic": "tunic", "t-shirt": "t shirt|tshirt|tee|t",
                 "tank-top": "tank top|tank", "blouse": "blouse", "crop-top": "crop top",
                 "camisole": "camisole|cami"}.items():
    _v(_GARMENT, "silhouette", sil, syn)
for sil, syn in {"pump": "pump|pumps", "sandal": "sandal|sandals", "boot": "boot|boots",
                 "ankle-boot": "ankle boot|ankle boots|bootie|booties|booty",
                 "sneaker": "sneaker|sneakers|tennis shoe|tennis shoes|athletic shoe",
                 "loafer": "loafer|loafers", "clog": "clog|clogs", "wedge": "wedge|wedges"
                 }.items():
    _v(_SHOES, "silhouette", sil, syn)
_v(_SHOES, "toe", "round-toe", "round toe|rounded toe|round toed|round")
_v(_SHOES, "toe", "pointed-toe", "pointed toe|pointy toe|pointed|pointy|pointed toed")
_v(_SHOES, "toe", "open-toe", "open toe|open toed|peep toe|open")
_v(_SHOES, "toe", "open-toe", "closed toe|closed|closed toed|enclosed", "lacks")
_v(_SHOES, "toe", "square-toe", "square toe|square|squared toe")
_v(_GARMENT, "length", "mini", "mini|mini dress|very short")
_v(_GARMENT, "length", "knee-length", "knee length")
_v(_GARMENT, "length", "midi", "midi")
_v(_GARMENT, "length", "maxi", "maxi|floor length|full length|ankle length|floor")
_v(_GARMENT, "length", "cropped", "cropped|crop")
_c(_GARMENT, "length", "more", "longer|longer length|lengthier")
_c(_GARMENT, "length", "less", "shorter|shorter length")
_v(_GARMENT, "fit", "fitted", "fitted|tight|form fitting|fitting|snug|slim|tight fitting|"
   "form fitted")
_v(_GARMENT, "fit", "loose", "loose|flowing|flowy|baggy|oversized|relaxed|loose fitting")
_c(_GARMENT, "fit", "more", "looser|baggier|more flowing|more flowy|more loose|less fitted|"
   "less tight|roomier|more loose fitting|less tight fitting|less form fitting|less fitting")
_c(_GARMENT, "fit", "less", "tighter|slimmer|more fitted|more form fitting|less loose|"
   "more tight|snugger|more tight fitting|less loose fitting|more fitting")
_v(_SHOES, "heel", "flat", "flat|flats|no heel|flat sole")
_v(_SHOES, "heel", "low-heel", "low heel|low heels|kitten heel")
_v(_SHOES, "heel", "mid-heel", "mid heel|medium heel")
_v(_SHOES, "heel", "high-heel", "high heel|high heels|heels|heeled|stiletto|stilettos|"
   "high heeled")
_c(_SHOES, "heel", "more", "higher heel|higher heels|taller heel|higher|taller|taller heels|"
   "bigger heel|thicker heel")
_c(_SHOES, "heel", "less", "lower heel|lower heels|shorter heel|lower|flatter|shorter heels")

# Part: sleeves, neckline, parts.
_v(_GARMENT, "sleeve", "sleeveless", "sleeveless|sleevless|no sleeves|without sleeves")
_v(_GARMENT, "sleeve", "sleeveless", "sleeves|sleeve|sleeved", "lacks")
_v(_GARMENT, "sleeve", "short-sleeve", "short sleeves|short sleeve|short sleeved|cap sleeves|"
   "cap sleeve|short-sleeved")
_v(_GARMENT, "sleeve", "elbow-sleeve", "3/4 sleeves|3/4 sleeve|three quarter sleeves|"
   "half sleeves|elbow length sleeves|elbow sleeves|3/4 length sleeves|quarter sleeves")
_v(_GARMENT, "sleeve", "long-sleeve", "long sleeves|long sleeve|long sleeved|long-sleeved")
_c(_GARMENT, "sleeve", "more", "longer sleeves|longer sleeve|longer sleeved")
_c(_GARMENT, "sleeve", "less", "shorter sleeves|shorter sleeve|shorter sleeved")
_v(_GARMENT, "neckline", "crew-neck", "crew neck|round neck|crewneck|round neckline|"
   "crew neckline")
_v(_GARMENT, "neckline", "v-neck", "v neck|v neckline|vneck|v")
_v(_GARMENT, "neckline", "scoop-neck", "scoop neck|scoop neckline|scoop")
_v(_GARMENT, "neckline", "collar", "collar|collared|collars")
_v(_GARMENT, "neckline", "halter", "halter|halter neck|halter top")
_v(_GARMENT, "neckline", "strapless", "strapless|tube")
_v(_GARMENT, "neckline", "turtleneck", "turtleneck|turtle neck")
_v(_GARMENT, "neckline", "off-shoulder", "off shoulder|off the shoulder|off the shoulders|"
   "off shoulders")
_v(_GARMENT, "parts", "buttons", "buttons|button|buttoned")
_v(_BOTH, "parts", "pockets", "pockets|pocket|pocketed")
_v(_GARMENT, "parts", "belt", "belt|belted")
_v(_BOTH, "parts", "zipper", "zipper|zip|zippers")
_v(_GARMENT, "parts", "ruffles", "ruffles|ruffled|ruffle|frills|frilly")
_v(_BOTH, "parts", "bow", "bow|bows")
_v(_GARMENT, "parts", "straps", "straps|strap|spaghetti straps|strappy|thin straps")
_v(_GARMENT, "parts", "hood", "hood|hoodie|hooded")
_v(_SHOES, "parts", "laces", "laces|lace up|laced|lacing|lace|shoelaces")
_v(_SHOES, "parts", "strap", "strap|straps|strappy")
_v(_SHOES, "parts", "ankle-strap", "ankle strap|ankle straps")
_v(_SHOES, "parts", "buckle", "buckle|buckles|buckled")
_v(_SHOES, "parts", "platform", "platform|platforms")
_v(_SHOES, "parts", "thick-sole", "thick sole|thicker sole|chunky sole|thick soles")
_v(_SHOES, "parts", "velcro", "velcro")

# Style.
for sty, syn in {"casual": "casual|casual looking", "formal": "formal|dressy|elegant|dressier",
                 "sporty": "sporty|athletic|sports|sport", "party": "party|sexy|sexier",
                 "bohemian": "bohemian|boho|hippie|peasant", "vintage": "vintage|retro",
                 "business": "business|professional|work", "beach": "beach|tropical|"
                 "hawaiian|summery"}.items():
    _v(_BOTH, "style", sty, syn)

# Words that carry no attribute but belong to the grammar of relative captions (not counted
# as unparsed): glue, intensifiers, references to the item, generic nouns.
NEUTRAL = frozenset("""
is are was be it its it's has have had a an the and with in of on to that this than as
more less much very slightly bit little also but one ones item items style looks look
like color colored colour coloured colors colours in color pattern patterned design designs
dress dresses shirt shirts top tops tee blouse shoe shoes heel heels toe toes sole
same similar material fabric fit length neck neckline sleeve sleeves it's has some
slight lot way just only all both or no not without any more less
""".split())

NEGATORS = frozenset({"no", "not", "without", "non", "isn't", "doesn't", "don't", "nor",
                      "none", "never", "lacks"})
MORE, LESS = frozenset({"more"}), frozenset({"less", "fewer"})
# Words allowed between a negator / "more" / "less" and the concept it applies to.
SCOPE_FILLER = frozenset({"a", "an", "any", "the", "have", "has", "as", "so", "many",
                          "much", "be", "is", "are", "with", "of"})

_SLOT_DOMAINS = {s.name: s for s in SLOTS}


def phrase_tables() -> dict[str, dict[tuple[str, ...], Concept]]:
    """Phrase (tuple of words) -> concept, for `garment` and for `shoes`."""
    out = {}
    for domain, own in (("garment", _GARMENT), ("shoes", _SHOES)):
        table: dict[tuple[str, ...], Concept] = {}
        for p, c in {**_BOTH, **own}.items():
            table[tuple(p.replace("-", " ").split())] = c
        out[domain] = table
    return out
