"""The real-language shopper: people's captions re-grounded onto catalog pairs."""

from __future__ import annotations

import gzip
import json

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from simulators.grounding import Truth, parse
from simulators.lexicon import default_vocabulary
from simulators.real.config import RealConfig
from simulators.real.data import load_data, real_vocabulary
from simulators.real.shopper import RealShopper


def pairs(cat, n, seed=0):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, len(cat), n)
    shown = np.array([rng.choice(cat.indices(category=cat.categories[cat.category[t]]))
                      for t in targets])
    return targets, shown


def speak(shopper, targets, shown, seeds):
    d = shopper.dialogs(len(targets), 0)
    rows = np.arange(len(targets))
    d.start(rows, targets, [np.random.default_rng(s) for s in seeds])
    tokens = d.answer(rows, shown)
    return tokens, [d.feedback(i)[0] for i in rows.tolist()]


def test_every_groundable_word_is_true_of_the_pair(small_catalog):
    cat = small_catalog
    shopper = RealShopper(cat)
    targets, shown = pairs(cat, 600)
    tokens, fb = speak(shopper, targets, shown, range(600))
    truth = Truth(cat)
    informative = 0
    for f, t, s in zip(fb, targets.tolist(), shown.tolist()):
        assert truth.all(f.mentions, t, s), (f.text, f.mentions)  # its own account
        reread = parse(f.text, cat.categories[cat.category[t]]).mentions
        assert truth.all(reread, t, s), (f.text, reread)  # and what a reader would parse
        informative += bool(f.mentions)
        if t == s:
            assert f.mode == "found" and f.mentions[0].relation == "found"
    assert informative / len(fb) > 0.85
    assert len({f.text for f in fb}) > 400  # people's variety, not a handful of templates
    vocab = real_vocabulary()
    assert [vocab.decode(row) for row in tokens[:50]] == [
        " ".join(vocab.tokenize(f.text)) for f in fb[:50]]


def test_same_seed_same_caption_whatever_the_batch(small_catalog):
    shopper = RealShopper(small_catalog)
    targets, shown = pairs(small_catalog, 40, seed=1)
    _, alone = speak(shopper, targets[7:8], shown[7:8], [107])
    _, batch = speak(shopper, targets, shown, range(100, 140))
    assert alone[0] == batch[7]
    _, again = speak(shopper, targets, shown, range(100, 140))
    assert again == batch
    d = shopper.dialogs(40, 2)
    d.start(np.arange(40), targets, [np.random.default_rng(s) for s in range(40)])
    d.answer(np.arange(40), shown)
    copy = d.select(np.array([3, 3]))
    assert np.array_equal(copy.answer(np.arange(2), shown[[5, 5]])[0],
                          d.answer(np.array([3]), shown[[5]])[0])


def test_vocabulary_keeps_the_template_ids():
    base, real = default_vocabulary(), real_vocabulary()
    assert real.words[:len(base)] == base.words and len(real) > 3 * len(base)
    assert real.ids("is darker and has no sleeves") == base.ids("is darker and has no sleeves")


def test_config_and_data_errors(tmp_path, small_catalog):
    with pytest.raises(ValueError, match="real.ungrounded must be in"):
        RealConfig(ungrounded=-1)
    with pytest.raises(ValueError, match="real.max_placeholders"):
        RealConfig(max_placeholders=0)
    with pytest.raises(FileNotFoundError, match="missing.json.gz is missing"):
        load_data(str(tmp_path / "missing.json.gz"))
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(b'{"templates": {}')[:20])
    with pytest.raises(ValueError, match="bad.json.gz is damaged"):
        load_data(str(bad))
    nofield = tmp_path / "nofield.json.gz"
    nofield.write_bytes(gzip.compress(json.dumps({"templates": {}}).encode()))
    with pytest.raises(ValueError, match="has no 'forms' field"):
        load_data(str(nofield))
    # Without captions that ground nothing, no caption is ungroundable unless nothing fits.
    strict = RealShopper(small_catalog, RealConfig(ungrounded=0))
    targets, shown = pairs(small_catalog, 300, seed=2)
    _, fb = speak(strict, targets, shown, range(300))
    assert sum(not f.mentions for f in fb) < 10


def test_the_shipped_data_is_rebuilt_from_the_train_captions(shared_data):
    from simulators.real.build import build, read_fashioniq, read_shoes

    caps = read_fashioniq(shared_data / "fashioniq", "train") + read_shoes(
        shared_data / "shoes", "train")
    built = build(caps)
    shipped = load_data()
    assert built["templates"] == shipped["templates"] and built["forms"] == shipped["forms"]
    assert shipped["captions"] == len(caps) > 36_000  # Fashion IQ train + Shoes train pairs
    assert "val" not in json.dumps(shipped["sources"])


def test_the_environment_with_the_real_shopper():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    kw = dict(shopper="real", n_items=600, perception="ground_truth", visual_dim=16,
              info="full")
    env = gym.make("FashionDialog-v0", **kw)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)

    def dialog(seed):
        e = gym.make("FashionDialog-v0", **kw)
        _, info = e.reset(seed=seed)
        texts = [info["text"]]
        for _ in range(4):
            _, _, term, trunc, info = e.step(np.full(e.action_space.shape, 0.1, np.float32))
            texts.append(info["text"])
        return texts

    assert dialog(5) == dialog(5) and dialog(5) != dialog(6)
    venv = gym.make_vec("FashionDialog-v0", num_envs=4, vectorization_mode="vector_entry_point",
                        **kw)
    _, infos = venv.reset(seed=5)
    assert infos["text"][0] == dialog(5)[0]
    obs, *_ = venv.step(np.zeros((4, venv.single_action_space.shape[0]), np.float32))
    assert obs["feedback"].max() < len(real_vocabulary())


def test_captioning_pairs_are_real_captions_true_of_their_pairs(small_catalog):
    from simulators.caption_sources import real_pairs

    pairs = real_pairs(small_catalog, 201, seed=3, split="val")
    shown, target, texts = pairs.shown, pairs.target, pairs.texts
    assert len(shown) == len(target) == len(texts) == 201
    assert np.array_equal(shown[0:200:2], shown[1:201:2])  # two captions per pair
    val = set(small_catalog.indices("val").tolist())
    assert set(shown.tolist()) <= val and set(target.tolist()) <= val
    assert all(small_catalog.category[s] == small_catalog.category[t]
               for s, t in zip(shown, target)) and not np.any(shown == target)
    truth = Truth(small_catalog)
    cats = small_catalog.categories
    assert all(truth.all(parse(x, cats[small_catalog.category[t]]).mentions, t, s)
               for s, t, x in zip(shown.tolist(), target.tolist(), texts))
    again = real_pairs(small_catalog, 201, seed=3, split="val")
    assert again.texts == texts
    with pytest.raises(ValueError, match="n >= 1"):
        real_pairs(small_catalog, 0, seed=3)
