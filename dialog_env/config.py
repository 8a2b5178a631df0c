"""`EnvConfig`: one nested configuration of FashionDialog — catalog, item space, database,
shopper, episode and reward — that `gym.make` keyword arguments, `make_vec`, the learners
and every experiment script build (scripts expose it as `--env.<group>.<field>` through
tyro).

    EnvConfig(catalog=CatalogConfig(n_items=2000), items=ItemSpaceConfig(perception="pixels"))
    env_config(n_items=2000, perception="pixels")   # the same, from flat keyword names

Every group checks its values when built (`__post_init__`): a setting that means nothing
(`max_tokens=0`, `visual_dim=-1`, a NaN weight, an unknown name, a float where an integer
belongs) raises `ValueError`/`TypeError` naming the setting and the value. Numeric values
are stored as plain Python numbers.

The first four groups define a *world* (built once and cached: catalog, features, index,
shopper); `episode` and `reward` define the dialogs run in it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialog_env.catalog.datasets import DATASETS
from dialog_env.catalog.real import IMAGE_MODES
from dialog_env.catalog.render import MAX_IMAGE_SIZE
from dialog_env.catalog.schema import SPLITS
from dialog_env.checks import as_bool, as_int, as_real, one_of
from dialog_env.database import INDEX_KINDS, METRICS
from dialog_env.features.attrnet import AttrNetConfig
from dialog_env.item_space import PERCEPTIONS
from dialog_env.rewards import RewardConfig
from simulators.config import ShopperConfig, with_template

CATALOGS = ("synthetic", *DATASETS)


@dataclass(frozen=True)
class CatalogConfig:
    """The catalog: the embedded synthetic one (default) or a public dataset on disk."""

    n_items: int = 10_000
    """Number of catalog items (synthetic catalog)."""
    seed: int = 0
    """Catalog seed: which items are generated (synthetic catalog)."""
    image_size: int = 64
    """Image size in pixels (8..224): rendered (synthetic) or read from disk and resized
    (datasets; features are cached per image size, so use the size given to
    experiments/extract_features.py to load its cache)."""
    dataset: str = "synthetic"
    """synthetic (embedded), or a public dataset under `root`: fashioniq, shoes,
    multiturn-fashioniq or multiturn-shoes (the Shoes catalog); see
    dialog_env.catalog.datasets."""
    root: str | None = None
    """The dataset's folder, as published (datasets only)."""
    images: str = "required"
    """Dataset items whose image is missing: required (left out, reported) or optional
    (kept, reported: for caption-only work with the loaders; every perception reads the
    images, so a world over such a catalog stops at the first missing one, naming it)."""

    def __post_init__(self) -> None:
        _set(self, "n_items", as_int(self.n_items, "n_items", lo=1))
        _set(self, "seed", as_int(self.seed, "catalog_seed", lo=0))
        _set(self, "image_size", as_int(self.image_size, "image_size", 8, MAX_IMAGE_SIZE))
        one_of(self.dataset, "dataset", CATALOGS)
        one_of(self.images, "images", IMAGE_MODES)
        if self.dataset == "synthetic":
            if self.root is not None:
                raise ValueError(f"root={self.root!r} applies to a dataset on disk; the "
                                 f"synthetic catalog has none (set dataset= to one of "
                                 f"{DATASETS})")
            return
        if self.root is None:
            raise ValueError(f"dataset={self.dataset!r} needs root=: the folder holding the "
                             f"dataset's files as published")
        if not isinstance(self.root, (str, os.PathLike)):
            raise TypeError(f"root must be a path, got {type(self.root).__name__} "
                            f"{self.root!r}")
        if not Path(self.root).is_dir():
            raise ValueError(f"root={str(self.root)!r} (dataset {self.dataset!r}) is not a "
                             f"directory")
        _set(self, "root", str(Path(self.root).resolve()))


