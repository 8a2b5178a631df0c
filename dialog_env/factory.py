"""The one factory: `EnvConfig` -> world (catalog + item space + database + shopper) ->
batched core. `gym.make`, `make_vec`, the learners and the experiment scripts all build
their dialogs here.

Building a world is the expensive part (catalog, features, index), so worlds are cached
per process by their configuration: `gym.make` many times is cheap. The first build of a
configuration says what it builds (a line on stderr and progress bars); loading from the
disk cache is silent.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from dialog_env.batched import BatchedDialogs
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.store import (
    SyntheticConfig,
    catalog_dir,
    load_synthetic,
)
from dialog_env.config import FLAT_NAMES, EnvConfig, env_config
from dialog_env.database import RetrievalDB
from dialog_env.episodes import EpisodeSource, RecordedScript
from dialog_env.extras import check_extras
from dialog_env.features import feature_cache_path, shipped
from dialog_env.features.attrnet import weights_path
from dialog_env.item_space import ItemSpace, build_item_space, perception_extractor
from dialog_env.recorded import RecordedDialogs
from dialog_env.rewards import RewardConfig, RewardFn
from dialog_env.world import DialogWorld
from simulators.base import Shopper, check_shopper
from simulators.profiles import perceived_catalog
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
    space, db = _space_and_db(catalog, config, progress)
    if shopper is None:
        shopper = _shopper(catalog, space, config)
    else:
        config = _with_shopper_name(config, shopper)
    return DialogWorld(catalog, space, db, shopper, config, _episodes_for(shopper))


def _episodes_for(shopper: Shopper | None) -> EpisodeSource | None:
    """The episode source a user's shopper instance needs: a replay shopper's recording as
    the script (None: sampled starts)."""
    replay = sys.modules.get("simulators.replay")  # loaded if such a shopper exists
    if replay is not None and isinstance(shopper, replay.ReplayShopper):
        return RecordedScript(shopper.recorded, shopper)
    return None


def replay_world(world: DialogWorld, recorded: RecordedDialogs, **kwargs: Any) -> DialogWorld:
    """`world`'s catalog, item space and database with a `simulators.replay.ReplayShopper`
    of `recorded` (`kwargs` go to it; the vocabulary is the world's shopper's unless given,
    so agents read the same token ids and observation widths as in that world) and the
    recording as its episode source (`dialog_env.episodes.RecordedScript`):
    `gym.make("FashionDialog-v0", world=replay_world(...), split=recorded.split)` replays
    the recording."""
    from simulators.replay import ReplayShopper

    if recorded.references.max(initial=-1) >= world.n_items or \
            recorded.targets.max(initial=-1) >= world.n_items:
        raise ValueError(f"recorded dialogs ({recorded.source}) name items beyond the "
                         f"world's {world.n_items}")
    kwargs.setdefault("vocab", world.shopper.vocab)
    shopper = ReplayShopper(recorded, **kwargs)
    return DialogWorld(world.catalog, world.space, world.db, shopper, world.config,
                       RecordedScript(recorded, shopper))


def _space_and_db(catalog: Catalog, config: EnvConfig, progress: bool
                  ) -> tuple[ItemSpace, RetrievalDB]:
    """The item space and database of `config` over `catalog` (saying, with `progress`,
    when features are computed or AttrNet trained rather than loaded from the cache)."""
    it = config.items
    extractor = perception_extractor(catalog, it.perception, it.visual_dim, it.attrnet,
                                     clip_model=it.clip_model)
    path = feature_cache_path(catalog, extractor)
    if path is not None and not path.exists():
        if shipped.find(catalog.name, catalog.meta.get("content_hash"), extractor.key(),
                        shipped.image_size(catalog)):
            if progress:
                _say(f"installing the {it.perception} features shipped with the package for "
                     f"{catalog.name} into {path}")
        else:
            _say_computing(catalog, it, path, progress)
    space = build_item_space(catalog, it.perception, it.visual_dim, it.attribute_weight,
                             it.attrnet, progress=progress, clip_model=it.clip_model)
    return space, RetrievalDB(space.matrix, metric=config.database.metric,
                              index=config.database.index)


def _say_computing(catalog: Catalog, it, path, progress: bool) -> None:
    if not progress:
        return
    if it.perception == "attrnet":
        weights = weights_path(catalog, it.attrnet)
        train = "" if weights is not None and weights.exists() else (
            f"training AttrNet on the {len(catalog.indices('train'))} train items "
            f"(once per catalog) and ")
        _say(f"{train}computing its features of {len(catalog)} items into {path}")
    else:
        kind = "CLIP" if it.perception == "clip" else "pixel"
        _say(f"computing the {kind} features of {len(catalog)} items into {path}")


def _shopper(catalog: Catalog, space: ItemSpace, config: EnvConfig) -> Shopper:
    """The registered shopper of `config`, speaking from the ground truth or, with
    `shopper.sees="predictions"`, from the world's attribute predictions."""
    if config.shopper.sees == "predictions":
        if space.perception != "attrnet":
            raise ValueError(f"shopper.sees='predictions' needs perception 'attrnet' (the "
                             f"world's attribute network); this world's perception is "
                             f"{space.perception!r}")
        catalog = perceived_catalog(catalog, space.attributes, label="attrnet-predictions")
    return make_shopper(catalog, config.shopper, space=space)


