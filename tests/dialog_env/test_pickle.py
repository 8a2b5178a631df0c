"""Environments pickle as their configuration (not the catalog) and come back fresh."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from dialog_env.vector import FashionDialogVectorEnv
from tests.dialog_env.test_env import rollout, same

SMALL = dict(n_items=2000, catalog_seed=5, visual_dim=32,
             perception="ground_truth")  # the `small_world` configuration


def dialog(env, seed, steps=5):
    rng = np.random.default_rng(0)
    return rollout(env, seed, rng.uniform(-1, 1, (steps, *env.action_space.shape)))


@pytest.mark.parametrize("how", ["keywords", "world"])
def test_an_env_pickles_as_its_configuration(small_world, how):
    kwargs = SMALL if how == "keywords" else {"world": small_world}
    env = gym.make("FashionDialog-v0", max_turns=6, info="full", **kwargs)
    before = dialog(env, 3)
    blob = pickle.dumps(env)
    assert len(blob) < 1_000_000, len(blob)  # the catalog alone is megabytes
    env.reset(seed=9)
    back = pickle.loads(blob)
    assert back.unwrapped.core.done.all()  # fresh: no dialog state
    with pytest.raises(RuntimeError, match="reset"):
        back.unwrapped.step(np.zeros(env.action_space.shape, np.float32))
    assert same(dialog(back, 3), before)
    assert back.spec.max_episode_steps == 6 and back.spec.id == "FashionDialog-v0"
    assert back.unwrapped.world.catalog is env.unwrapped.world.catalog  # from the cache
    clone = copy.deepcopy(env)
    assert same(dialog(clone, 3), before)


def test_a_vector_env_pickles_as_its_configuration(small_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, world=small_world,
                        autoreset_mode="same_step", observation="flat")
    blob = pickle.dumps(venv)
    assert len(blob) < 1_000_000
    for back in (pickle.loads(blob), copy.deepcopy(venv)):
        assert isinstance(back.unwrapped, FashionDialogVectorEnv)
        assert back.num_envs == 3 and back.autoreset_mode == venv.autoreset_mode
        a, b = venv.reset(seed=1)[0], back.reset(seed=1)[0]
        assert np.array_equal(a, b)
        act = np.ones((3, small_world.dim), np.float32)
        assert np.array_equal(venv.step(act)[0], back.step(act)[0])


def test_a_hand_built_world_is_pickled_as_it_is(fake_world, small_world):
    assert small_world.recipe is not None and fake_world.recipe is None
    env = gym.make("FashionDialog-v0", world=fake_world)
    back = pickle.loads(pickle.dumps(env))
    assert back.unwrapped.world is not fake_world
    assert np.array_equal(back.unwrapped.world.visual, fake_world.visual)
    assert same(dialog(back, 0), dialog(env, 0))


def test_a_world_with_a_shopper_instance_is_not_rebuilt(small_world):
    from dialog_env.factory import make_world

    world = make_world(small_world.config, shopper=small_world.shopper, progress=False)
    assert world.recipe is None
    assert pickle.loads(pickle.dumps(small_world)).recipe == small_world.config
