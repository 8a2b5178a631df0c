"""`make_core`'s arguments come to one form (`core_args`): where `shopper=` and `reward=`
go, what `world=` excludes, and what each wrong combination says, before any work."""

from __future__ import annotations

import pickle

import pytest

from dialog_env.config import EnvConfig
from dialog_env.factory import core_args, make_core, rebuild_world
from dialog_env.rewards import RewardConfig
from simulators.config import ShopperConfig
from tests.fakes import CountingShopper


def test_names_go_into_the_configuration_and_objects_stay_apart(small_catalog):
    args = core_args(shopper="template", reward="hit", lexicon="test")
    assert args.config.shopper.name == "template" and args.config.shopper.template.lexicon \
        == "test"
    assert args.config.reward.kind == "hit" and args.reward is args.config.reward
    assert args.world is None and args.shopper is None
    given = ShopperConfig(name="neural")
    assert core_args(shopper=given).config.shopper is given
    shopper = CountingShopper(small_catalog)
    args = core_args(shopper=shopper)
    assert args.shopper is shopper and args.config.shopper == EnvConfig().shopper

    def reward(*a, **k):
        return 0.0

    args = core_args(reward=reward)
    assert args.reward is reward and args.config.reward == RewardConfig()
    assert core_args().reward == RewardConfig()


def test_a_world_takes_only_the_dialogs_settings(fake_world):
    args = core_args(world=fake_world, max_turns=3, reward="hit")
    assert args.world is fake_world and args.config.episode.max_turns == 3
    with pytest.raises(ValueError, match=r"with world= the catalog, item space, database and "
                                         r"shopper are the world's; drop \['n_items'\]"):
        core_args(world=fake_world, n_items=10)
    with pytest.raises(ValueError, match=r"shopper are the world's; drop \['shopper'\]"):
        core_args(world=fake_world, shopper="template")
    with pytest.raises(ValueError, match=r"drop \['lexicon'\]"):
        core_args(world=fake_world, lexicon="test")


def test_a_wrong_reward_or_keyword_is_said_before_any_world_is_built(monkeypatch):
    from dialog_env import factory

    def no_world(*a, **k):
        raise AssertionError("built a world")

    monkeypatch.setattr(factory, "make_world", no_world)
    with pytest.raises(TypeError, match="reward must be a name or a callable RewardFn, got 5"):
        make_core(1, reward=5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_item'"):
        make_core(1, n_item=5)


def test_a_factory_built_world_pickles_as_its_recipe(small_world):
    assert small_world.rebuild is rebuild_world
    assert pickle.loads(pickle.dumps(small_world)).config == small_world.config