@dataclass(frozen=True)
class ItemSpaceConfig:
    """How items are perceived: what the agent observes of a shown item and the retrieval
    item space `z_i = [visual features ; w * attributes]` the database ranks in."""

    perception: str = "attrnet"
    """attrnet: the learned attribute network (Fashion IQ appendix A) — visual features are
    its image embedding `x` (L2-normalised), attributes its predicted probabilities
    `phi(x)`; the agent never sees ground truth. ground_truth: PCA pixel features and the
    catalog's true attributes (perfect perception). pixels: PCA pixel features only, no
    attributes (the attribute half is zero). clip: CLIP image embeddings from
    `clip_model`, no attributes (see dialog_env.item_space)."""
    visual_dim: int = 128
    """Dimension of the PCA pixel features (ground_truth and pixels perception)."""
    attribute_weight: float = 1.0
    """Weight w of the attribute half of the item vectors (0: visual features only)."""
    attrnet: AttrNetConfig = field(default_factory=AttrNetConfig)
    """The attribute network (attrnet perception): trained once per catalog, cached."""
    clip_model: str | None = None
    """clip perception: a local CLIP model directory (written by save_pretrained; nothing
    is downloaded)."""

    def __post_init__(self) -> None:
        one_of(self.perception, "perception", PERCEPTIONS)
        if self.perception == "clip":
            if self.clip_model is None:
                raise ValueError("perception='clip' needs clip_model=: a local CLIP model "
                                 "directory (written by save_pretrained)")
            if not (Path(self.clip_model) / "config.json").is_file():
                raise ValueError(f"clip_model={str(self.clip_model)!r} is not a CLIP model "
                                 f"directory (no config.json; nothing is downloaded)")
            _set(self, "clip_model", str(Path(self.clip_model).resolve()))
        elif self.clip_model is not None:
            raise ValueError(f"clip_model={self.clip_model!r} applies to perception 'clip', "
                             f"not {self.perception!r}")
        _set(self, "visual_dim", as_int(self.visual_dim, "visual_dim", lo=1))
        _set(self, "attribute_weight", as_real(self.attribute_weight, "attribute_weight",
                                               lo=0.0))
        if not isinstance(self.attrnet, AttrNetConfig):
            raise TypeError(f"items.attrnet must be an AttrNetConfig, got "
                            f"{type(self.attrnet).__name__} {self.attrnet!r}")


@dataclass(frozen=True)
class DatabaseConfig:
    """How the retrieval database scores and indexes items."""

    metric: str = "ip"
    """Scoring: ip (inner product) or cosine."""
    index: str = "flat"
    """faiss index kind (exact ranks are always computed by brute force)."""

    def __post_init__(self) -> None:
        one_of(self.metric, "metric", METRICS)
        one_of(self.index, "index kind", INDEX_KINDS)


INFO_MODES = ("numeric", "full")  # or None: no infos
OBSERVATIONS = ("dict", "flat")
FLAT_TEXTS = ("bow", "hashed", "embedding")  # the caption part of observation="flat"
HASHED_WIDTH = 256  # flat_text="hashed" without hashed_width


@dataclass(frozen=True)
class EpisodeConfig:
    """One dialog: which targets, how long, what the agent observes."""

    split: str = "train"
    """Split the targets are drawn from: train, val or test."""
    max_turns: int = 10
    """Turn budget (truncation)."""
    exclude_shown: bool = True
    """Never show an item twice (ranks count unshown items only)."""
    max_tokens: int = 24
    """Width of the `feedback` token-id observation."""
    feedback_embedding: bool = False
    """Add the all-MiniLM-L6-v2 embedding of the caption (needs the `text` extra)."""
    info: str | None = "numeric"
    """What `info` holds: numeric (numpy scalars: target_rank, rank_percentile, success,
    turn, candidate), full (also text, mode, mentions, candidate_id) or None (nothing)."""
    observation: str = "dict"
    """Observation layout: dict (a Dict of Boxes) or flat (one float32 Box for MLPs)."""
    flat_text: str | None = None
    """The caption part of observation=flat: bow (bag-of-words counts, vocab - 1 wide),
    hashed (signed hashed bag of words, hashed_width wide) or embedding (the 384-d
    sentence embedding; needs the `text` extra). None: embedding with
    feedback_embedding=True, else bow. The dict layout ignores it."""
    hashed_width: int | None = None
    """Width of flat_text=hashed (default 256); only with flat_text=hashed."""

    def __post_init__(self) -> None:
        one_of(self.split, "split", SPLITS)
        _set(self, "max_turns", as_int(self.max_turns, "max_turns", lo=1))
        _set(self, "exclude_shown", as_bool(self.exclude_shown, "exclude_shown"))
        _set(self, "max_tokens", as_int(self.max_tokens, "max_tokens", lo=1))
        _set(self, "feedback_embedding", as_bool(self.feedback_embedding,
                                                 "feedback_embedding"))
        if self.info is not None:
            one_of(self.info, "info", INFO_MODES)
        one_of(self.observation, "observation", OBSERVATIONS)
        if self.flat_text is not None:
            one_of(self.flat_text, "flat_text", FLAT_TEXTS)
        if self.hashed_width is not None:
            _set(self, "hashed_width", as_int(self.hashed_width, "hashed_width", lo=1))
            if self.flat_text != "hashed":
                raise ValueError(f"hashed_width={self.hashed_width!r} is the width of "
                                 f"flat_text='hashed'; this episode's flat_text is "
                                 f"{self.flat_text!r}")
        if (self.observation == "flat" and self.feedback_embedding
                and self.flat_text in ("bow", "hashed")):
            raise ValueError(f"feedback_embedding=True puts the sentence embedding in the "
                             f"flat observation, where flat_text={self.flat_text!r} puts "
                             f"the {self.flat_text} vector; give flat_text='embedding' or "
                             f"drop feedback_embedding")

    @property
    def flat_caption(self) -> str:
        """What the caption part of the flat observation is: bow, hashed or embedding."""
        if self.flat_text is not None:
            return self.flat_text
        return "embedding" if self.feedback_embedding else "bow"

    @property
    def embeds_text(self) -> bool:
        """Whether the core computes the caption's sentence embedding (for the
        `feedback_embedding` observation or the flat layout's text part)."""
        return self.feedback_embedding or (self.observation == "flat"
                                           and self.flat_caption == "embedding")


