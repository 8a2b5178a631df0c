"""Feature extractors behind one interface, and the on-disk feature cache."""

from __future__ import annotations

from dialog_env.catalog.catalog import Catalog
from dialog_env.features.attributes import AttributeFeatures
from dialog_env.features.attrnet import AttrNetConfig, AttrNetFeatures
from dialog_env.features.base import FeatureExtractor, extract_features, feature_cache_path
from dialog_env.features.pixels import PixelPCA

EXTRACTORS = ("pixels", "attributes", "attrnet", "clip")


def make_extractor(name: str, catalog: Catalog, **kwargs) -> FeatureExtractor:
    """Extractor by name: `pixels` (PCA of downsampled pixels), `attributes`, or `attrnet`
    (a learned attribute network, `[x ; phi(x)]`; needs torch; kwargs go to
    `AttrNetConfig`), or `clip` (CLIP image embeddings from a local model directory:
    `model_dir=...`; needs the `text` extra)."""
    if name == "pixels":
        return PixelPCA(**kwargs)
    if name == "attributes":
        return AttributeFeatures(len(catalog.vocab))
    if name == "attrnet":
        return AttrNetFeatures(len(catalog.vocab), AttrNetConfig(**kwargs))
    if name == "clip":
        from dialog_env.features.clip import CLIPFeatures

        return CLIPFeatures(**kwargs)
    raise ValueError(f"unknown feature extractor {name!r}; expected one of {EXTRACTORS}")


__all__ = ["EXTRACTORS", "AttrNetConfig", "AttrNetFeatures", "AttributeFeatures",
           "FeatureExtractor", "PixelPCA", "extract_features", "feature_cache_path",
           "make_extractor"]
