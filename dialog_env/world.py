"""`DialogWorld`: everything the dialogs of one configuration share — catalog, item space,
retrieval database, shopper and episode source (RecSim-style components;
`dialog_env.factory` wires them)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.schema import SPLITS
from dialog_env.config import EnvConfig, EpisodeConfig
from dialog_env.database import RetrievalDB
from dialog_env.episodes import EpisodeSource, SampledStarts
from dialog_env.item_space import ItemSpace
from simulators.base import Shopper, check_shopper


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
    """Catalog + item space + database + shopper + episode source, shared by all dialogs.
    `config` is the `EnvConfig` it was built from (None for a hand-assembled world);
    `episodes` where each new dialog starts (`dialog_env.episodes`; default
    `SampledStarts()`, a recording's `RecordedScript` in `dialog_env.factory.replay_world`).

    Pickling: a world that `dialog_env.factory.make_world` built from a configuration with
    a shopper name (registered, an installed plugin or `module.path:factory`; `recipe` is
    that configuration, `rebuild` the factory's function that builds a world from it)
    pickles as the configuration alone and is rebuilt from the cache where it is unpickled
    (a few hundred bytes instead of the catalog; the name must resolve there too:
    registered, installed or importable). Any other world (assembled by hand, or with a
    user's shopper instance) is pickled as it is."""

    recipe: EnvConfig | None = None
    rebuild: Callable[[EnvConfig], DialogWorld] | None = None

    def __init__(self, catalog: Catalog, space: ItemSpace, db: RetrievalDB, shopper: Shopper,
                 config: EnvConfig | None = None, episodes: EpisodeSource | None = None):
        if db.n != len(catalog):
            raise ValueError(f"database has {db.n} items, catalog {len(catalog)}")
        if space.visual.shape[0] != len(catalog):
            raise ValueError(f"item space has {space.visual.shape[0]} items, catalog "
                             f"{len(catalog)}")
        self.catalog, self.space, self.db = catalog, space, db
        self.shopper = check_shopper(shopper)
        self.config = config
        self.episodes: EpisodeSource = episodes if episodes is not None else SampledStarts()
        self.split_items = {s: catalog.indices(s) for s in SPLITS}
        self.visual = space.visual
        self.attributes = space.attributes

    def __reduce_ex__(self, protocol):
        if self.recipe is not None and self.rebuild is not None:
            return (self.rebuild, (self.recipe,))
        return super().__reduce_ex__(protocol)

    @functools.cached_property
    def category_pools(self) -> CategoryPools:
        return CategoryPools(self.catalog)

    def episode(self, **changes) -> EpisodeConfig:
        """The episode settings of the world's configuration (defaults for a hand-assembled
        world) with `changes` (e.g. another split or turn budget)."""
        base = self.config.episode if self.config is not None else EpisodeConfig()
        return dataclasses.replace(base, **changes)

    @property
    def n_items(self) -> int:
        return self.db.n

    @property
    def dim(self) -> int:
        return self.db.dim

    def describe(self) -> dict:
        return {"catalog": self.catalog.name, "items": self.n_items, "item_dim": self.dim,
                "perception": self.space.perception,
                "visual": self.space.visual_name, "visual_dim": self.space.visual_dim,
                "attributes": len(self.catalog.vocab), "metric": self.db.metric,
                "index": self.db.kind, "shopper": self.shopper.name,
                "config": None if self.config is None else self.config.to_dict()}

