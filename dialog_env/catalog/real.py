"""Real catalogs from the public datasets on disk (no downloads).

    catalog, pairs = load_fashioniq("data/fashioniq", image_size=224)

`load_fashioniq` builds a `Catalog` of the Fashion IQ images listed in
`image_splits/split.{cat}.{split}.json` (the first split listing an ASIN gives its split),
with attributes from the optional `asin2attr.{cat}.{split}.json` tag files (one vocabulary
value per (type, tag) seen; a tag found under two types is named `type:tag`), titles = ASINs
and images read from the common layouts (`real_pairs.IMAGE_LAYOUTS`) with Pillow, resized
to `image_size`. Items whose image is missing are reported (count and first few) in a
warning and left out, never a crash; so are pairs that mention them. Returns the catalog
and its relative-caption pairs as item-index triples.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialog_env.catalog.catalog import AttributeVocab, Catalog
from dialog_env.catalog.real_pairs import (
    FIQ_CATEGORIES,
    SHOE_NAME,
    Pair,
    describe_missing,
    find_images,
    read_attribute_tags,
    read_fashioniq_pairs,
    read_fashioniq_split,
    read_shoes_pairs,
    subfolder,
)
from dialog_env.catalog.schema import SPLITS


class FileImages:
    """RGB images read from files with Pillow, resized to `image_size` squared."""

    def __init__(self, paths: list[Path], image_size: int):
        self.paths, self.image_size = paths, image_size

    def __call__(self, indices) -> np.ndarray:
        from PIL import Image

        s = self.image_size
        out = np.empty((len(indices), s, s, 3), dtype=np.uint8)
        for k, i in enumerate(np.asarray(indices).tolist()):
            path = self.paths[i]
            try:
                with Image.open(path) as im:
                    out[k] = np.asarray(im.convert("RGB").resize((s, s), Image.BILINEAR))
            except OSError as e:
                raise ValueError(f"image {path} (item {i}) cannot be read: {e}") from e
        return out


@dataclass(frozen=True)
class IndexPair:
    """A pair as catalog item indices (`target` -1 where the dataset hides it)."""

    reference: int
    target: int
    captions: tuple[str, ...]
    split: str


def _vocab(tags: dict[str, dict[str, tuple[str, ...]]]
           ) -> tuple[AttributeVocab, dict[tuple[str, str], int]]:
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
    return AttributeVocab(tuple(names), tuple(types), tuple(types)), column


def load_fashioniq(root: str | Path, image_size: int = 64, categories=FIQ_CATEGORIES,
                   splits=SPLITS, with_tags: bool = True) -> tuple[Catalog, list[IndexPair]]:
    """The Fashion IQ catalog under `root` and its pairs (see the module docstring).
    Categories without any image-split file are skipped with a warning."""
    root = Path(root)
    folder = subfolder(root, "image_splits")
    present = tuple(c for c in categories
                    if any((folder / f"split.{c}.{s}.json").exists() for s in splits))
    if not present:
        raise FileNotFoundError(f"no Fashion IQ image-split files split.<category>.<split>"
                                f".json under {folder} for categories {tuple(categories)}")
    if present != tuple(categories):
        warnings.warn(f"Fashion IQ under {root}: no image splits for "
                      f"{sorted(set(categories) - set(present))}; those categories are "
                      f"left out", stacklevel=2)
    categories = present
    ids: list[str] = []
    cats: list[int] = []
    split_codes: list[int] = []
    where: dict[str, int] = {}
    for c, cat in enumerate(categories):
        for split in splits:
            for asin in read_fashioniq_split(root, cat, split):
                if asin not in where:
                    where[asin] = len(ids)
                    ids.append(asin)
                    cats.append(c)
                    split_codes.append(SPLITS.index(split))
    tags: dict[str, dict[str, tuple[str, ...]]] = {}
    if with_tags:
        for cat in categories:
            for split in splits:
                f = root / f"asin2attr.{cat}.{split}.json"
                if not f.exists():
                    f = root / "attributes" / f.name
                if f.exists():
                    tags.update(read_attribute_tags(f))
    catalog = _assemble(f"fashioniq-{root.resolve().name}", "Fashion IQ", root, ids, cats,
                        split_codes, tuple(categories), tags, image_size)
    kept_ids = list(catalog.item_ids)
    position = {a: r for r, a in enumerate(kept_ids)}
    pairs = [IndexPair(position[p.reference], position.get(p.target, -1) if p.target else -1,
                       p.captions, p.split)
             for p in _pairs(root, categories, splits)
             if p.reference in position and (p.target is None or p.target in position)]
    return catalog, pairs


def _pairs(root: Path, categories, splits) -> list[Pair]:
    folder = subfolder(root, "captions")
    present = [s for s in splits
               if all((folder / f"cap.{c}.{s}.json").exists() for c in categories)]
    return read_fashioniq_pairs(root, categories, present)


def _assemble(name: str, source: str, root: Path, ids: list[str], cats: list[int],
              split_codes: list[int], categories: tuple[str, ...],
              tags: dict[str, dict[str, tuple[str, ...]]], image_size: int) -> Catalog:
    """The catalog of the items whose image is found (the others warned about, left out)."""
    paths: list[Path | None] = [None] * len(ids)
    missing: list[str] = []
    for c, cat in enumerate(categories):
        rows = [i for i in range(len(ids)) if cats[i] == c]
        found, lost = find_images(root, [ids[i] for i in rows], cat)
        missing += lost
        for i in rows:
            paths[i] = found.get(ids[i])
    if missing:
        warnings.warn(f"{source} under {root}: {describe_missing(missing, len(ids))}; "
                      f"those items are left out", stacklevel=3)
    keep = [i for i in range(len(ids)) if paths[i] is not None]
    vocab, column = _vocab({ids[i]: tags[ids[i]] for i in keep if ids[i] in tags})
    attributes = np.zeros((len(keep), len(vocab)), dtype=bool)
    for r, i in enumerate(keep):
        for t, values in tags.get(ids[i], {}).items():
            for v in values:
                attributes[r, column[(t, v)]] = True
    kept_ids = [ids[i] for i in keep]
    return Catalog(
        name=name, item_ids=kept_ids, categories=categories,
        category=np.array([cats[i] for i in keep], np.int8),
        split=np.array([split_codes[i] for i in keep], np.int8), vocab=vocab,
        attributes=attributes, ordinal_names=(), ordinal_levels=(),
        ordinal=np.zeros((len(keep), 0), np.int8), titles=list(kept_ids),
        images=FileImages([paths[i] for i in keep], image_size),
        meta={"source": source, "root": str(root), "missing_images": len(missing)})


def load_shoes(root: str | Path, image_size: int = 64) -> tuple[Catalog, list[IndexPair]]:
    """A `Catalog` of the Shoes images of the relative-caption pairs under `root` (images
    by basename under `attributedata/womens_<category>/<0|1>/`; category from the name;
    split train for images in `train_im_names.txt`, test for the eval list, the
    evaluation protocol of Guo et al.), and its pairs as item indices (split train / eval).
    Shoes has no attribute tags: the vocabulary is empty."""
    root = Path(root)
    pairs = read_shoes_pairs(root)
    train = set((root / "train_im_names.txt").read_text().split())
    names: dict[str, str] = {}  # image -> category, in order of appearance
    for p in pairs:
        names.setdefault(p.reference, _shoe_category(p.reference, p.category))
        names.setdefault(p.target, p.category)
    ids = list(names)
    categories = tuple(sorted(set(names.values())))
    cats = [categories.index(names[i]) for i in ids]
    split_codes = [SPLITS.index("train") if i in train else SPLITS.index("test") for i in ids]
    catalog = _assemble(f"shoes-{root.resolve().name}", "Shoes", root, ids, cats, split_codes,
                        categories, {}, image_size)
    position = {a: r for r, a in enumerate(catalog.item_ids)}
    return catalog, [IndexPair(position[p.reference], position[p.target], p.captions, p.split)
                     for p in pairs if p.reference in position and p.target in position]


def _shoe_category(name: str, default: str) -> str:
    m = SHOE_NAME.match(name)
    return m.group("category") if m else default
