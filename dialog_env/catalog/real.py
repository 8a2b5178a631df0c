"""Real catalogs from the public datasets on disk (no downloads).

    catalog, pairs = load_fashioniq("data/fashioniq", image_size=224)
    catalog, pairs = load_shoes("data/shoes", images="optional")   # captions only
    print(describe(summary(catalog, pairs)))

`load_fashioniq` builds a `Catalog` of the Fashion IQ images listed in
`image_splits/split.{cat}.{split}.json` (`read_gallery`: each ASIN is one item, under the
first category and split listing it; duplicates within a file, ASINs in two splits and in
two categories are counted and reported in a warning), with attributes from the optional
tag files (`real_pairs.find_attribute_file`: one vocabulary value per (type, tag) seen; a
tag found under two types is named `type:tag`; the value's slot is `<type>-tags`, so a tag
catalog is never mistaken for the synthetic schema), titles = ASINs and images read from
the common layouts (`real_pairs.IMAGE_LAYOUTS`) with Pillow, resized to `image_size`.

Images (`images=`): `required` (default) reports the items whose image is missing (count
and first few) in a warning and leaves them out, never a crash; so are pairs that mention
them. `optional` (caption-only work: counting, text features) keeps them: the warning
still counts them, and asking the catalog for such an item's pixels raises a
`FileNotFoundError` naming the item. Returns the catalog and its relative-caption pairs
as item-index triples.

Every real catalog records in `meta` its source, root, image mode, the missing-image count,
the gallery report, and a cache folder (`cache_root()/<name>-<digest>`, the digest of the
root, image size and item ids) where features and AttrNet weights are cached; its
`content_hash` also covers the attribute tags, so changed tags retrain AttrNet.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dialog_env.cache import cache_root
from dialog_env.catalog.catalog import AttributeVocab, Catalog
from dialog_env.catalog.real_pairs import (
    FIQ_CATEGORIES,
    SHOE_NAME,
    Pair,
    describe_missing,
    find_attribute_file,
    find_images,
    read_attribute_tags,
    read_fashioniq_pairs,
    read_image_split,
    read_shoes_pairs,
    subfolder,
)
from dialog_env.catalog.schema import SPLITS

IMAGE_MODES = ("required", "optional")
Tags = dict[str, dict[str, tuple[str, ...]]]  # ASIN -> attribute type -> tags


class FileImages:
    """RGB images read from files with Pillow, resized to `image_size` squared. A path of
    None (an item kept without its image, `images='optional'`) raises when read."""

    def __init__(self, paths: list[Path | None], image_size: int, ids=None, root=None):
        self.paths, self.image_size = paths, image_size
        self.ids, self.root = ids, root

    def __call__(self, indices) -> np.ndarray:
        from PIL import Image

        s = self.image_size
        out = np.empty((len(indices), s, s, 3), dtype=np.uint8)
        for k, i in enumerate(np.asarray(indices).tolist()):
            path = self.paths[i]
            if path is None:
                name = self.ids[i] if self.ids is not None else i
                raise FileNotFoundError(
                    f"item {i} ({name}) has no image file under {self.root}: the catalog was "
                    f"loaded with images='optional' (captions only); put its image in one of "
                    f"the layouts of dialog_env.catalog.real_pairs.IMAGE_LAYOUTS")
            try:
                with Image.open(path) as im:
                    out[k] = np.asarray(im.convert("RGB").resize((s, s), Image.BILINEAR))
            except OSError as e:
                raise ValueError(f"image {path} (item {i}) cannot be read: {e}") from e
        return out


@dataclass(frozen=True)
class IndexPair:
    """A pair as catalog item indices (`target` -1 where the dataset hides it) and the
    category of the file it comes from (an ASIN listed under two categories is one item,
    of the first)."""

    reference: int
    target: int
    captions: tuple[str, ...]
    split: str
    category: str = ""


@dataclass
class Gallery:
    """Items in reading order: ids, category codes, split codes; and what was merged."""

    ids: list[str] = field(default_factory=list)
    cats: list[int] = field(default_factory=list)
    splits: list[int] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0  # entries listed again within one split file
    overlap: dict[str, int] = field(default_factory=dict)  # "train/val": val entries in train
    cross_category: int = 0  # entries already listed under another category

    def add(self, asin: str, category: int, split: str) -> None:
        """Add an item, or count where an ASIN already seen is listed again."""
        first = self.where.get(asin)
        if first is None:
            self.where[asin] = len(self.ids)
            self.ids.append(asin)
            self.cats.append(category)
            self.splits.append(SPLITS.index(split))
        elif self.cats[first] != category:
            self.cross_category += 1
        elif SPLITS[self.splits[first]] != split:
            key = f"{SPLITS[self.splits[first]]}/{split}"
            self.overlap[key] = self.overlap.get(key, 0) + 1

    def report(self) -> dict:
        return {"duplicates": self.duplicates, "overlap": dict(self.overlap),
                "cross_category": self.cross_category}

    def sort(self, splits) -> None:
        """Items in category order, then in the order of `splits`, then as read (stable)."""
        order = sorted(range(len(self.ids)), key=lambda i: (
            self.cats[i], list(splits).index(SPLITS[self.splits[i]])))
        self.ids = [self.ids[i] for i in order]
        self.cats = [self.cats[i] for i in order]
        self.splits = [self.splits[i] for i in order]
        self.where = {a: r for r, a in enumerate(self.ids)}


# Which split an ASIN listed in several splits belongs to: the evaluation splits first,
# so that every evaluation gallery is complete (Fashion IQ lists some ASINs in one
# category's train split and another's val or test split).
SPLIT_PRIORITY = ("test", "val", "train")


def read_gallery(root: Path, categories, splits, source: str) -> Gallery:
    """The items of the image-split files of `categories` x `splits`: the first file in
    the order `SPLIT_PRIORITY` x `categories` listing an ASIN gives its split and category
    (an ASIN in an evaluation split of any category is an item of that split), items
    ordered by category, then in the order of `splits`, then as read; with a warning
    counting duplicate entries, ASINs in two splits and ASINs in two categories."""
    g = Gallery()
    folder, absent = subfolder(root, "image_splits"), []
    for split in sorted(splits, key=SPLIT_PRIORITY.index):
        for c, cat in enumerate(categories):
            if not (folder / f"split.{cat}.{split}.json").exists():
                absent.append(f"split.{cat}.{split}.json")
                continue
            asins, dup = read_image_split(root, cat, split)
            g.duplicates += dup
            for asin in asins:
                g.add(asin, c, split)
    g.sort(splits)
    if absent:
        warnings.warn(f"{source} under {root}: no image-split file {', '.join(absent)} in "
                      f"{folder}; those categories have no items of those splits",
                      stacklevel=3)
    said = []
    if g.duplicates:
        said.append(f"{g.duplicates} duplicate entries within split files")
    said += [f"{n} {k.split('/')[1]} entries already listed in {k.split('/')[0]} (kept as "
             f"{k.split('/')[0]} items)" for k, n in g.overlap.items()]
    if g.cross_category:
        said.append(f"{g.cross_category} entries already listed under another category "
                    f"(kept under the first)")
    if said:
        warnings.warn(f"{source} under {root}: the image splits list {'; '.join(said)}; each "
                      f"item is kept once ({len(g.ids)} items)", stacklevel=3)
    return g


def read_tags(root: Path, categories, splits) -> Tags:
    """The attribute tags of every tag file found for `categories` x `splits`."""
    tags: Tags = {}
    for cat in categories:
        for split in splits:
            path = find_attribute_file(root, cat, split)
            if path is not None:
                tags.update(read_attribute_tags(path))
    return tags


def _vocab(tags: Tags) -> tuple[AttributeVocab, dict[tuple[str, str], int]]:
    """The vocabulary of the tags seen and the column of each (type, tag)."""
    seen: dict[str, set[str]] = {}
    for per_type in tags.values():
        for t, values in per_type.items():
            for v in values:
                seen.setdefault(v, set()).add(t)
    names, types, column = [], [], {}
    for v in sorted(seen):
        for t in sorted(seen[v]):
            column[(t, v)] = len(names)
            names.append(v if len(seen[v]) == 1 else f"{t}:{v}")
            types.append(t)
    return AttributeVocab(tuple(names), tuple(types), tuple(f"{t}-tags" for t in types)), column


def check_images_mode(images: str) -> str:
    if images not in IMAGE_MODES:
        raise ValueError(f"images must be one of {IMAGE_MODES}, got {images!r}")
    return images


def load_fashioniq(root: str | Path, image_size: int = 64, categories=FIQ_CATEGORIES,
                   splits=SPLITS, with_tags: bool = True, images: str = "required"
                   ) -> tuple[Catalog, list[IndexPair]]:
    """The Fashion IQ catalog under `root` and its pairs (see the module docstring).
    Categories without any image-split file are skipped with a warning."""
    root = Path(root)
    check_images_mode(images)
    categories = present_categories(root, categories, splits, "Fashion IQ")
    gallery = read_gallery(root, categories, splits, "Fashion IQ")
    tags = read_tags(root, categories, splits) if with_tags else {}
    catalog = assemble(f"fashioniq-{root.resolve().name}", "Fashion IQ", root, gallery,
                       categories, tags, image_size, images)
    return catalog, index_pairs(catalog, _pairs(root, categories, splits))


def index_pairs(catalog: Catalog, pairs: list[Pair]) -> list[IndexPair]:
    """`pairs` as item indices (a hidden target is -1); pairs naming an item the catalog
    lacks (its image missing) are left out."""
    position = {a: r for r, a in enumerate(catalog.item_ids)}
    return [IndexPair(position[p.reference], -1 if p.target is None else position[p.target],
                      p.captions, p.split, p.category)
            for p in pairs
            if p.reference in position and (p.target is None or p.target in position)]


def present_categories(root: Path, categories, splits, source: str) -> tuple[str, ...]:
    """The `categories` with at least one image-split file (the others warned about)."""
    folder = subfolder(root, "image_splits")
    present = tuple(c for c in categories
                    if any((folder / f"split.{c}.{s}.json").exists() for s in splits))
    if not present:
        raise FileNotFoundError(f"no {source} image-split files split.<category>.<split>"
                                f".json under {folder} for categories {tuple(categories)}")
    if present != tuple(categories):
        warnings.warn(f"{source} under {root}: no image splits for "
                      f"{sorted(set(categories) - set(present))}; those categories are "
                      f"left out", stacklevel=3)
    return present


def _pairs(root: Path, categories, splits) -> list[Pair]:
    folder = subfolder(root, "captions")
    present = [s for s in splits
               if all((folder / f"cap.{c}.{s}.json").exists() for c in categories)]
    return read_fashioniq_pairs(root, categories, present)


def assemble(name: str, source: str, root: Path, gallery: Gallery,
             categories: tuple[str, ...], tags: Tags, image_size: int,
             images: str = "required") -> Catalog:
    """The catalog of the gallery's items with their images found (with `images=
    'required'` the others are warned about and left out; with 'optional' kept)."""
    ids, cats = gallery.ids, gallery.cats
    paths: list[Path | None] = [None] * len(ids)
    missing: list[str] = []
    for c, cat in enumerate(categories):
        rows = [i for i in range(len(ids)) if cats[i] == c]
        found, lost = find_images(root, [ids[i] for i in rows], cat)
        missing += lost
        for i in rows:
            paths[i] = found.get(ids[i])
    if missing:
        fate = ("those items are left out" if images == "required" else
                "those items are kept without images (images='optional')")
        warnings.warn(f"{source} under {root}: {describe_missing(missing, len(ids))}; {fate}",
                      stacklevel=3)
    keep = [i for i in range(len(ids)) if images == "optional" or paths[i] is not None]
    vocab, column = _vocab({ids[i]: tags[ids[i]] for i in keep if ids[i] in tags})
    attributes = np.zeros((len(keep), len(vocab)), dtype=bool)
    for r, i in enumerate(keep):
        for t, values in tags.get(ids[i], {}).items():
            for v in values:
                attributes[r, column[(t, v)]] = True
    kept_ids = [ids[i] for i in keep]
    folder = hashlib.sha256("\n".join([str(root.resolve()), str(image_size), *kept_ids])
                            .encode()).hexdigest()[:12]
    content = hashlib.sha256("\n".join(kept_ids + list(vocab.names)).encode())
    content.update(np.packbits(attributes).tobytes())
    return Catalog(
        name=name, item_ids=kept_ids, categories=tuple(categories),
        category=np.array([cats[i] for i in keep], np.int8),
        split=np.array([gallery.splits[i] for i in keep], np.int8), vocab=vocab,
        attributes=attributes, ordinal_names=(), ordinal_levels=(),
        ordinal=np.zeros((len(keep), 0), np.int8), titles=list(kept_ids),
        images=FileImages([paths[i] for i in keep], image_size, kept_ids, root),
        meta={"source": source, "root": str(root), "images": images,
              "missing_images": len(missing), "gallery": gallery.report(),
              "cache_dir": str(cache_root() / f"{name}-{folder}"),
              "content_hash": content.hexdigest()})


def load_shoes(root: str | Path, image_size: int = 64, images: str = "required"
               ) -> tuple[Catalog, list[IndexPair]]:
    """A `Catalog` of the Shoes images of the relative-caption pairs under `root` (images
    by basename under `attributedata/womens_<category>/<0|1>/`; category from the name;
    split train for images in `train_im_names.txt`, test for the eval list, the
    evaluation protocol of Guo et al.), and its pairs as item indices (split train / eval).
    Shoes has no attribute tags: the vocabulary is empty."""
    root = Path(root)
    check_images_mode(images)
    pairs = read_shoes_pairs(root)
    train = set((root / "train_im_names.txt").read_text().split())
    names: dict[str, str] = {}  # image -> category, in order of appearance
    for p in pairs:
        names.setdefault(p.reference, _shoe_category(p.reference, p.category))
        names.setdefault(p.target, p.category)
    categories = tuple(sorted(set(names.values())))
    gallery = Gallery()
    for i, cat in names.items():
        gallery.add(i, categories.index(cat), "train" if i in train else "test")
    catalog = assemble(f"shoes-{root.resolve().name}", "Shoes", root, gallery, categories,
                       {}, image_size, images)
    return catalog, index_pairs(catalog, pairs)


def _shoe_category(name: str, default: str) -> str:
    m = SHOE_NAME.match(name)
    return m.group("category") if m else default


def summary(catalog: Catalog, pairs=(), what: str = "pairs") -> dict:
    """What a loader found: items per split and category, `pairs` (or dialogs: anything
    with a `split`) per split, missing images, attribute values and the gallery report."""
    items = {s: {c: int(((catalog.split == k) & (catalog.category == j)).sum())
                 for j, c in enumerate(catalog.categories)}
             for k, s in enumerate(SPLITS)}
    counted: dict[str, int] = {}
    for p in pairs:
        counted[p.split] = counted.get(p.split, 0) + 1
    return {"catalog": catalog.name, "items": len(catalog),
            "items_per_split": {s: per for s, per in items.items() if sum(per.values())},
            what: counted, "missing_images": int(catalog.meta.get("missing_images", 0)),
            "images": catalog.meta.get("images", "required"),
            "attribute_values": len(catalog.vocab), **catalog.meta.get("gallery", {})}


def describe(found: dict) -> str:
    """`summary` as a few lines of text (what the scripts print before they work)."""
    lines = [f"{found['catalog']}: {found['items']} items, {found['attribute_values']} "
             f"attribute values, {found['missing_images']} images missing (images="
             f"{found['images']})"]
    for split, per in found["items_per_split"].items():
        lines.append(f"  items {split}: {sum(per.values())} ("
                     + ", ".join(f"{c} {n}" for c, n in per.items()) + ")")
    for what in ("pairs", "dialogs"):
        for split, n in found.get(what, {}).items():
            lines.append(f"  {what} {split}: {n}")
    if found.get("duplicates") or found.get("overlap") or found.get("cross_category"):
        lines.append(f"  image splits: {found.get('duplicates', 0)} duplicate entries, "
                     f"overlap {found.get('overlap', {})}, "
                     f"{found.get('cross_category', 0)} entries under a second category")
    return "\n".join(lines)
