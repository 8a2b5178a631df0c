"""Catalogs: the `Catalog` type, the embedded synthetic generator and its renderer."""

from dialog_env.catalog.catalog import AttributeVocab, Catalog
from dialog_env.catalog.gallery import save_gallery
from dialog_env.catalog.schema import ATTRIBUTE_TYPES, CATEGORIES, SPLITS
from dialog_env.catalog.store import load_synthetic

__all__ = ["ATTRIBUTE_TYPES", "CATEGORIES", "SPLITS", "AttributeVocab", "Catalog",
           "load_synthetic", "save_gallery"]
