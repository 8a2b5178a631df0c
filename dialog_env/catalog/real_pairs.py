"""Relative-caption pairs of the public datasets, read and validated (no images).

    pairs = read_fashioniq_pairs("data/fashioniq", splits=("train", "val"))
    pairs = read_shoes_pairs("data/shoes")
    text = join_captions(pairs[0].captions, style="and")

Formats, exactly as published:

- Fashion IQ `captions/cap.{dress,shirt,toptee}.{train,val,test}.json`: a JSON list of
  `{"target": ASIN, "candidate": ASIN, "captions": [str, str]}`; test entries have no
  `target`. `image_splits/split.{cat}.{split}.json`: a flat list of ASINs.
- Shoes (Guo et al. 2018) `relative_captions_shoes.json`: a list of `{"ImageName": target,
  "ReferenceImageName": reference, "RelativeCaption": str}`; `train_im_names.txt` and
  `eval_im_names.txt` (older copies: `test_im_names.txt`) decide the split of a pair by its
  target's membership; the category is the image name's `img_womens_<category>_<n>.jpg`.

- Multi-turn FashionIQ (CFIR, Yuan & Lam 2021) `data/{cat}.{train,val}.json`: a list of
  `{"target": [url, asin], "reference": [[url, [captions...], asin], ...]}` (URL first,
  ASIN last), 1-4 references; reference j's captions say how reference j+1 differs from
  it, the last reference's how the target does. Empty or whitespace-only captions are
  dropped; a turn left without captions is an error.
- Multi-turn Shoes: our own construction, chaining Shoes pairs whose target is the next
  pair's reference (`chain_pairs`), as FashionNTM describes.

Every malformed entry raises a `ValueError` naming the file, the entry index and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

FIQ_CATEGORIES = ("dress", "shirt", "toptee")
FIQ_SPLITS = ("train", "val", "test")
JOIN_STYLES = ("and", "inaddition", "cls")
SHOE_NAME = re.compile(r"^img_womens_(?P<category>.+)_\d+\.jpg$")


@dataclass(frozen=True)
class Pair:
    """One relative-caption pair: `captions` say how `target` differs from `reference`
    (`target` is None where the dataset hides it: Fashion IQ's test split)."""

    reference: str
    target: str | None
    captions: tuple[str, ...]
    category: str
    split: str


def _read_json(path: Path):
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e


def _entries(path: Path, what: str):
    """`(index, entry)` of a JSON list of objects, each checked to be an object."""
    data = _read_json(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of {what}, got {type(data).__name__}")
    for k, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry {k} is not an object")
        yield k, entry


def _field(path: Path, k: int, entry: dict, name: str, optional: bool = False) -> str | None:
    if name not in entry:
        if optional:
            return None
        raise ValueError(f"{path}: entry {k} has no field {name!r}")
    value = entry[name]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: entry {k} field {name!r} must be a non-empty string, got "
                         f"{value!r}")
    return value.strip()


def subfolder(root: Path, sub: str) -> Path:
    """`root/sub` when it is a folder (the published layout), else `root` itself."""
    return root / sub if (root / sub).is_dir() else root


def read_fashioniq_pairs(root: str | Path, categories=FIQ_CATEGORIES,
                         splits=("train", "val")) -> list[Pair]:
    """Fashion IQ pairs of `categories` and `splits` from `root` (or `root/captions`)."""
    folder = subfolder(Path(root), "captions")
    out: list[Pair] = []
    for cat in categories:
        if cat not in FIQ_CATEGORIES:
            raise ValueError(f"unknown Fashion IQ category {cat!r}; expected {FIQ_CATEGORIES}")
        for split in splits:
            if split not in FIQ_SPLITS:
                raise ValueError(f"unknown Fashion IQ split {split!r}; expected {FIQ_SPLITS}")
            path = folder / f"cap.{cat}.{split}.json"
            for k, entry in _entries(path, "pairs"):
                reference = _field(path, k, entry, "candidate")
                target = _field(path, k, entry, "target", optional=split == "test")
                caps = entry.get("captions")
                if not isinstance(caps, list) or not caps or not all(
                        isinstance(c, str) for c in caps):
                    raise ValueError(f"{path}: entry {k} field 'captions' must be a non-empty "
                                     f"list of strings, got {caps!r}")
                out.append(Pair(reference, target, tuple(caps), cat, split))
    return out


def read_fashioniq_split(root: str | Path, category: str, split: str) -> list[str]:
    """The ASINs of `image_splits/split.<category>.<split>.json` (duplicates removed, first
    occurrence kept)."""
    return read_image_split(root, category, split)[0]


def read_image_split(root: str | Path, category: str, split: str) -> tuple[list[str], int]:
    """The ASINs of `image_splits/split.<category>.<split>.json`, duplicates removed (first
    occurrence kept), and how many duplicate entries were removed (Multi-turn FashionIQ's
    split lists repeat ASINs)."""
    path = subfolder(Path(root), "image_splits") / f"split.{category}.{split}.json"
    data = _read_json(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of ASINs, got {type(data).__name__}")
    for k, asin in enumerate(data):
        if not isinstance(asin, str) or not asin.strip():
            raise ValueError(f"{path}: entry {k} must be a non-empty ASIN string, got {asin!r}")
    asins = list(dict.fromkeys(a.strip() for a in data))
    return asins, len(data) - len(asins)


def read_shoes_pairs(root: str | Path) -> list[Pair]:
    """Shoes pairs from `root`, split `train` / `eval` by the target's membership in
    `train_im_names.txt` / `eval_im_names.txt` (or `test_im_names.txt`); pairs whose target
    is in neither list are left out."""
    root = Path(root)
    path = root / "relative_captions_shoes.json"
    train = root / "train_im_names.txt"
    evals = [p for p in (root / "eval_im_names.txt", root / "test_im_names.txt") if p.exists()]
    if not train.exists() or not evals:
        raise FileNotFoundError(f"{root}: needs train_im_names.txt and eval_im_names.txt (or "
                                f"test_im_names.txt) beside relative_captions_shoes.json")
    split_of = {n: "eval" for n in evals[0].read_text().split()}
    split_of.update({n: "train" for n in train.read_text().split()})
    out: list[Pair] = []
    for k, entry in _entries(path, "pairs"):
        target = _field(path, k, entry, "ImageName")
        reference = _field(path, k, entry, "ReferenceImageName")
        caption = _field(path, k, entry, "RelativeCaption")
        m = SHOE_NAME.match(target)
        if m is None:
            raise ValueError(f"{path}: entry {k} field 'ImageName' {target!r} is not "
                             f"img_womens_<category>_<n>.jpg")
        if target in split_of:
            out.append(Pair(reference, target, (caption,), m.group("category"),
                            split_of[target]))
    return out


@dataclass(frozen=True)
class Transaction:
    """A multi-turn dialog: turn j shows `references[j]` and says `captions[j]` (how the
    next image, the last turn's: the target, differs from it)."""

    references: tuple[str, ...]
    captions: tuple[tuple[str, ...], ...]
    target: str
    category: str
    split: str

    @property
    def turns(self) -> int:
        return len(self.references)


def _asin(path: Path, k: int, where: str, value) -> str:
    if not isinstance(value, list) or len(value) < 2 or not isinstance(value[-1], str) \
            or not value[-1].strip():
        raise ValueError(f"{path}: entry {k} field {where} must be [url, ..., asin] with a "
                         f"non-empty ASIN last, got {value!r}")
    return value[-1].strip()


def read_multiturn_fashioniq(root: str | Path, categories=FIQ_CATEGORIES,
                             splits=("train", "val")) -> list[Transaction]:
    """Multi-turn FashionIQ transactions from `root` (or `root/data`)."""
    folder = subfolder(Path(root), "data")
    out: list[Transaction] = []
    for cat in categories:
        for split in splits:
            if split not in ("train", "val"):
                raise ValueError(f"Multi-turn FashionIQ has splits train and val, not "
                                 f"{split!r}")
            path = folder / f"{cat}.{split}.json"
            for k, entry in _entries(path, "transactions"):
                target = _asin(path, k, "'target'", entry.get("target"))
                refs = entry.get("reference")
                if not isinstance(refs, list) or not 1 <= len(refs) <= 4:
                    raise ValueError(f"{path}: entry {k} field 'reference' must list 1-4 "
                                     f"references, got {refs!r:.80}")
                asins, caps = [], []
                for j, ref in enumerate(refs):
                    where = f"'reference'[{j}]"
                    asins.append(_asin(path, k, where, ref))
                    said = ref[1] if len(ref) >= 3 else None
                    if not isinstance(said, list) or not all(isinstance(c, str) for c in said):
                        raise ValueError(f"{path}: entry {k} field {where} must be [url, "
                                         f"[captions...], asin], got {ref!r:.80}")
                    said = tuple(c.strip() for c in said if c.strip())
                    if not said:
                        raise ValueError(f"{path}: entry {k} field {where} has no non-empty "
                                         f"caption")
                    caps.append(said)
                out.append(Transaction(tuple(asins), tuple(caps), target, cat, split))
    return out


def chain_pairs(pairs: list[Pair], turns: int) -> list[Transaction]:
    """Multi-turn transactions of `turns` turns built by chaining `pairs` of one split and
    category (our construction for Shoes, as FashionNTM describes): each pair's target is
    the next pair's reference; the chain's last target is the transaction's target. Every
    chain starts at a distinct first pair; the first matching continuation is taken."""
    if turns < 1:
        raise ValueError(f"turns must be >= 1, got {turns}")
    starting: dict[tuple[str, str, str], list[Pair]] = {}
    for p in pairs:
        if p.target is not None:
            starting.setdefault((p.split, p.category, p.reference), []).append(p)
    out: list[Transaction] = []
    for first in pairs:
        if first.target is None:
            continue
        chain = [first]
        while len(chain) < turns:
            nxt = [p for p in starting.get((first.split, first.category, chain[-1].target), ())
                   if p.target not in {c.reference for c in chain}]
            if not nxt:
                break
            chain.append(nxt[0])
        if len(chain) == turns:
            out.append(Transaction(tuple(p.reference for p in chain),
                                   tuple(p.captions for p in chain), chain[-1].target,
                                   first.category, first.split))
    return out


ATTRIBUTE_TYPES = ("texture", "fabric", "shape", "part", "style")


def read_attribute_tags(path: str | Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """Fashion IQ `asin2attr.{cat}.{split}.json` (and Multi-turn FashionIQ's
    `asin2attr.{cat}.{split}.new.json`): ASIN -> attribute type -> tags. Each ASIN maps to 6
    lists (category, texture, fabric, shape, part, style; the first is skipped) or to that
    block repeated (12, 18 lists: the blocks are merged); tags are stripped and lower-cased
    ("Polyester" is "polyester"), empty ones dropped."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object ASIN -> tag lists, got "
                         f"{type(data).__name__}")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for k, (asin, lists) in enumerate(data.items()):
        if not isinstance(lists, list) or not lists or len(lists) % 6 or not all(
                isinstance(x, list) and all(isinstance(t, str) for t in x) for x in lists):
            raise ValueError(f"{path}: entry {k} ({asin!r}) must be 6 (or 12, 18) lists of "
                             f"tag strings, got {lists!r:.80}")
        tags: dict[str, list[str]] = {t: [] for t in ATTRIBUTE_TYPES}
        for block in range(0, len(lists), 6):
            for t, values in zip(ATTRIBUTE_TYPES, lists[block + 1:block + 6]):
                for v in values:
                    v = v.strip().lower()
                    if v and v not in tags[t]:
                        tags[t].append(v)
        out[asin] = {t: tuple(v) for t, v in tags.items()}
    return out


ATTRIBUTE_FOLDERS = ("", "attributes", "attr")


def find_attribute_file(root: str | Path, category: str, split: str) -> Path | None:
    """The tag file of a category and split: `asin2attr.<cat>.<split>.json` (Fashion IQ) or
    `asin2attr.<cat>.<split>.new.json` (Multi-turn FashionIQ) in `root`, `root/attributes`
    or `root/attr`; None when there is none."""
    for folder in ATTRIBUTE_FOLDERS:
        for suffix in ("json", "new.json"):
            path = Path(root) / folder / f"asin2attr.{category}.{split}.{suffix}"
            if path.is_file():
                return path
    return None


IMAGE_LAYOUTS = ("images/{cat}/{id}", "images/{id}", "img/{cat}/{id}", "resized_images/{id}",
                 "resized_images/{cat}/{id}", "attributedata/womens_{cat}/0/{id}",
                 "attributedata/womens_{cat}/1/{id}")


def find_images(root: str | Path, ids, category: str = "") -> tuple[dict[str, Path], list[str]]:
    """Image files of `ids` under `root` in the common layouts (`IMAGE_LAYOUTS`; each id with
    its own extension, or `.jpg` / `.png` / none added): `(found id -> path, missing ids)`.
    Missing images are returned, never raised: callers report their count and first few."""
    root = Path(root)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for i in ids:
        names = [i] if Path(i).suffix else [f"{i}.jpg", f"{i}.png", i]
        hit = next((p for layout in IMAGE_LAYOUTS for n in names
                    if (p := root / layout.format(cat=category, id=n)).is_file()), None)
        if hit is None:
            missing.append(i)
        else:
            found[i] = hit
    return found, missing


def describe_missing(missing: list[str], total: int, what: str = "images") -> str:
    """`"3 of 120 images missing (first: a, b, c)"` or an empty string."""
    if not missing:
        return ""
    return f"{len(missing)} of {total} {what} missing (first: {', '.join(missing[:5])})"


def join_captions(captions, style: str = "and") -> str:
    """One text from a pair's captions: `and` ("cap1 and cap2", each stripped of `.?, ` at
    its ends), `inaddition` (joined by " inadditiontothat ", as CoSMo / CLVC-Net do),
    `cls` ("[CLS] cap1 [SEP] cap2", as BERT-style composers take it)."""
    if style not in JOIN_STYLES:
        raise ValueError(f"unknown caption join style {style!r}; expected one of {JOIN_STYLES}")
    caps = [c.strip(" .?,") for c in captions]
    caps = [c for c in caps if c]
    if style == "and":
        return " and ".join(caps)
    if style == "inaddition":
        return " inadditiontothat ".join(caps)
    return "[CLS] " + " [SEP] ".join(caps)
