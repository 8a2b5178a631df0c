"""Multi-turn catalogs: Multi-turn FashionIQ (CFIR, Yuan & Lam 2021) and Multi-turn Shoes
(our construction, chaining Shoes pairs as FashionNTM describes).

    catalog, dialogs = load_multiturn_fashioniq("data/multiturn-fashioniq")
    catalog, dialogs = load_multiturn_shoes("data/shoes", turns=(2, 3, 4))
    print(describe(summary(catalog, dialogs, "dialogs")))

Multi-turn FashionIQ's layout: `data/{cat}.{train,val}.json` (the dialogs,
`real_pairs.read_multiturn_fashioniq`), `image_splits/split.{cat}.{train,val}.json` (the
gallery) and `attr/asin2attr.{cat}.{split}.new.json` (tags: 6, 12 or 18 lists per ASIN).
Its train and val image splits overlap (in the public release about half of each val
split is listed in train too) and may repeat ASINs: each ASIN is one item; the val split
is read first, so an ASIN in both is a *val* item (the val split is the retrieval gallery
CFIR evaluates on) and the train items are those listed in train only. The counts are
reported in a warning (`real.read_gallery`). Dialogs naming an ASIN outside the image
splits, or an item left out for a missing image, are left out and counted.

Multi-turn Shoes is the Shoes catalog (`real.load_shoes`) with the dialogs that
`real_pairs.chain_pairs` builds from its pairs, for each number of turns asked.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.real import (
    assemble,
    check_images_mode,
    load_shoes,
    present_categories,
    read_gallery,
    read_tags,
)
from dialog_env.catalog.real_pairs import (
    FIQ_CATEGORIES,
    Transaction,
    chain_pairs,
    read_multiturn_fashioniq,
    read_shoes_pairs,
    subfolder,
)

MULTITURN_SPLITS = ("val", "train")  # reading order: an ASIN in both is a val item


@dataclass(frozen=True)
class IndexDialog:
    """A recorded dialog as catalog item indices: turn j shows `references[j]` and says
    `captions[j]`; the last turn's captions lead to `target`."""

    references: tuple[int, ...]
    captions: tuple[tuple[str, ...], ...]
    target: int
    split: str
    category: str = ""  # of the dialog's file (an item may be filed under another)

    @property
    def turns(self) -> int:
        return len(self.references)


def index_dialogs(catalog: Catalog, transactions: list[Transaction], source: str
                  ) -> list[IndexDialog]:
    """`transactions` as item indices; those naming an item not in `catalog` are left out
    with a warning counting them."""
    position = {a: r for r, a in enumerate(catalog.item_ids)}
    out = [IndexDialog(tuple(position[a] for a in t.references), t.captions,
                       position[t.target], t.split, t.category)
           for t in transactions
           if t.target in position and all(a in position for a in t.references)]
    if len(out) < len(transactions):
        warnings.warn(f"{source}: {len(transactions) - len(out)} of {len(transactions)} "
                      f"dialogs name an item not in the catalog (not in the image splits, or "
                      f"its image missing); those dialogs are left out", stacklevel=3)
    return out


def load_multiturn_fashioniq(root: str | Path, image_size: int = 64,
                             categories=FIQ_CATEGORIES, with_tags: bool = True,
                             images: str = "required") -> tuple[Catalog, list[IndexDialog]]:
    """The Multi-turn FashionIQ catalog under `root` and its dialogs (see the module
    docstring). Categories without image splits are skipped with a warning; dialog files
    are read for the splits every category has."""
    root = Path(root)
    check_images_mode(images)
    source = "Multi-turn FashionIQ"
    categories = present_categories(root, categories, MULTITURN_SPLITS, source)
    gallery = read_gallery(root, categories, MULTITURN_SPLITS, source)
    tags = read_tags(root, categories, MULTITURN_SPLITS) if with_tags else {}
    catalog = assemble(f"multiturn-fashioniq-{root.resolve().name}", source, root, gallery,
                       categories, tags, image_size, images)
    folder = subfolder(root, "data")
    splits = [s for s in ("train", "val")
              if all((folder / f"{c}.{s}.json").exists() for c in categories)]
    if not splits:
        raise FileNotFoundError(f"no {source} dialog files <category>.<split>.json under "
                                f"{folder} for categories {categories}")
    transactions = read_multiturn_fashioniq(root, categories, splits)
    return catalog, index_dialogs(catalog, transactions, f"{source} under {root}")


def load_multiturn_shoes(root: str | Path, image_size: int = 64, turns=(2, 3, 4),
                         images: str = "required") -> tuple[Catalog, list[IndexDialog]]:
    """The Shoes catalog under `root` and the dialogs of `turns` turns chained from its
    pairs (our construction; `real_pairs.chain_pairs`)."""
    catalog, _ = load_shoes(root, image_size, images)
    pairs = read_shoes_pairs(root)
    out: list[IndexDialog] = []
    for n in turns:
        out += index_dialogs(catalog, chain_pairs(pairs, n), f"Multi-turn Shoes ({n} turns)")
    return catalog, out
