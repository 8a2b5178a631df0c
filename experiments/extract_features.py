"""Image features of a public dataset on disk, written to the feature cache.

    python -m experiments.extract_features --dataset fashioniq --root data/fashioniq \
        --encoder clip --model models/clip-vit-base-patch32

Builds the dataset's catalog (`dialog_env.catalog.real`: Fashion IQ, Shoes; for
`multiturn-fashioniq` the Fashion IQ images and image splits it shares), encodes every item
image with the encoder (CLIP from a local transformers directory; nothing is downloaded)
and writes `features-<key>.npy` with its checksum into the catalog's cache folder
(`$FASHION_DIALOG_CACHE/<catalog name>-<hash of its item ids>/`), where later runs load
it. Images missing on disk are reported and their items left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.cache import cache_root

DATASETS = ("fashioniq", "shoes", "multiturn-fashioniq")
ENCODERS = ("clip",)


@dataclass
class Args:
    """Encode a dataset's images into the feature cache."""

    dataset: str
    """fashioniq, shoes or multiturn-fashioniq."""
    root: Path
    """The dataset's folder (as published: captions/, image_splits/, images/ ...)."""
    model: Path
    """The encoder's local model directory (written by save_pretrained)."""
    encoder: str = "clip"
    """Image encoder."""
    image_size: int = 224
    """Images are read at this size (the encoder resizes again to its own)."""
    device: str = "cpu"
    batch: int = 64
    quiet: bool = False


def check_args(args: Args) -> None:
    if args.dataset not in DATASETS:
        raise SystemExit(f"--dataset must be one of {DATASETS}, got {args.dataset!r}")
    if args.encoder not in ENCODERS:
        raise SystemExit(f"--encoder must be one of {ENCODERS}, got {args.encoder!r}")
    if not args.root.is_dir():
        raise SystemExit(f"--root {args.root} is not a directory")


def load_catalog(dataset: str, root: Path, image_size: int):
    from dialog_env.catalog.real import load_fashioniq, load_shoes

    if dataset == "shoes":
        catalog, _ = load_shoes(root, image_size)
    else:
        catalog, _ = load_fashioniq(root, image_size)
    digest = hashlib.sha256("\n".join(catalog.item_ids).encode()).hexdigest()
    catalog.meta["content_hash"] = digest
    catalog.meta["cache_dir"] = str(cache_root() / f"{catalog.name}-{digest[:12]}")
    return catalog


def main(args: Args) -> Path:
    from dialog_env.features import extract_features, feature_cache_path
    from dialog_env.features.clip import CLIPFeatures

    check_args(args)
    catalog = load_catalog(args.dataset, args.root, args.image_size)
    extractor = CLIPFeatures(args.model, args.device, args.batch)
    Path(catalog.meta["cache_dir"]).mkdir(parents=True, exist_ok=True)
    feats = extract_features(catalog, extractor, progress=not args.quiet)
    path = feature_cache_path(catalog, extractor)
    print(f"{args.dataset}: {len(catalog)} items, features {feats.shape} -> {path}")
    return path


if __name__ == "__main__":
    main(tyro.cli(Args))
