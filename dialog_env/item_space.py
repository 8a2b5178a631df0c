"""The environment's item space: `z_i = [visual features ; w * attribute features]`, and the
three perceptions a world can have (`ItemSpaceConfig.perception`).

As in Fashion IQ's candidate generator (`d(x) = W[x, phi(x)]`), the database ranks items
in the concatenation of a visual feature and an attribute vector, so a linear query can
weigh attributes. What fills the two halves is the world's perception, and it is also
exactly what the agent observes of a shown item (`candidate_features`,
`candidate_attributes`):

    attrnet       x = AttrNet's image embedding (centred, L2-normalised), attributes = phi(x), its
                  predicted probabilities; ground truth is never shown to the agent
    ground_truth  x = PCA pixel features, attributes = the catalog's true multi-hot vector
    pixels        x = PCA pixel features, attributes = zeros (nothing but the image)
    clip          x = CLIP image embeddings from a local model (`clip_model`), as CLIP gives
                  them (L2-normalised, not centred: the item space is CLIP's own joint space,
                  so a query made of CLIP text embeddings ranks items as CLIP does),
                  attributes = zeros (nothing but the image, as `pixels`: on a real catalog
                  the attribute tags are what the shopper speaks from, so the agent is not
                  shown them; AttrNet's predicted tags are the `attrnet` perception)

Every perception but `ground_truth` reads the images; `attrnet` needs attribute values to
learn (Shoes has no tags: use `clip` or `pixels` there). CLIP features are cached with the
catalog (`experiments/extract_features.py` writes the same cache).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.features import FeatureExtractor, extract_features, make_extractor
from dialog_env.features.attrnet import AttrNetConfig, AttrNetFeatures, split_features


@dataclass
class ItemSpace:
    visual: np.ndarray  # (N, Dv) float32, what the agent sees as candidate_features
    attributes: np.ndarray  # (N, V) float32, what the agent sees as candidate_attributes
    attribute_weight: float
    visual_name: str
    perception: str = "custom"
    features_key: str | None = None
    """The key of the feature extractor the features came from (`FeatureExtractor.key()`,
    what the feature cache is named by); None for features given by hand."""

    @functools.cached_property
    def matrix(self) -> np.ndarray:
        """(N, Dv + V) float32 item matrix of the retrieval database."""
        return np.concatenate([self.visual, self.attribute_weight * self.attributes],
                              axis=1).astype(np.float32, copy=False)

    @property
    def visual_dim(self) -> int:
        return self.visual.shape[1]

    @property
    def dim(self) -> int:
        return self.visual.shape[1] + self.attributes.shape[1]


PERCEPTIONS = ("attrnet", "ground_truth", "pixels", "clip")


def perception_extractor(catalog: Catalog, perception: str, visual_dim: int = 128,
                         attrnet: AttrNetConfig | None = None, cache: bool = True,
                         progress: bool = True, clip_model: str | None = None
                         ) -> FeatureExtractor:
    """The feature extractor behind `perception`: AttrNet for `attrnet`, pixel PCA of
    `visual_dim` components for `ground_truth` and `pixels`, CLIP from the local model
    directory `clip_model` for `clip`."""
    if perception == "attrnet":
        if len(catalog.vocab) == 0:
            raise ValueError(f"perception 'attrnet' learns the catalog's attributes, and "
                             f"catalog {catalog.name!r} has none (Shoes has no attribute "
                             f"tags); use perception 'clip' or 'pixels'")
        return AttrNetFeatures(len(catalog.vocab), attrnet or AttrNetConfig(), cache=cache,
                               progress=progress)
    if perception == "clip":
        if clip_model is None:
            raise ValueError("perception 'clip' needs clip_model: a local CLIP model "
                             "directory written by save_pretrained")
        return make_extractor("clip", catalog, model_dir=clip_model, device=_device())
    if perception not in PERCEPTIONS:
        raise ValueError(f"unknown perception {perception!r}; expected one of {PERCEPTIONS}")
    return make_extractor("pixels", catalog, dim=visual_dim)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def build_item_space(catalog: Catalog, perception: str = "ground_truth",
                     visual_dim: int = 128, attribute_weight: float = 1.0,
                     attrnet: AttrNetConfig | None = None, cache: bool = True,
                     progress: bool = True, clip_model: str | None = None) -> ItemSpace:
    """The item space of `perception` over `catalog` (features cached on disk)."""
    extractor = perception_extractor(catalog, perception, visual_dim, attrnet, cache, progress,
                                     clip_model)
    feats = extract_features(catalog, extractor, cache=cache, progress=progress)
    if perception == "attrnet":
        x, phi = split_features(feats, extractor.config)
        # Centred on the train items' mean and L2-normalised, like the pixel features: the
        # embedding is a ReLU output (all non-negative), so uncentred every item would be
        # close to every other under the inner product.
        x = x - x[catalog.indices("train")].mean(axis=0)
        x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-8)
        return ItemSpace(x.astype(np.float32), np.ascontiguousarray(phi, dtype=np.float32),
                         attribute_weight, "attrnet", perception, extractor.key())
    if perception == "ground_truth":
        att = catalog.attributes.astype(np.float32)
    else:  # pixels, clip: nothing but the image
        att = np.zeros(catalog.attributes.shape, dtype=np.float32)
    return ItemSpace(feats, att, attribute_weight, extractor.name, perception, extractor.key())