def _with_shopper_name(config: EnvConfig, shopper: Shopper) -> EnvConfig:
    """The configuration recorded for a world with a user's shopper instance."""
    shopper = check_shopper(shopper)
    return dataclasses.replace(config, shopper=ShopperConfig(name=str(shopper.name)))


def _say(message: str) -> None:
    print(f"FashionDialog: {message}", file=sys.stderr, flush=True)


def _catalog(c, progress: bool) -> Catalog:
    if c.dataset != "synthetic":
        return _dataset_catalog(c, progress)
    folder = catalog_dir(SyntheticConfig(n_items=c.n_items, seed=c.seed))
    if progress and not (folder / "items.npz").exists():
        _say(f"building the synthetic catalog ({c.n_items} items, seed {c.seed}) into "
             f"{folder}; later makes load it from there")
    # Images are rendered into the cache only when features are computed from them
    # (`extract_features`); a world whose features are shipped or cached never renders them.
    return load_synthetic(c.n_items, c.seed, c.image_size, render=False, progress=progress)


def _dataset_catalog(c, progress: bool) -> Catalog:
    """The catalog of a public dataset on disk (`c.dataset` under `c.root`)."""
    from dialog_env.catalog.datasets import load_dataset

    if progress:
        _say(f"loading the {c.dataset} catalog from {c.root} ({c.image_size}px images, "
             f"images={c.images})")
    catalog, _, _ = load_dataset(c.dataset, c.root, c.image_size, c.images)
    if len(catalog) == 0:
        raise ValueError(f"dataset {c.dataset!r} under {c.root}: no item has its image on "
                         f"disk (layouts: dialog_env.catalog.real_pairs.IMAGE_LAYOUTS); "
                         f"images='optional' keeps them, for features already cached")
    return catalog


def make_world(config: EnvConfig | None = None, shopper: Shopper | None = None,
               progress: bool = True) -> DialogWorld:
    """The world of the catalog of `config` (the embedded synthetic one, or a dataset on
    disk: `config.catalog.dataset` under `root`; its parts cached per process by their
    settings), with `shopper` when given, else the registered one `config.shopper`.
    `progress`: say what is built (a line on stderr and progress bars) when something is
    not in the disk cache yet."""
    config = config or EnvConfig()
    check_extras(config)  # before any work: name the extra a light install lacks
    c = config.catalog
    catalog = _cached(_catalogs, c, lambda: _catalog(c, progress))
    key = (c, config.items, config.database)

    space, db = _cached(_spaces, key, lambda: _space_and_db(catalog, config, progress))
    if shopper is not None:
        return DialogWorld(catalog, space, db, shopper, _with_shopper_name(config, shopper),
                           _episodes_for(shopper))
    seen = key if config.shopper.sees == "predictions" else c
    shopper = _cached(_shoppers, (seen, config.shopper),
                      lambda: _shopper(catalog, space, config))
    world = DialogWorld(catalog, space, db, shopper, config)
    # Pickled as `rebuild_world(config)` (`DialogWorld.__reduce_ex__`).
    world.recipe, world.rebuild = config, rebuild_world
    return world


