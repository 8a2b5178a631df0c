"""The public datasets by name: one call gives a real catalog and its pairs or dialogs.

    catalog, records, kind = load_dataset("multiturn-fashioniq", "data/mt-fiq")
    # kind: "pairs" (Fashion IQ, Shoes) or "dialogs" (Multi-turn FashionIQ, Multi-turn Shoes)

What each loader reads and reports: `dialog_env.catalog.real` (Fashion IQ, Shoes) and
`dialog_env.catalog.multiturn` (Multi-turn FashionIQ; Multi-turn Shoes is our construction
over the Shoes catalog).
"""

from __future__ import annotations

from pathlib import Path

from dialog_env.catalog.catalog import Catalog

DATASETS = ("fashioniq", "shoes", "multiturn-fashioniq", "multiturn-shoes")


def load_dataset(name: str, root: str | Path, image_size: int = 64,
                 images: str = "required") -> tuple[Catalog, list, str]:
    """`(catalog, pairs or dialogs, "pairs" or "dialogs")` of dataset `name` under `root`."""
    from dialog_env.catalog.multiturn import load_multiturn_fashioniq, load_multiturn_shoes
    from dialog_env.catalog.real import load_fashioniq, load_shoes

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")
    if not Path(root).is_dir():
        raise FileNotFoundError(f"dataset {name!r}: root {root} is not a directory")
    loader = {"fashioniq": load_fashioniq, "shoes": load_shoes,
              "multiturn-fashioniq": load_multiturn_fashioniq,
              "multiturn-shoes": load_multiturn_shoes}[name]
    catalog, records = loader(root, image_size=image_size, images=images)
    return catalog, records, "dialogs" if name.startswith("multiturn") else "pairs"
