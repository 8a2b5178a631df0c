"""Image features of a public dataset on disk, written to the feature cache.

    python -m experiments.extract_features --dataset fashioniq --root data/fashioniq \
        --encoder clip --model models/clip-vit-base-patch32

Builds the dataset's catalog (`dialog_env.catalog.datasets.load_dataset`: Fashion IQ,
Shoes, Multi-turn FashionIQ, and Multi-turn Shoes, our construction over the Shoes
images), prints what it found (items per split and category, pairs or dialogs per split,
missing images), encodes every item image with the encoder (CLIP from a local
transformers directory; nothing is downloaded) and writes `features-<key>.npy` with its
checksum into the catalog's cache folder (`$FASHION_DIALOG_CACHE/<catalog name>-<digest>/`),
where later runs, and `gym.make("FashionDialog-v0", dataset=..., root=...,
perception="clip", clip_model=..., image_size=...)` with the same image size, load it.
Images missing on disk are reported and their items left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.catalog.datasets import DATASETS

ENCODERS = ("clip",)


@dataclass
class Args:
    """Encode a dataset's images into the feature cache."""

    dataset: str
    """fashioniq, shoes, multiturn-fashioniq or multiturn-shoes."""
    root: Path
    """The dataset's folder (as published: captions/, image_splits/, images/ ...)."""
    model: Path
    """The encoder's local model directory (written by save_pretrained)."""
    encoder: str = "clip"
    """Image encoder."""
    image_size: int = 224
    """Images are read at this size (the encoder resizes again to its own)."""
    device: str = "cpu"
    """torch device of the encoder (cpu, cuda)."""
    batch: int = 64
    """Images encoded at once."""
    quiet: bool = False
    """No progress bars (what was found is printed all the same)."""


def check_args(args: Args) -> None:
    if args.dataset not in DATASETS:
        raise SystemExit(f"--dataset must be one of {DATASETS}, got {args.dataset!r}")
    if args.encoder not in ENCODERS:
        raise SystemExit(f"--encoder must be one of {ENCODERS}, got {args.encoder!r}")
    if not args.root.is_dir():
        raise SystemExit(f"--root {args.root} is not a directory")


def load_catalog(dataset: str, root: Path, image_size: int):
    """The dataset's catalog and its pairs or dialogs (`load_dataset`), after printing what
    was found; a catalog without any image on disk stops the script."""
    from dialog_env.catalog.datasets import load_dataset
    from dialog_env.catalog.real import describe, summary

    catalog, records, kind = load_dataset(dataset, root, image_size)
    print(describe(summary(catalog, records, kind)), flush=True)
    if len(catalog) == 0:
        raise SystemExit(f"{dataset} under {root}: no item has its image on disk; nothing to "
                         f"encode (see dialog_env.catalog.real_pairs.IMAGE_LAYOUTS)")
    return catalog, records


def main(args: Args) -> Path:
    from dialog_env.features import extract_features, feature_cache_path
    from dialog_env.features.clip import CLIPFeatures

    check_args(args)
    catalog, _ = load_catalog(args.dataset, args.root, args.image_size)
    extractor = CLIPFeatures(args.model, args.device, args.batch)
    feats = extract_features(catalog, extractor, progress=not args.quiet)
    path = feature_cache_path(catalog, extractor)
    print(f"{args.dataset}: {len(catalog)} items, features {feats.shape} -> {path}")
    return path


if __name__ == "__main__":
    main(tyro.cli(Args))
