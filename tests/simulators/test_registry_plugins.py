"""Shoppers by any name: registered, an installed package's entry point
(`fashion_dialog.shoppers`) or `module.path:factory`; worlds built from such a name record
it and pickle as their configuration."""

from __future__ import annotations

import pickle

import gymnasium as gym
import pytest

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env import factory
from dialog_env.config import env_config
from dialog_env.factory import make_world
from simulators.registry import (
    SHOPPER_GROUP,
    SHOPPERS,
    ShopperConfig,
    make_shopper,
    shopper_factory,
    takes_space,
)
from tests.fakes import CountingShopper
from tests.plugin_fakes import plugin_folder

TINY = dict(n_items=600, perception="ground_truth")

# A user's shopper module: the tests' counting shopper, with a record of its calls.
MODULE = """
    from simulators.registry import ShopperConfig
    from tests.fakes import CountingShopper

    CALLS = []

    def make(catalog, config):
        assert isinstance(config, ShopperConfig)
        CALLS.append((len(catalog), config.name))
        return CountingShopper(catalog)

    def not_a_shopper(catalog, config):
        return {"name": "counting"}

    SPACES = []

    def make_seeing(catalog, config, space):
        SPACES.append(space)
        return CountingShopper(catalog)

    def make_keyword(catalog, config, *, space=None):
        SPACES.append(space)
        return CountingShopper(catalog)
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    # Shoppers are cached per process by their configuration: each test builds its own.
    monkeypatch.setattr(factory, "_shoppers", {})
    with plugin_folder(tmp_path, monkeypatch) as folder:
        folder.module("my_shoppers", MODULE)
        yield folder


def test_a_module_path_shopper_builds_the_world_and_is_recorded_by_its_name(plugins):
    import my_shoppers

    world = make_world(env_config(shopper="my_shoppers:make", **TINY), progress=False)
    assert type(world.shopper).__name__ == "CountingShopper"
    assert my_shoppers.CALLS == [(600, "my_shoppers:make")]
    assert world.config.shopper.name == "my_shoppers:make"
    assert world.describe()["config"]["shopper"]["name"] == "my_shoppers:make"
    env = gym.make("FashionDialog-v0", shopper="my_shoppers:make", info="full", **TINY)
    _, info = env.reset(seed=0)
    assert info["text"].startswith(("differs in", "found"))  # the counting shopper speaks
    env.close()


def test_a_world_with_a_module_path_shopper_pickles_as_its_recipe(plugins, monkeypatch):
    import my_shoppers

    world = make_world(env_config(shopper="my_shoppers:make", **TINY), progress=False)
    assert world.recipe is world.config
    data = pickle.dumps(world)
    assert len(data) < 5000  # the configuration, not the catalog
    monkeypatch.setattr(factory, "_shoppers", {})  # as in a fresh process: no shopper yet
    again = pickle.loads(data)
    assert again.config == world.config and again.shopper is not world.shopper
    assert type(again.shopper).__name__ == "CountingShopper"
    assert len(my_shoppers.CALLS) == 2  # rebuilt by resolving the name once more


def test_an_installed_package_s_shopper_is_found_by_its_entry_point_name(plugins):
    import my_shoppers

    assert "counting-plugin" not in SHOPPERS
    with pytest.raises(ValueError, match="unknown shopper 'counting-plugin'"):
        shopper_factory("counting-plugin")
    plugins.distribution("my-shoppers", {SHOPPER_GROUP: {"counting-plugin":
                                                         "my_shoppers:make"}})
    assert shopper_factory("counting-plugin") is my_shoppers.make
    world = make_world(env_config(shopper="counting-plugin", **TINY), progress=False)
    assert type(world.shopper).__name__ == "CountingShopper"
    assert world.config.shopper.name == "counting-plugin"


def test_a_registered_name_wins_over_an_entry_point_of_the_same_name(plugins):
    plugins.distribution("my-shoppers", {SHOPPER_GROUP: {"template": "my_shoppers:make"}})
    assert shopper_factory("template") is SHOPPERS["template"]


def test_an_unknown_name_lists_the_registered_and_the_installed_names(plugins):
    plugins.distribution("my-shoppers", {SHOPPER_GROUP: {"counting-plugin":
                                                         "my_shoppers:make"}})
    with pytest.raises(ValueError, match="unknown shopper 'nobody'") as e:
        shopper_factory("nobody")
    said = str(e.value)
    assert f"registered: {sorted(SHOPPERS)}" in said
    assert f"installed plugins (entry-point group '{SHOPPER_GROUP}'): ['counting-plugin']" in said
    assert "'module.path:factory'" in said


def test_what_is_wrong_with_a_shopper_factory_is_said(plugins, small_catalog):
    with pytest.raises(TypeError, match="shopper 'my_shoppers:not_a_shopper', what its "
                                        "factory returned: dict is not a Shopper: it lacks "
                                        r"\['name', 'vocab', 'width', 'dialogs'\]"):
        make_shopper(small_catalog, ShopperConfig(name="my_shoppers:not_a_shopper"))
    with pytest.raises(ValueError, match="shopper 'my_shoppers:nope': my_shoppers has no "
                                         "attribute 'nope'"):
        make_world(env_config(shopper="my_shoppers:nope", **TINY), progress=False)
    with pytest.raises(ValueError, match="shopper 'not_my_shoppers:make': no module named "
                                         "'not_my_shoppers'"):
        make_world(env_config(shopper="not_my_shoppers:make", **TINY), progress=False)


@pytest.mark.parametrize("name", ["make_seeing", "make_keyword"])
def test_a_factory_that_declares_space_is_given_the_world_s_item_space(plugins, name):
    import my_shoppers

    world = make_world(env_config(shopper=f"my_shoppers:{name}", **TINY), progress=False)
    assert len(my_shoppers.SPACES) == 1 and my_shoppers.SPACES[0] is world.space
    make_shopper(world.catalog, ShopperConfig(name=f"my_shoppers:{name}"))
    assert my_shoppers.SPACES[1] is None  # no world: no space
    assert my_shoppers.CALLS == []  # the two-parameter factory was not involved


def test_two_parameter_factories_are_called_with_two_arguments(plugins, small_catalog):
    import my_shoppers

    world = make_world(env_config(shopper="my_shoppers:make", **TINY), progress=False)
    assert my_shoppers.CALLS == [(600, "my_shoppers:make")]  # `make(catalog, config)`
    calls = []

    class OwnShopper:  # a class as its factory, a third parameter that is not the space
        def __init__(self, catalog, config=None, seed=0):
            calls.append(seed)
            self.inner = CountingShopper(catalog)
            self.name, self.vocab, self.width = "own", self.inner.vocab, self.inner.width

        def dialogs(self, batch_size, max_turns):
            return self.inner.dialogs(batch_size, max_turns)

    SHOPPERS["own-test"] = OwnShopper
    try:
        make_shopper(small_catalog, ShopperConfig(name="own-test"), space=world.space)
    finally:
        del SHOPPERS["own-test"]
    assert calls == [0]
    assert not takes_space(lambda catalog, config: None)
    assert not takes_space(lambda *args, **kwargs: None)  # only a parameter named space
    assert takes_space(lambda catalog, config, space=None: None)
