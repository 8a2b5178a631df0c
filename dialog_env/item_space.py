"""The environment's item space: `z_i = [visual features ; w * attribute features]`.

As in Fashion IQ's candidate generator (`d(x) = W[x, phi(x)]`), the database ranks items
in the concatenation of a visual feature and the attribute vector, so a linear query can
weigh attributes. The attribute half is what the agent may see (ground truth by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.features import extract_features, make_extractor


@dataclass
class ItemSpace:
    visual: np.ndarray  # (N, Dv) float32
    attributes: np.ndarray  # (N, V) float32, what the agent sees
    attribute_weight: float
    visual_name: str

    @property
    def matrix(self) -> np.ndarray:
        """(N, Dv + V) float32 item matrix of the retrieval database."""
        return np.concatenate([self.visual, self.attribute_weight * self.attributes], axis=1)

    @property
    def visual_dim(self) -> int:
        return self.visual.shape[1]

    @property
    def dim(self) -> int:
        return self.visual.shape[1] + self.attributes.shape[1]


def build_item_space(catalog: Catalog, visual: str = "pixels", visual_dim: int = 128,
                     attributes: np.ndarray | None = None, attribute_weight: float = 1.0,
                     cache: bool = True, progress: bool = True) -> ItemSpace:
    """Visual features (cached) + attribute vectors (ground truth unless `attributes`, e.g.
    an attribute predictor's outputs, is given) of every item."""
    kwargs = {"dim": visual_dim} if visual == "pixels" else {}
    vis = extract_features(catalog, make_extractor(visual, catalog, **kwargs), cache=cache,
                           progress=progress)
    att = catalog.attributes.astype(np.float32) if attributes is None else \
        np.asarray(attributes, dtype=np.float32)
    if att.shape != catalog.attributes.shape:
        raise ValueError(f"attributes must have shape {catalog.attributes.shape} (items x "
                         f"vocabulary), got {att.shape}")
    return ItemSpace(vis, att, attribute_weight, visual)
