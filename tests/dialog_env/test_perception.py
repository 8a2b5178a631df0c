"""Perception as a world setting: attrnet (learned), ground_truth, pixels — what the agent
observes, what the database ranks in, what the shopper speaks from, and that the reference
agents work in every world."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch")

import dialog_env  # noqa: E402,F401
from dialog_env.config import EnvConfig, ItemSpaceConfig, env_config  # noqa: E402
from dialog_env.factory import make_world  # noqa: E402
from dialog_env.features.attrnet import AttrNetConfig  # noqa: E402

SMALL_NET = AttrNetConfig(dim=16, channels=(8, 16), epochs=3, batch_size=32, seed=1,
                          image_size=32)


def _config(perception: str, **items) -> EnvConfig:
    base = env_config(n_items=400, catalog_seed=11, image_size=32, visual_dim=16,
                      perception=perception, max_turns=5)
    return dataclasses.replace(base, items=dataclasses.replace(base.items, attrnet=SMALL_NET,
                                                               **items))


@pytest.fixture(scope="module")
def worlds():
    return {p: make_world(_config(p), progress=False)
            for p in ("attrnet", "ground_truth", "pixels")}


def test_attrnet_is_the_default_perception():
    assert EnvConfig().items.perception == "attrnet"
    with pytest.raises(ValueError, match="unknown perception 'xray'"):
        ItemSpaceConfig(perception="xray")
    with pytest.raises(ValueError, match="attrnet.epochs must be >= 1, got 0"):
        AttrNetConfig(epochs=0)
    with pytest.raises(ValueError, match="attrnet.channels"):
        AttrNetConfig(channels=())


def test_the_agent_sees_the_worlds_perception_and_never_the_truth_with_attrnet(worlds):
    truth = worlds["ground_truth"].catalog.attributes
    for name, world in worlds.items():
        env = gym.make("FashionDialog-v0", world=world)
        obs, info = env.reset(seed=3)
        c = int(info["candidate"])
        space = world.space
        assert space.perception == name
        np.testing.assert_array_equal(obs["candidate_features"], space.visual[c])
        np.testing.assert_array_equal(obs["candidate_attributes"], space.attributes[c])
        # The database ranks in [x ; w * attributes].
        np.testing.assert_array_equal(world.db.items, space.matrix)
        assert space.matrix.shape == (world.n_items, space.visual_dim + truth.shape[1])
    attr = worlds["attrnet"].space.attributes
    assert attr.dtype == np.float32 and (attr > 0).all() and (attr < 1).all()  # probabilities
    assert not np.isin(attr, (0.0, 1.0)).any()  # not the multi-hot ground truth
    x = worlds["attrnet"].space.visual
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(worlds["ground_truth"].space.attributes, truth)
    assert not worlds["pixels"].space.attributes.any()  # the pixels world has no attributes
    np.testing.assert_array_equal(worlds["pixels"].space.visual,
                                  worlds["ground_truth"].space.visual)


@pytest.mark.parametrize("perception", ["attrnet", "ground_truth", "pixels"])
def test_a_world_of_each_perception_passes_both_env_checkers(worlds, perception):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("FashionDialog-v0", world=worlds[perception])
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(gym.make("FashionDialog-v0", world=worlds[perception]), warn=True)


@pytest.mark.parametrize("perception", ["attrnet", "ground_truth", "pixels"])
@pytest.mark.parametrize("weight", [1.0, 0.0])
def test_the_oracle_runs_in_every_world_and_beats_the_anchor(worlds, perception, weight):
    from agents.reference import AnchorAgent, OracleAttributesAgent
    from dialog_env.evaluation import run_protocol
    from dialog_env.protocol import make_protocol

    world = worlds[perception] if weight == 1.0 else make_world(
        _config(perception, attribute_weight=weight), progress=False)
    pairs = make_protocol(world.catalog, "test", 60, seed=0)["pairs"]
    oracle = run_protocol(world, OracleAttributesAgent(), pairs, max_turns=5,
                          progress=False)["ranks"]
    anchor = run_protocol(world, AnchorAgent(), pairs, max_turns=5, progress=False)["ranks"]
    assert np.isfinite(oracle).all()
    # The constraints gathered over the dialog bring the target closer than no memory does.
    assert oracle[:, -1].mean() < anchor[:, -1].mean()
    assert oracle[:, -1].mean() < oracle[:, 0].mean()


def test_the_shopper_speaks_from_the_truth_unless_told_to_read_predictions(worlds):
    from simulators.profiles import perceived_catalog

    world = worlds["attrnet"]
    base = _config("attrnet")
    seeing = make_world(dataclasses.replace(base, shopper=dataclasses.replace(
        base.shopper, sees="predictions")), progress=False)
    assert world.shopper is not seeing.shopper
    pred = perceived_catalog(world.catalog, world.space.attributes)
    # Each single-label slot carries at most one value; the predictions differ from the truth.
    assert pred.attributes.dtype == bool and pred.attributes.shape == world.catalog.attributes.shape
    assert (pred.attributes != world.catalog.attributes).any()
    assert pred.item_ids == world.catalog.item_ids and (pred.split == world.catalog.split).all()

    def captions(w):
        env = gym.make("FashionDialog-v0", world=w, info="full")
        out = []
        for s in range(30):
            _, info = env.reset(seed=s)
            out.append(info["text"])
        return out

    truth, predicted = captions(world), captions(seeing)
    assert truth != predicted  # same dialogs, other perception of the items
    with pytest.raises(ValueError, match="needs perception 'attrnet'.*'pixels'"):
        make_world(dataclasses.replace(_config("pixels"), shopper=dataclasses.replace(
            base.shopper, sees="predictions")), progress=False)
    with pytest.raises(ValueError, match="unknown shopper.sees 'magic'"):
        dataclasses.replace(base.shopper, sees="magic")
