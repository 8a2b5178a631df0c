"""Feature extractors behind one interface, and the on-disk feature cache."""

from __future__ import annotations

from dialog_env.catalog.catalog import Catalog
from dialog_env.features.attributes import AttributeFeatures
from dialog_env.features.base import FeatureExtractor, extract_features, feature_cache_path
from dialog_env.features.pixels import PixelPCA

EXTRACTORS = ("pixels", "attributes")


def make_extractor(name: str, catalog: Catalog, **kwargs) -> FeatureExtractor:
    """Extractor by name: `pixels` (PCA of downsampled pixels) or `attributes`."""
    if name == "pixels":
        return PixelPCA(**kwargs)
    if name == "attributes":
        return AttributeFeatures(len(catalog.vocab))
    raise ValueError(f"unknown feature extractor {name!r}; expected one of {EXTRACTORS}")


__all__ = ["EXTRACTORS", "AttributeFeatures", "FeatureExtractor", "PixelPCA",
           "extract_features", "feature_cache_path", "make_extractor"]
