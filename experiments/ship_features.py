"""Build (or check) the features shipped with the package: the default world's AttrNet.

    python -m experiments.ship_features            # build and write dialog_env/features/data/
    python -m experiments.ship_features --check    # recompute from the shipped weights, compare

Building trains AttrNet on the default catalog exactly as a first `gym.make` with an empty
cache did before anything was shipped (the catalog, its images, then AttrNet on the train
split and the features of every item, in a fresh cache folder, `--cache`, with nothing
shipped installed), then copies the weights (safetensors + JSON config) and the
features (compressed `.npz`) into `dialog_env/features/data/` with `manifest.json`: each
file's SHA-256 and size and what it was derived from (catalog name and content hash, the
extractor's key). Re-run it whenever the catalog generator or AttrNet's defaults change
(the manifest's content hash then no longer matches and the features are not used).

`--check` recomputes the features of `--check-items` items from the shipped weights with
this machine's kernels and reports the largest difference from the shipped ones (a
different CPU changes the last bits, not more); it exits non-zero above `--tolerance`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.features.attrnet import AttrNetConfig


@dataclass
class Args:
    """The default world's AttrNet, shipped as package data."""

    n_items: int = 10_000
    """Catalog size (the default world's)."""
    seed: int = 0
    """Catalog seed (the default world's)."""
    image_size: int = 64
    """Catalog image size (the default world's)."""
    attrnet: AttrNetConfig = field(default_factory=AttrNetConfig)
    """AttrNet settings (the default world's)."""
    out: Path | None = None
    """Folder to write (default: the package's dialog_env/features/data/)."""
    cache: Path | None = None
    """Cache folder to build in (default: a new temporary folder, so the catalog, its
    images, AttrNet and the features are all built from scratch; nothing shipped is used)."""
    check: bool = False
    """Only check: recompute features from the shipped weights and compare."""
    check_items: int = 500
    """Items recomputed by --check (spread over the catalog)."""
    tolerance: float = 1e-4
    """Largest absolute difference --check accepts."""


def _catalog(args: Args):
    from dialog_env.catalog import load_synthetic

    return load_synthetic(args.n_items, args.seed, args.image_size, render=False)


def build(args: Args) -> list[dict]:
    """Build from scratch (nothing shipped is installed) and ship; returns the manifest
    entries written."""
    from dialog_env.features import extract_features, shipped
    from dialog_env.features.attrnet import (
        AttrNetFeatures,
        _source,
        shipped_weights_key,
        weights_path,
    )
    from dialog_env.features.base import feature_cache_path

    out = args.out or shipped.DATA
    cache = args.cache or Path(tempfile.mkdtemp(prefix="fashion-dialog-ship-"))
    old = os.environ.get("FASHION_DIALOG_CACHE")
    os.environ["FASHION_DIALOG_CACHE"] = str(cache)
    try:
        with shipped.disabled():
            catalog = _catalog(args)
            extractor = AttrNetFeatures(len(catalog.vocab), args.attrnet)
            extract_features(catalog, extractor)  # renders, trains AttrNet, computes
            weights = weights_path(catalog, args.attrnet)
    finally:
        if old is None:
            os.environ.pop("FASHION_DIALOG_CACHE", None)
        else:
            os.environ["FASHION_DIALOG_CACHE"] = old
    source = _source(catalog, args.attrnet)
    feats_source = {"catalog": catalog.name, "content_hash": catalog.meta["content_hash"]}
    entries = [
        shipped.ship(feature_cache_path(catalog, extractor), "features", extractor.key(),
                     catalog, feats_source, out),
        shipped.ship(weights, "weights", shipped_weights_key(args.attrnet), catalog, source,
                     out),
        shipped.ship(weights.with_suffix(".json"), "config",
                     shipped_weights_key(args.attrnet) + ".json", catalog, source, out,
                     checksum=False),
    ]
    for e in entries:
        print(f"shipped {e['file']}: {e['bytes']:,} bytes, sha256 {e['sha256'][:16]}... "
              f"(built in {cache})")
    return entries


def check(args: Args) -> float:
    """The largest absolute difference between shipped features and features recomputed
    from the shipped weights on this machine."""
    from safetensors.torch import load_file

    from dialog_env.features import shipped
    from dialog_env.features.attrnet import AttrNetFeatures, build_attrnet, shipped_weights_key

    folder = args.out or shipped.DATA
    catalog = _catalog(args)
    extractor = AttrNetFeatures(len(catalog.vocab), args.attrnet)
    entries = {e["key"]: e for e in shipped.manifest(folder)["artifacts"]}
    feats_entry = entries.get(extractor.key())
    weights_entry = entries.get(shipped_weights_key(args.attrnet))
    if feats_entry is None or weights_entry is None:
        raise SystemExit(f"{folder}: nothing shipped for {extractor.key()}")
    if feats_entry["content_hash"] != catalog.meta["content_hash"]:
        raise SystemExit(f"{folder}: shipped for content hash {feats_entry['content_hash']}, "
                         f"this catalog's is {catalog.meta['content_hash']}")
    with np.load(folder / feats_entry["file"], allow_pickle=False) as z:
        shipped_feats = z["features"]
    model = build_attrnet(args.attrnet, catalog)
    model.load_state_dict(load_file(str(folder / weights_entry["file"])))
    extractor.model = model.eval()
    idx = np.unique(np.linspace(0, len(catalog) - 1, args.check_items).astype(np.int64))
    again = extractor.transform(catalog, idx)
    diff = float(np.abs(again - shipped_feats[idx]).max())
    print(json.dumps({"items": len(idx), "max_abs_difference": diff,
                      "tolerance": args.tolerance}))
    return diff


def main(args: Args) -> None:
    if args.check:
        if check(args) > args.tolerance:
            sys.exit(1)
        return
    build(args)


if __name__ == "__main__":
    main(tyro.cli(Args))
