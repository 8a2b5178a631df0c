"""The one factory: `EnvConfig` -> world (catalog + item space + database + shopper) ->
batched core. `gym.make`, `make_vec`, the learners and the experiment scripts all build
their dialogs here.

Building a world is the expensive part (catalog, features, index), so worlds are cached
per process by their configuration: `gym.make` many times is cheap.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dialog_env.batched import BatchedDialogs
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import EnvConfig, env_config
from dialog_env.database import RetrievalDB
from dialog_env.item_space import build_item_space
from dialog_env.rewards import RewardConfig, RewardFn
from dialog_env.world import DialogWorld
from simulators.base import Shopper, check_shopper
from simulators.registry import ShopperConfig, make_shopper

_CACHE_SIZE = 8
_catalogs: dict = {}
_spaces: dict = {}
_shoppers: dict = {}


def _cached(cache: dict, key, build):
    if key not in cache:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = build()
    return cache[key]


def build_world(catalog: Catalog, config: EnvConfig | None = None,
                shopper: Shopper | None = None, progress: bool = True) -> DialogWorld:
    """A world over a given catalog (synthetic or real): item space and database from
    `config`, and `shopper` (or the registered shopper `config.shopper.name`)."""
    config = config or EnvConfig()
    it = config.items
    space = build_item_space(catalog, it.visual, it.visual_dim,
                             attribute_weight=it.attribute_weight, progress=progress)
    db = RetrievalDB(space.matrix, metric=config.database.metric, index=config.database.index)
    if shopper is None:
        shopper = make_shopper(catalog, config.shopper)
    else:
        config = _with_shopper_name(config, shopper)
    return DialogWorld(catalog, space, db, shopper, config)


def _with_shopper_name(config: EnvConfig, shopper: Shopper) -> EnvConfig:
    """The configuration recorded for a world with a user's shopper instance."""
    shopper = check_shopper(shopper)
    return dataclasses.replace(config, shopper=ShopperConfig(name=str(shopper.name)))


def make_world(config: EnvConfig | None = None, shopper: Shopper | None = None,
               progress: bool = True) -> DialogWorld:
    """The world of the embedded synthetic catalog for `config` (its parts cached per
    process), with `shopper` when given, else the registered one `config.shopper`."""
    config = config or EnvConfig()
    c = config.catalog
    catalog = _cached(_catalogs, c, lambda: load_synthetic(c.n_items, c.seed, c.image_size,
                                                           progress=progress))
    key = (c, config.items, config.database)

    def space_and_db():
        it = config.items
        space = build_item_space(catalog, it.visual, it.visual_dim,
                                 attribute_weight=it.attribute_weight, progress=progress)
        return space, RetrievalDB(space.matrix, metric=config.database.metric,
                                  index=config.database.index)

    space, db = _cached(_spaces, key, space_and_db)
    if shopper is None:
        shopper = _cached(_shoppers, (c, config.shopper),
                          lambda: make_shopper(catalog, config.shopper))
    else:
        config = _with_shopper_name(config, shopper)
    return DialogWorld(catalog, space, db, shopper, config)


WORLD_GROUPS = ("catalog", "items", "database", "shopper")


def make_core(batch_size: int, config: EnvConfig | None = None, *,
              world: DialogWorld | None = None, shopper: Any = None,
              reward: str | RewardFn | None = None, with_infos: bool = True,
              progress: bool = False, **kwargs: Any) -> BatchedDialogs:
    """A batched core of `batch_size` dialogs.

    `config` (default `EnvConfig()`) with flat keyword overrides (`dialog_env.config.
    FLAT_NAMES`, plus `template=` / `lexicon=` for the template shopper); `shopper=` a
    registered name, a `ShopperConfig` or a `Shopper` instance; `reward=` a named reward
    or any `RewardFn`; `world=` a prebuilt world (e.g. over a real catalog), whose
    catalog, item space, database and shopper are then used as they are."""
    instance = shopper if shopper is not None and not isinstance(
        shopper, (str, ShopperConfig)) else None
    named_reward = reward if isinstance(reward, str) or reward is None else None
    if named_reward is not None:
        kwargs["reward"] = named_reward
    config = env_config(config, shopper=None if instance is not None else shopper, **kwargs)
    if world is not None:
        given = sorted(k for k in kwargs if k not in ("split", "max_turns", "exclude_shown",
                                                      "max_tokens", "feedback_embedding",
                                                      "reward", "success_bonus"))
        if given or shopper is not None:
            raise ValueError(f"with world= the catalog, item space, database and shopper are "
                             f"the world's; drop {given or ['shopper']}")
    else:
        world = make_world(config, shopper=instance, progress=progress)
    reward_fn = config.reward if named_reward is not None or reward is None else reward
    if not callable(reward_fn):
        raise TypeError(f"reward must be a name or a callable RewardFn, got {reward!r}")
    return BatchedDialogs(world, batch_size, config.episode, reward_fn, with_infos=with_infos)


__all__ = ["RewardConfig", "build_world", "make_core", "make_world"]
