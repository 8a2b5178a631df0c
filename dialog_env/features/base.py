"""Feature extractors and the on-disk feature cache.

An extractor turns catalog items into float32 vectors. `extract_features` streams the
catalog through it in chunks (bounded memory, progress bar) and caches the result next to
the catalog as `features-<extractor key>.npy` (with a checksum that also records the
catalog's content hash); the second call verifies and loads it without recomputing. The
computation runs under the feature file's `cache_lock` (checked again under it): processes
extracting the same features at once compute them once. An extractor's `fit` may take the
lock of what it trains (AttrNet's weights) inside it — that order, never the reverse.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from dialog_env.cache import CacheMismatch, atomic_save_npy, cache_lock, load_npy
from dialog_env.catalog.catalog import Catalog
from dialog_env.features import shipped

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


def feature_file(folder: str | Path, key: str) -> Path:
    """Where the features of extractor key `key` are cached in a catalog's folder."""
    return Path(folder) / f"features-{key}.npy"


def feature_cache_path(catalog: Catalog, extractor: FeatureExtractor) -> Path | None:
    folder = catalog.meta.get("cache_dir")
    return feature_file(folder, extractor.key()) if folder else None


def _load_cached(path: Path, source: dict, n: int, dim: int, quiet: bool) -> np.ndarray | None:
    """The cached features when they verify against `source`, else None (with a warning
    unless `quiet`: the look without the lock, while another process may be writing)."""
    if not path.exists():
        return None
    try:
        feats = load_npy(path, derived_from=source)
    except CacheMismatch as e:
        if not quiet:
            warnings.warn(f"{e}; computing the features again", stacklevel=3)
        return None
    if feats.shape != (n, dim) or feats.dtype != np.float32:
        raise ValueError(f"{path}: cached features have shape {feats.shape} {feats.dtype}, "
                         f"expected ({n}, {dim}) float32; delete it")
    return feats


def _compute(catalog: Catalog, extractor: FeatureExtractor, progress: bool) -> np.ndarray:
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
    return feats


def extract_features(catalog: Catalog, extractor: FeatureExtractor, cache: bool = True,
                     progress: bool = True) -> np.ndarray:
    """Features of every catalog item, `(N, extractor.dim)` float32, cached on disk."""
    path = feature_cache_path(catalog, extractor) if cache else None
    if path is None:
        return _compute(catalog, extractor, progress)
    # Features are valid for one catalog's contents: a rebuilt or edited catalog (another
    # content hash) invalidates them.
    source = {"catalog": catalog.name, "content_hash": catalog.meta.get("content_hash")}
    n, dim = len(catalog), extractor.dim
    feats = _load_cached(path, source, n, dim, quiet=True)
    if feats is not None:
        return feats
    with cache_lock(path, what=f"the {extractor.name} features of {catalog.name}"):
        feats = _load_cached(path, source, n, dim, quiet=False)
        if feats is None and shipped.install(catalog, path, extractor.key()):
            feats = _load_cached(path, source, n, dim, quiet=False)
        if feats is None:
            # Extractors read every image (AttrNet for several epochs): render a synthetic
            # catalog's images into its cache at once (a process pool) rather than on access.
            ensure = getattr(catalog.images, "ensure_cached", None)
            if ensure is not None:
                ensure(progress)
            feats = _compute(catalog, extractor, progress)
            atomic_save_npy(path, feats, derived_from=source)
    return feats
