"""`attributes`: the multi-hot attribute vector (debugging, upper bounds, and the
attribute half of the environment's item space)."""

from __future__ import annotations

import numpy as np

from dialog_env.catalog.catalog import Catalog


class AttributeFeatures:
    name = "attributes"

    def __init__(self, vocab_size: int):
        self._dim = vocab_size

    @property
    def dim(self) -> int:
        return self._dim

    def key(self) -> str:
        return f"attributes-v{self._dim}"

    def fit(self, catalog: Catalog) -> None:
        if len(catalog.vocab) != self._dim:
            raise ValueError(f"attributes: extractor built for {self._dim} values, catalog "
                             f"{catalog.name!r} has {len(catalog.vocab)}")

    def transform(self, catalog: Catalog, indices: np.ndarray) -> np.ndarray:
        return catalog.attributes[indices].astype(np.float32)
