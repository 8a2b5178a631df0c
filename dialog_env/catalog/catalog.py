"""The `Catalog` type shared by the synthetic generator and the real dataset loaders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dialog_env.catalog.schema import SPLITS


class ImageSource(Protocol):
    """Random access to a catalog's RGB images."""

    image_size: int

    def __call__(self, indices: np.ndarray) -> np.ndarray:
        """Images of `indices` as uint8 `(n, H, W, 3)`."""
        ...


@dataclass(frozen=True)
class AttributeVocab:
    """Attribute values (unique names) grouped by attribute type, with the slot each
    value comes from. Column `j` of `Catalog.attributes` is value `names[j]`."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    slots: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (len(self.names) == len(self.types) == len(self.slots)):
            raise ValueError(
                f"AttributeVocab: names ({len(self.names)}), types ({len(self.types)}) and "
                f"slots ({len(self.slots)}) must have the same length")
        index = {n: i for i, n in enumerate(self.names)}
        if len(index) != len(self.names):
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            raise ValueError(f"AttributeVocab: duplicate value names {dup}")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        """Whether `name` is one of the values."""
        return name in self._index

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"unknown attribute value {name!r}") from None

    def indices_of_type(self, type_: str) -> np.ndarray:
        return np.array([i for i, t in enumerate(self.types) if t == type_], dtype=np.int64)

    def indices_of_slot(self, slot: str) -> np.ndarray:
        return np.array([i for i, s in enumerate(self.slots) if s == slot], dtype=np.int64)


@dataclass
class Catalog:
    """Items with category, split, multi-hot attributes, ordinal levels, titles and images.

    Arrays (N = number of items, V = vocabulary size, O = number of ordinal attributes):
      category   (N,) int8   index into `categories`
      split      (N,) int8   0 train, 1 val, 2 test
      attributes (N, V) bool multi-hot over `vocab`
      ordinal    (N, O) int8 level of each ordinal attribute, -1 where it does not apply
    `ordinal_levels[o][category]` names the levels of ordinal `o` for that category.
    """

    name: str
    item_ids: Sequence[str]
    categories: tuple[str, ...]
    category: np.ndarray
    split: np.ndarray
    vocab: AttributeVocab
    attributes: np.ndarray
    ordinal_names: tuple[str, ...]
    ordinal_levels: tuple[dict[str, tuple[str, ...]], ...]
    ordinal: np.ndarray
    titles: Sequence[str]
    images: ImageSource
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.category)
        checks = {
            "item_ids": (len(self.item_ids),), "split": self.split.shape,
            "attributes": self.attributes.shape[:1], "ordinal": self.ordinal.shape[:1],
            "titles": (len(self.titles),),
        }
        for name, shape in checks.items():
            if shape[0] != n:
                raise ValueError(f"Catalog {self.name!r}: field {name!r} has {shape[0]} rows, "
                                 f"expected {n} (one per item)")
        if self.attributes.shape[1:] != (len(self.vocab),):
            raise ValueError(f"Catalog {self.name!r}: attributes shape {self.attributes.shape}"
                             f" does not match vocabulary size {len(self.vocab)}")
        if self.ordinal.shape[1:] != (len(self.ordinal_names),):
            raise ValueError(f"Catalog {self.name!r}: ordinal shape {self.ordinal.shape} does "
                             f"not match {len(self.ordinal_names)} ordinal attributes")
        if n and (self.category.min() < 0 or self.category.max() >= len(self.categories)):
            raise ValueError(f"Catalog {self.name!r}: category codes outside "
                             f"0..{len(self.categories) - 1}")
        if n and (self.split.min() < 0 or self.split.max() >= len(SPLITS)):
            raise ValueError(f"Catalog {self.name!r}: split codes outside 0..{len(SPLITS) - 1}")

    def __len__(self) -> int:
        return len(self.category)

    def indices(self, split: str | None = None, category: str | None = None) -> np.ndarray:
        """Item indices of a split and/or category (all items when both are None)."""
        mask = np.ones(len(self), dtype=bool)
        if split is not None:
            if split not in SPLITS:
                raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
            mask &= self.split == SPLITS.index(split)
        if category is not None:
            if category not in self.categories:
                raise ValueError(f"unknown category {category!r}; expected one of "
                                 f"{self.categories}")
            mask &= self.category == self.categories.index(category)
        return np.flatnonzero(mask)

    def attribute_names(self, i: int) -> list[str]:
        """Names of the attribute values item `i` has."""
        return [self.vocab.names[j] for j in np.flatnonzero(self.attributes[i])]

    def statistics(self) -> dict:
        """Counts per split, category and attribute value; ordinal level histograms."""
        counts = self.attributes.sum(0)
        return {
            "items": len(self),
            "splits": {s: int((self.split == k).sum()) for k, s in enumerate(SPLITS)},
            "categories": {c: int((self.category == k).sum())
                           for k, c in enumerate(self.categories)},
            "attribute_values": len(self.vocab),
            "attribute_types": {t: int(len(self.vocab.indices_of_type(t)))
                                for t in dict.fromkeys(self.vocab.types)},
            "value_counts": {n: int(c) for n, c in zip(self.vocab.names, counts)},
            "mean_attributes_per_item": float(self.attributes.sum(1).mean()) if len(self) else 0.0,
        }