@dataclass(frozen=True)
class EnvConfig:
    """Everything that defines a FashionDialog environment."""

    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    items: ItemSpaceConfig = field(default_factory=ItemSpaceConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    shopper: ShopperConfig = field(default_factory=ShopperConfig)
    episode: EpisodeConfig = field(default_factory=EpisodeConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)

    def __post_init__(self) -> None:
        for name, kind in (("catalog", CatalogConfig), ("items", ItemSpaceConfig),
                           ("database", DatabaseConfig), ("shopper", ShopperConfig),
                           ("episode", EpisodeConfig), ("reward", RewardConfig)):
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"EnvConfig.{name} must be {kind.__name__}, got "
                                f"{type(getattr(self, name)).__name__} "
                                f"{getattr(self, name)!r}")

    def to_dict(self) -> dict:
        """Plain JSON-serialisable values (what results files record)."""
        return to_plain(dataclasses.asdict(self))


def _set(config: Any, name: str, value: Any) -> None:
    """Store a checked value in a frozen dataclass (`__post_init__` only)."""
    object.__setattr__(config, name, value)


def to_plain(x: Any) -> Any:
    """Dicts/lists/tuples of plain values, recursively (tuples become lists)."""
    if isinstance(x, dict):
        return {str(k): to_plain(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return [to_plain(v) for v in x]
    return x


# Flat keyword names accepted by `gym.make` / `env_config`, and where each one lives.
FLAT_NAMES: dict[str, tuple[str, str]] = {
    "n_items": ("catalog", "n_items"), "catalog_seed": ("catalog", "seed"),
    "image_size": ("catalog", "image_size"), "dataset": ("catalog", "dataset"),
    "root": ("catalog", "root"), "images": ("catalog", "images"),
    "perception": ("items", "perception"), "visual_dim": ("items", "visual_dim"),
    "clip_model": ("items", "clip_model"),
    "attribute_weight": ("items", "attribute_weight"),
    "metric": ("database", "metric"), "index": ("database", "index"),
    "split": ("episode", "split"), "max_turns": ("episode", "max_turns"),
    "exclude_shown": ("episode", "exclude_shown"), "max_tokens": ("episode", "max_tokens"),
    "feedback_embedding": ("episode", "feedback_embedding"),
    "info": ("episode", "info"), "observation": ("episode", "observation"),
    "flat_text": ("episode", "flat_text"), "hashed_width": ("episode", "hashed_width"),
    "reward": ("reward", "kind"), "success_bonus": ("reward", "success_bonus"),
}


def env_config(config: EnvConfig | None = None, *, shopper: str | ShopperConfig | None = None,
               template: Any = None, lexicon: str | None = None,
               **flat: Any) -> EnvConfig:
    """`config` (default `EnvConfig()`) with flat keyword overrides (`FLAT_NAMES`), a shopper
    name or `ShopperConfig`, the template shopper's settings (its config object or a dict
    of its fields) and its `lexicon`. Unknown names raise `TypeError` naming them."""
    config = config or EnvConfig()
    unknown = sorted(set(flat) - set(FLAT_NAMES))
    if unknown:  # Python's wording, which wrappers (TorchRL's GymEnv) recognise
        said = (f"an unexpected keyword argument {unknown[0]!r}" if len(unknown) == 1 else
                f"unexpected keyword arguments {unknown}")
        raise TypeError(f"FashionDialog got {said}; expected any of "
                        f"{sorted(FLAT_NAMES)} or config, world, shopper, template, lexicon, "
                        f"render_mode")
    groups: dict[str, dict[str, Any]] = {}
    for name, value in flat.items():
        group, key = FLAT_NAMES[name]
        groups.setdefault(group, {})[key] = value
    changes = {g: dataclasses.replace(getattr(config, g), **kv) for g, kv in groups.items()}
    sh = changes.get("shopper", config.shopper)
    if isinstance(shopper, ShopperConfig):
        sh = shopper
    elif isinstance(shopper, str):
        sh = dataclasses.replace(sh, name=shopper)
    elif shopper is not None:
        raise TypeError(f"shopper must be a name, a ShopperConfig or a Shopper instance, got "
                        f"{type(shopper).__name__}")
    changes["shopper"] = with_template(sh, template, lexicon)
    return dataclasses.replace(config, **changes)
