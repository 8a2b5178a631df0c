"""FashionDialog over a real catalog: gym.make(dataset=..., root=...) on the tiny fixtures
written in the public formats, with CLIP (a tiny random model) or AttrNet perception and
the template shopper speaking from the dataset's attribute tags."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from dialog_env.config import EnvConfig, ItemSpaceConfig
from dialog_env.features.attrnet import AttrNetConfig
from tests.dialog_env.test_env import rollout, same

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def fiq_root(tmp_path_factory):
    from tests.dialog_env.test_real_catalog import fixture

    root = tmp_path_factory.mktemp("fiq")
    fixture(root, with_missing=False)
    return root


def make(root, tiny_clip, **kwargs):
    settings = dict(dataset="fashioniq", root=str(root), perception="clip",
                    clip_model=str(tiny_clip), shopper="template", image_size=16,
                    max_turns=4, info="full")
    with warnings.catch_warnings():  # (loaded once a process: said once)
        warnings.filterwarnings("ignore", r".*no image splits for \['toptee'\]")
        return gym.make("FashionDialog-v0", **{**settings, **kwargs})


def dialog(env, seed, steps=4):
    rng = np.random.default_rng(0)
    return rollout(env, seed, rng.uniform(-1, 1, (steps, *env.action_space.shape)))


def test_fashioniq_with_clip_features_and_the_template_shopper(fiq_root, tiny_clip):
    from gymnasium.utils.env_checker import check_env

    env = make(fiq_root, tiny_clip)
    world = env.unwrapped.world
    assert world.catalog.name.startswith("fashioniq-") and len(world.catalog) == 6
    assert world.space.perception == "clip" and world.space.visual_dim == 8
    assert world.dim == 8 + 4  # CLIP embedding ; zeros over the 4 tag values
    assert not world.space.attributes.any()  # the agent is not shown the tags
    assert np.allclose(np.linalg.norm(world.space.visual, axis=1), 1, atol=1e-5)
    check_env(env.unwrapped, skip_render_check=True)
    first = dialog(env, 3)
    assert same(first, dialog(env, 3))  # deterministic per seed
    again = make(fiq_root, tiny_clip)
    assert again.unwrapped.world.catalog is world.catalog  # cached by its settings
    assert same(dialog(again, 3), first)
    texts = [step[1]["text"] for step in first]
    assert all(isinstance(t, str) and t for t in texts)
    said = {m["value"] for step in first for m in step[1]["mentions"]}
    assert said <= set(world.catalog.vocab.names) | set(world.catalog.categories) | {"target"}
    back = pickle.loads(pickle.dumps(env))  # pickles as its configuration
    assert back.unwrapped.world.catalog is world.catalog
    assert same(dialog(back, 3), first)


def test_the_cache_that_extract_features_writes_is_used(tmp_path, tiny_clip, monkeypatch):
    from experiments.extract_features import Args, main
    from tests.dialog_env.test_real_catalog import fixture

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path / "cache"))
    fixture(tmp_path / "fiq", with_missing=False)
    with pytest.warns(UserWarning, match="no image splits"):
        path = main(Args(dataset="fashioniq", root=tmp_path / "fiq", model=tiny_clip,
                         image_size=16, quiet=True))
    written = path.stat().st_mtime_ns
    env = make(tmp_path / "fiq", tiny_clip, catalog_seed=1)  # another world key, same catalog
    assert path.stat().st_mtime_ns == written
    assert np.array_equal(env.unwrapped.world.space.visual, np.load(path))


def test_multiturn_fashioniq_with_attrnet_trained_on_its_tags(tmp_path):
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture

    multiturn_fixture(tmp_path)
    config = EnvConfig(items=ItemSpaceConfig(
        perception="attrnet", attrnet=AttrNetConfig(dim=8, channels=(4,), epochs=1,
                                                    image_size=8)))
    with pytest.warns(UserWarning) as seen:
        env = gym.make("FashionDialog-v0", config=config, dataset="multiturn-fashioniq",
                       root=str(tmp_path), shopper="template", image_size=8, max_turns=3)
    assert "already listed in val" in " ".join(str(w.message) for w in seen)
    world = env.unwrapped.world
    assert world.catalog.ordinal_names == ()  # no ordinal slots: AttrNet copes
    assert world.space.attributes.shape == (6, len(world.catalog.vocab))
    assert (world.space.attributes > 0).all() and (world.space.attributes < 1).all()
    assert same(dialog(env, 5, 3), dialog(env, 5, 3))


def test_the_real_shopper_cannot_speak_for_a_real_catalog_and_says_so(fiq_root, tiny_clip):
    with pytest.raises(ValueError, match=r"the real shopper .*dataset tags; use "
                                         r"shopper='template'"):
        make(fiq_root, tiny_clip, shopper="real")


def test_the_neural_shopper_learns_the_template_captions_of_the_tags(tmp_path):
    from simulators.neural.config import NeuralConfig
    from simulators.registry import ShopperConfig
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture

    multiturn_fixture(tmp_path)
    tiny = AttrNetConfig(dim=8, channels=(4,), epochs=1, image_size=8)
    neural = NeuralConfig(embed=8, hidden=8, steps=2, batch=4, pairs=16, max_len=6,
                          attrnet=tiny)
    config = EnvConfig(items=ItemSpaceConfig(perception="attrnet", attrnet=tiny),
                       shopper=ShopperConfig(name="neural", neural=neural))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fixture's split overlap, its dialog outside
        env = gym.make("FashionDialog-v0", config=config, dataset="multiturn-fashioniq",
                       root=str(tmp_path), image_size=8, max_turns=3, info="full")
    shopper = env.unwrapped.world.shopper
    assert shopper.name == "neural"
    assert shopper.checkpoint["source"]["data"] == "template-tags"
    assert {"collar", "stripe", "a-line"} <= set(shopper.vocab.words)  # the tags' words
    first = dialog(env, 1, 3)
    assert same(first, dialog(env, 1, 3))
    assert all(step[1]["text"] for step in first)


def test_shoes_has_no_tags_for_the_template_shopper_or_attrnet(tmp_path, tiny_clip):
    from tests.dialog_env.test_real_catalog import shoes_fixture

    shoes_fixture(tmp_path)
    settings = dict(dataset="shoes", root=str(tmp_path), image_size=8, shopper="template")
    with pytest.warns(UserWarning, match="images missing"), \
            pytest.raises(ValueError, match="catalog 'shoes-.*' has no attribute values"):
        gym.make("FashionDialog-v0", perception="clip", clip_model=str(tiny_clip),
                 **settings)
    with pytest.raises(ValueError, match="perception 'attrnet' learns the catalog's "
                                         "attributes.*Shoes has no attribute tags"):
        gym.make("FashionDialog-v0", perception="attrnet", **settings)
    with pytest.raises(ValueError, match="the neural shopper reads AttrNet's attribute "
                                         "predictions, and catalog 'shoes-.*' has no"):
        gym.make("FashionDialog-v0", perception="clip", clip_model=str(tiny_clip),
                 **{**settings, "shopper": "neural"})


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(dataset="imagenet", root="."), ValueError, "unknown dataset 'imagenet'; expected"),
    (dict(dataset="fashioniq"), ValueError, "dataset='fashioniq' needs root="),
    (dict(dataset="shoes", root="/nowhere/at/all"), ValueError,
     "root='/nowhere/at/all' .dataset 'shoes'. is not a directory"),
    (dict(root="."), ValueError, "root='.' applies to a dataset on disk"),
    (dict(dataset="shoes", root=".", images="some"), ValueError, "unknown images 'some'"),
    (dict(perception="clip"), ValueError, "perception='clip' needs clip_model="),
    (dict(perception="clip", clip_model="/nowhere"), ValueError,
     "clip_model='/nowhere' is not a CLIP model directory"),
    (dict(perception="pixels", clip_model="."), ValueError,
     "clip_model='.' applies to perception 'clip'"),
])
def test_bad_dataset_settings_are_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        gym.make("FashionDialog-v0", **kwargs)


def test_a_catalog_without_any_image_is_a_clear_error(tmp_path, shared_data):
    with pytest.warns(UserWarning, match="images missing"), \
            pytest.raises(ValueError, match=r"dataset 'shoes' under .*: no item has its image"):
        gym.make("FashionDialog-v0", dataset="shoes", root=str(shared_data / "shoes"),
                 shopper="template")


def test_the_vector_env_over_a_real_catalog(fiq_root, tiny_clip):
    settings = dict(dataset="fashioniq", root=str(fiq_root), perception="clip",
                    clip_model=str(tiny_clip), shopper="template", image_size=16,
                    max_turns=3)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*no image splits")
        venv = gym.make_vec("FashionDialog-v0", num_envs=3,
                            vectorization_mode="vector_entry_point", **settings)
    obs, _ = venv.reset(seed=2)
    assert obs["candidate_features"].shape == (3, 8)
    obs, reward, term, trunc, _ = venv.step(np.ones((3, 12), np.float32))
    assert reward.shape == (3,) and np.isfinite(reward).all()
