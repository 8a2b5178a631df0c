"""`DialogWorld`: everything the dialogs of one configuration share — catalog, item space,
retrieval database, simulator — wired in one factory (RecSim-style components).

Building a world is the expensive part (catalog, features, index); `make_world` caches
worlds per process by their configuration, so `gym.make` many times is cheap.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SPLITS
from dialog_env.catalog.store import load_synthetic
from dialog_env.database import RetrievalDB
from dialog_env.item_space import ItemSpace, build_item_space
from simulators.template import SimulatorWorld, TemplateConfig


@dataclass(frozen=True)
class WorldConfig:
    """What defines a world (and its cache key)."""

    n_items: int = 10_000
    catalog_seed: int = 0
    image_size: int = 64
    visual: str = "pixels"
    visual_dim: int = 128
    attribute_weight: float = 1.0
    metric: str = "ip"
    index: str = "flat"
    simulator: TemplateConfig = field(default_factory=TemplateConfig)


class CategoryPools:
    """Items grouped by category (ascending within each group), for drawing a first
    candidate of the target's category without the target. A category with a single item
    draws from all items instead."""

    def __init__(self, catalog: Catalog):
        own = [catalog.indices(category=c) for c in catalog.categories]
        self.groups = [g if len(g) > 1 else np.arange(len(catalog)) for g in own]
        self.flat = np.concatenate(self.groups)
        self.size = np.array([len(g) for g in self.groups])
        self.start = np.cumsum(self.size) - self.size
        self.pos = np.zeros(len(catalog), dtype=np.int64)  # each item's position in its group
        for items, group in zip(own, self.groups):
            self.pos[items] = np.searchsorted(group, items)


class DialogWorld:
    """Catalog + item space + database + simulator world, shared by all dialogs."""

    def __init__(self, catalog: Catalog, space: ItemSpace, db: RetrievalDB,
                 simulator: SimulatorWorld, config: WorldConfig | None = None):
        if db.n != len(catalog):
            raise ValueError(f"database has {db.n} items, catalog {len(catalog)}")
        self.catalog, self.space, self.db, self.simulator = catalog, space, db, simulator
        self.config = config
        self.split_items = {s: catalog.indices(s) for s in SPLITS}
        self.split_by_category = {
            s: [catalog.indices(s, c) for c in catalog.categories] for s in SPLITS}
        self.visual = space.visual
        self.attributes = space.attributes

    @functools.cached_property
    def category_pools(self) -> CategoryPools:
        return CategoryPools(self.catalog)

    @property
    def n_items(self) -> int:
        return self.db.n

    @property
    def dim(self) -> int:
        return self.db.dim

    def describe(self) -> dict:
        return {"catalog": self.catalog.name, "items": self.n_items, "item_dim": self.dim,
                "visual": self.space.visual_name, "visual_dim": self.space.visual_dim,
                "attributes": len(self.catalog.vocab), "metric": self.db.metric,
                "index": self.db.kind,
                "config": None if self.config is None else _plain(asdict(self.config))}


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return [_plain(v) for v in x]
    return x


def build_world(catalog: Catalog, config: WorldConfig | None = None,
                predicted_attributes: np.ndarray | None = None,
                progress: bool = True) -> DialogWorld:
    """A world over a given catalog (synthetic or real)."""
    config = config or WorldConfig()
    space = build_item_space(catalog, config.visual, config.visual_dim,
                             attributes=predicted_attributes,
                             attribute_weight=config.attribute_weight, progress=progress)
    db = RetrievalDB(space.matrix, metric=config.metric, index=config.index)
    sim = SimulatorWorld(catalog, config.simulator, attributes=predicted_attributes)
    return DialogWorld(catalog, space, db, sim, config)


@functools.lru_cache(maxsize=8)
def make_world(config: WorldConfig = WorldConfig(), progress: bool = True) -> DialogWorld:
    """The world of the embedded synthetic catalog for `config` (cached per process)."""
    catalog = load_synthetic(config.n_items, config.catalog_seed, config.image_size,
                             progress=progress)
    return build_world(catalog, config, progress=progress)