def rebuild_world(config: EnvConfig) -> DialogWorld:
    """The world `make_world(config)` (from this process's cache or the disk cache): what a
    world built from a configuration unpickles as."""
    return make_world(config)


WORLD_GROUPS = ("catalog", "items", "database", "shopper")
# Flat keywords that may go with `world=` (the dialogs', not the world's).
DIALOG_NAMES = tuple(k for k, (g, _) in FLAT_NAMES.items() if g in ("episode", "reward"))


@dataclasses.dataclass(frozen=True)
class CoreArgs:
    """What `make_core`'s arguments come to (`core_args`)."""

    config: EnvConfig
    """The configuration, with every keyword applied (a named reward included)."""
    world: DialogWorld | None
    """The prebuilt world given as `world=` (None: build `config`'s)."""
    shopper: Shopper | None
    """A user's shopper instance given as `shopper=` (None: the one `config` names)."""
    reward: RewardFn
    """The reward function: `config.reward` for a named reward or none, else the one given."""


def core_args(config: EnvConfig | None = None, *, world: DialogWorld | None = None,
              shopper: Any = None, reward: str | RewardFn | None = None,
              **kwargs: Any) -> CoreArgs:
    """`make_core`'s arguments in one form: `shopper=` (a name or a `ShopperConfig` goes
    into the configuration, an instance is kept apart), `reward=` (a name goes into the
    configuration, a callable is kept), the flat keywords (`dialog_env.config.env_config`,
    the template shopper's `template=` / `lexicon=` included) and `world=`, which takes
    none of the world's settings. Raises what a wrong combination is, before any work."""
    instance = shopper if shopper is not None and not isinstance(
        shopper, (str, ShopperConfig)) else None
    named_reward = reward if isinstance(reward, str) or reward is None else None
    if named_reward is not None:
        kwargs["reward"] = named_reward
    config = env_config(config, shopper=None if instance is not None else shopper, **kwargs)
    if world is not None:
        given = sorted(k for k in kwargs if k not in DIALOG_NAMES)
        if given or shopper is not None:
            raise ValueError(f"with world= the catalog, item space, database and shopper are "
                             f"the world's; drop {given or ['shopper']}")
    reward_fn = config.reward if named_reward is not None or reward is None else reward
    if not callable(reward_fn):
        raise TypeError(f"reward must be a name or a callable RewardFn, got {reward!r}")
    return CoreArgs(config, world, instance, reward_fn)


def make_core(batch_size: int, config: EnvConfig | None = None, *,
              world: DialogWorld | None = None, shopper: Any = None,
              reward: str | RewardFn | None = None, progress: bool = True,
              **kwargs: Any) -> BatchedDialogs:
    """A batched core of `batch_size` dialogs.

    `config` (default `EnvConfig()`) with flat keyword overrides (`dialog_env.config.
    FLAT_NAMES`, plus `template=` / `lexicon=` for the template shopper); `shopper=` a
    registered name, a `ShopperConfig` or a `Shopper` instance; `reward=` a named reward
    or any `RewardFn`; `world=` a prebuilt world (e.g. over a real catalog), whose
    catalog, item space, database and shopper are then used as they are. `info=` and
    `observation=` choose the infos and the observation layout (`EpisodeConfig`).
    `progress=False` silences what a first build says (see `make_world`). The arguments
    are read by `core_args`."""
    args = core_args(config, world=world, shopper=shopper, reward=reward, **kwargs)
    if args.world is not None:
        world = args.world
    else:
        world = make_world(args.config, shopper=args.shopper, progress=progress)
    return BatchedDialogs(world, batch_size, args.config.episode, args.reward)


__all__ = ["CoreArgs", "RewardConfig", "build_world", "core_args", "make_core", "make_world",
           "rebuild_world", "replay_world"]
