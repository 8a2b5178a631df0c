"""Feature extractors and the on-disk feature cache.

An extractor turns catalog items into float32 vectors. `extract_features` streams the
catalog through it in chunks (bounded memory, progress bar) and caches the result next to
the catalog as `features-<extractor key>.npy` (with a checksum that also records the
catalog's content hash); the second call verifies and loads it without recomputing.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from dialog_env.cache import CacheMismatch, atomic_save_npy, load_npy
from dialog_env.catalog.catalog import Catalog

CHUNK = 4096


class FeatureExtractor(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def key(self) -> str:
        """Stable string identifying the extractor and its settings (the cache key)."""
        ...

    def fit(self, catalog: Catalog) -> None:
        """Learn whatever the extractor needs (from train items only)."""
        ...

    def transform(self, catalog: Catalog, indices: np.ndarray) -> np.ndarray:
        """`(len(indices), dim)` float32 features."""
        ...


def feature_cache_path(catalog: Catalog, extractor: FeatureExtractor) -> Path | None:
    folder = catalog.meta.get("cache_dir")
    return Path(folder) / f"features-{extractor.key()}.npy" if folder else None


def extract_features(catalog: Catalog, extractor: FeatureExtractor, cache: bool = True,
                     progress: bool = True) -> np.ndarray:
    """Features of every catalog item, `(N, extractor.dim)` float32, cached on disk."""
    path = feature_cache_path(catalog, extractor) if cache else None
    # Features are valid for one catalog's contents: a rebuilt or edited catalog (another
    # content hash) invalidates them.
    source = {"catalog": catalog.name, "content_hash": catalog.meta.get("content_hash")}
    if path is not None and path.exists():
        try:
            feats = load_npy(path, derived_from=source)
        except CacheMismatch as e:
            warnings.warn(f"{e}; computing the features again", stacklevel=2)
        else:
            if feats.shape != (len(catalog), extractor.dim) or feats.dtype != np.float32:
                raise ValueError(f"{path}: cached features have shape {feats.shape} "
                                 f"{feats.dtype}, expected ({len(catalog)}, {extractor.dim}) "
                                 f"float32; delete it")
            return feats
    extractor.fit(catalog)
    n = len(catalog)
    feats = np.empty((n, extractor.dim), dtype=np.float32)
    for lo in tqdm(range(0, n, CHUNK), desc=f"features {extractor.name}", unit="chunk",
                   disable=not progress):
        idx = np.arange(lo, min(n, lo + CHUNK))
        block = extractor.transform(catalog, idx)
        if block.shape != (len(idx), extractor.dim):
            raise ValueError(f"extractor {extractor.name!r} returned shape {block.shape} for "
                             f"{len(idx)} items, expected ({len(idx)}, {extractor.dim})")
        if not np.isfinite(block).all():
            raise ValueError(f"extractor {extractor.name!r} produced non-finite features for "
                             f"items {lo}..{lo + len(idx) - 1}")
        feats[lo:lo + len(idx)] = block
    if path is not None:
        atomic_save_npy(path, feats, derived_from=source)
    return feats
