"""The neural shopper: Fashion IQ's relative captioner (three variants), its decoding, its
checkpoints, and the environment with it (tiny sizes, a 400-item catalog)."""

from __future__ import annotations

import dataclasses
import itertools
import json

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

import dialog_env  # noqa: E402,F401
from dialog_env.config import env_config  # noqa: E402
from dialog_env.features.attrnet import AttrNetConfig  # noqa: E402
from simulators.neural import NeuralConfig  # noqa: E402
from simulators.neural.checkpoint import (  # noqa: E402
    CheckpointError,
    load_checkpoint,
    paths,
    save_checkpoint,
)
from simulators.neural.decode import beam_search, greedy  # noqa: E402
from simulators.neural.train import train_captioner  # noqa: E402
from simulators.registry import ShopperConfig  # noqa: E402
from simulators.vocab import Vocabulary  # noqa: E402

WORDS = "is red blue longer shorter and darker with buttons a dress".split()
TEXTS = ["is red", "is blue and longer", "with buttons", "is darker", "is shorter with buttons",
         "a red dress", "is longer", "with buttons and darker"]
TINY = dict(embed=32, hidden=32, batch=8, lr=1e-2, max_len=8)
SMALL_NET = AttrNetConfig(dim=16, channels=(8, 16), epochs=3, batch_size=32, seed=1,
                          image_size=32)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def toy():
    """20 items with random features, 8 captioned pairs, a 13-word vocabulary."""
    rng = np.random.default_rng(0)
    visual = rng.normal(size=(20, 8)).astype(np.float32)
    attributes = rng.random((20, 6)).astype(np.float32)
    return visual, attributes, np.arange(8), np.arange(8, 16), Vocabulary(WORDS)


def _decode(model, toy, decoding="greedy", **kw):
    visual, attributes, shown, target, _ = toy
    v, a = torch.as_tensor(visual), torch.as_tensor(attributes)
    s, t = torch.as_tensor(shown), torch.as_tensor(target)
    return model.decode(v[s], a[s], v[t], a[t], 8, decoding, **kw)


@pytest.fixture(scope="module")
def trained(toy):
    visual, attributes, shown, target, vocab = toy
    out = {}
    for variant in ("image", "attribute", "attention"):
        cfg = NeuralConfig(variant=variant, steps=150, **TINY)
        out[variant] = train_captioner(shown, target, TEXTS, visual, attributes, vocab, cfg,
                                       progress=False)
    return out


def test_config_is_validated_by_name():
    for bad, match in ((dict(variant="lstm"), "neural.variant 'lstm'"),
                       (dict(embed=0), "neural.embed must be >= 1, got 0"),
                       (dict(decoding="topk"), "neural.decoding 'topk'"),
                       (dict(temperature=0.0), "neural.temperature must be > 0"),
                       (dict(lr=0), "neural.lr must be > 0")):
        with pytest.raises(ValueError, match=match):
            NeuralConfig(**bad)
    with pytest.raises(TypeError, match="neural.steps must be an integer"):
        NeuralConfig(steps=1.5)
    from pathlib import Path

    assert NeuralConfig(checkpoint=Path("a/b.safetensors")).checkpoint == "a/b.safetensors"
    config = env_config(shopper=ShopperConfig(name="neural", neural=NeuralConfig(
        checkpoint=Path("a/b.safetensors"))))
    assert json.loads(json.dumps(config.to_dict()))["shopper"]["neural"]["checkpoint"] == \
        "a/b.safetensors"  # results files record it


@pytest.mark.parametrize("variant", ["image", "attribute", "attention"])
def test_each_variant_overfits_a_few_pairs(trained, toy, variant):
    model, losses = trained[variant]
    assert losses[-1] < 0.05 * losses[0]
    vocab = toy[4]
    said = [vocab.decode(r.tolist()) for r in _decode(model, toy)]
    assert said == TEXTS
    assert [vocab.decode(r.tolist()) for r in _decode(model, toy, "beam", beam_size=3)] == TEXTS


def test_training_is_deterministic_for_a_seed(toy):
    visual, attributes, shown, target, vocab = toy
    cfg = NeuralConfig(variant="attention", steps=5, **TINY)
    (m1, l1), (m2, l2) = (train_captioner(shown, target, TEXTS, visual, attributes, vocab,
                                          cfg, progress=False) for _ in range(2))
    assert l1 == l2
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(),
                                                 m2.state_dict().values()))


# -- beam search on a hand-built decoder -----------------------------------------------
W, BOS = 3, 3  # ids: 0 END, 1 "a", 2 "b"; BOS only as input


def table_step(table: torch.Tensor):
    """A decoder whose next-token log-probabilities depend on the whole prefix: the state
    is the prefix's code in base W + 1."""
    def step(state, prev):
        code = state[0][:, 0] * (W + 1) + prev  # (n,)
        return table[code], (code[:, None],)
    return step


def exhaustive(step, max_len: int) -> tuple[list[int], float]:
    """The best sequence of 1 to `max_len` words by total log-probability (END counted
    when the sequence ends before `max_len`), by enumeration."""
    best, best_score = None, float("-inf")
    for n in range(1, max_len + 1):
        for words in itertools.product(range(1, W), repeat=n):
            state, prev, score = (torch.zeros(1, 1, dtype=torch.long),), torch.tensor([BOS]), 0.
            for w in [*words, 0][:max_len]:
                logits, state = step(state, prev)
                score += float(torch.log_softmax(logits.float(), -1)[0, w])
                prev = torch.tensor([w])
            if score > best_score:
                best, best_score = list(words), score
    return best, best_score


def _run(search, step, max_len, **kw):
    state = (torch.zeros(1, 1, dtype=torch.long),)
    out = search(step, state, 1, max_len, BOS, **kw)[0].tolist()
    return [w for w in out if w != 0]


def test_beam_search_finds_the_better_path_greedy_misses():
    table = torch.full(((W + 1) ** 3, W), 0.0)
    root, after_a, after_b = BOS, BOS * (W + 1) + 1, BOS * (W + 1) + 2
    table[root] = torch.tensor([0.0, 0.6, 0.4]).clamp(min=1e-9).log()
    table[after_a] = torch.tensor([0.34, 0.33, 0.33]).log()  # "a" leads to a flat choice
    table[after_b] = torch.tensor([0.99, 0.005, 0.005]).log()  # "b" then END, surely
    step = table_step(table)
    assert _run(greedy, step, 2) == [1]  # total 0.6 * 0.34 = 0.204
    assert _run(beam_search, step, 2, beam_size=2) == [2]  # total 0.4 * 0.99 = 0.396
    assert exhaustive(step, 2)[0] == [2]


@pytest.mark.parametrize("seed", range(4))
def test_a_wide_beam_equals_exhaustive_enumeration(seed):
    max_len = 3
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(((W + 1) ** (max_len + 1), W), generator=g) * 2
    step = table_step(table)
    words, _ = exhaustive(step, max_len)
    assert _run(beam_search, step, max_len, beam_size=(W - 1) ** max_len + 1) == words
    # With END likely first, greedy and beam still say a word.
    table[BOS, 0] = 50.0
    assert len(_run(greedy, step, max_len)) >= 1
    assert len(_run(beam_search, step, max_len, beam_size=4)) >= 1


# -- sampling ---------------------------------------------------------------------------
def test_sampling_is_seeded_per_row_and_becomes_greedy_at_low_temperature(trained, toy):
    model = trained["attention"][0]
    seeds = list(range(100, 108))
    a = _decode(model, toy, "sample", temperature=3.0, seeds=seeds)
    assert torch.equal(a, _decode(model, toy, "sample", temperature=3.0, seeds=seeds))
    assert not torch.equal(a, _decode(model, toy, "sample", temperature=3.0,
                                      seeds=[s + 1 for s in seeds]))
    # Row 3 alone says what it says in the batch.
    visual, attributes, shown, target, _ = toy
    v, at = torch.as_tensor(visual), torch.as_tensor(attributes)
    one = model.decode(v[[3]], at[[3]], v[[target[3]]], at[[target[3]]], 8, "sample",
                       temperature=3.0, seeds=[seeds[3]])
    assert torch.equal(one[0], a[3])
    assert torch.equal(_decode(model, toy, "sample", temperature=1e-6, seeds=seeds),
                       _decode(model, toy))
    assert torch.equal(_decode(model, toy, "sample", temperature=2.0, seed=5),
                       _decode(model, toy, "sample", temperature=2.0, seed=5))


# -- checkpoints ------------------------------------------------------------------------
def test_checkpoint_round_trip_is_bit_identical(trained, toy, tmp_path):
    model = trained["attention"][0]
    path = save_checkpoint(tmp_path / "cap", model, toy[4], 8, {"data": "toy"},
                           {"steps": 150}, {"decoding": "greedy"})
    ckpt = load_checkpoint(path, visual_dim=8, attr_dim=6, vocab_size=len(toy[4]))
    before, after = model.state_dict(), ckpt.model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert ckpt.vocab.words == toy[4].words and ckpt.max_len == 8
    assert torch.equal(_decode(ckpt.model, toy, "beam"), _decode(model, toy, "beam"))
    record = json.loads(paths(path)[1].read_text())
    assert record["sizes"]["variant"] == "attention" and record["words"][0] == "<pad>"


def _edit_record(path, edit):
    config = paths(path)[1]
    record = json.loads(config.read_text())
    edit(record)
    config.write_text(json.dumps(record))


def test_bad_checkpoints_raise_errors_naming_the_file_and_the_problem(trained, toy, tmp_path):
    model = trained["image"][0]

    def fresh(name):
        return save_checkpoint(tmp_path / name, model, toy[4], 8, {})

    with pytest.raises(CheckpointError, match="nowhere.safetensors does not exist"):
        load_checkpoint(tmp_path / "nowhere.safetensors")
    path = fresh("truncated")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.safetensors.*truncated, half-written"):
        load_checkpoint(path)
    path = fresh("halfjson")
    config = paths(path)[1]
    config.write_text(config.read_text()[:50])
    with pytest.raises(CheckpointError, match="halfjson.json: not valid JSON"):
        load_checkpoint(path)
    path = fresh("sizes")
    _edit_record(path, lambda r: r["sizes"].update(hidden=48))
    with pytest.raises(CheckpointError, match="sizes.json: sizes .* do not match the weights"):
        load_checkpoint(path)
    path = fresh("dims")
    with pytest.raises(CheckpointError, match="dims.json: trained on features with "
                                              "visual_dim = 8, the world's features have 9"):
        load_checkpoint(path, visual_dim=9, attr_dim=6)
    with pytest.raises(CheckpointError, match="vocabulary size mismatch.*13 word ids.* 20"):
        load_checkpoint(path, vocab_size=20)
    path = fresh("vocab")
    _edit_record(path, lambda r: r["words"].pop())
    with pytest.raises(CheckpointError, match="vocab.json: vocabulary size mismatch: 12 "
                                              "words in the list, sizes.n_words = 13"):
        load_checkpoint(path)


# -- the shopper and the environment ----------------------------------------------------
def _config(**neural):
    base = env_config(n_items=400, catalog_seed=11, image_size=32, visual_dim=16,
                      perception="attrnet", max_turns=5)
    shopper = ShopperConfig(name="neural", neural=NeuralConfig(attrnet=SMALL_NET, **neural))
    return dataclasses.replace(base, items=dataclasses.replace(base.items, attrnet=SMALL_NET),
                               shopper=shopper)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny captioner trained on the 400-item catalog's AttrNet features (first use)."""
    from dialog_env.factory import make_world

    world = make_world(_config(steps=30, pairs=400, **TINY), progress=False)
    shopper = world.shopper
    path = shopper.checkpoint["path"]
    assert path.startswith(world.catalog.meta["cache_dir"])  # cached next to the catalog
    return path


def test_first_use_training_is_cached_and_loaded_again(checkpoint, monkeypatch):
    from dialog_env.catalog import load_synthetic
    from simulators.neural import NeuralShopper, train

    def no_training(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr(train, "train_on_catalog", no_training)
    catalog = load_synthetic(400, seed=11, image_size=32, progress=False)
    shopper = NeuralShopper(catalog, NeuralConfig(attrnet=SMALL_NET, steps=30, pairs=400,
                                                  **TINY), progress=False)
    assert shopper.checkpoint["training"]["steps"] == 30 and shopper.width == 8
    with pytest.raises(ValueError, match="neural shopper always perceives"):
        gym.make("FashionDialog-v0", config=dataclasses.replace(
            _config(), shopper=ShopperConfig(name="neural", sees="predictions")))


def test_the_world_s_shopper_reads_the_world_s_attrnet_features(checkpoint, monkeypatch):
    from dialog_env import factory, item_space
    from simulators.neural.shopper import attrnet_space

    def no_features(*a, **k):
        raise AssertionError("the shopper built the AttrNet features again")

    monkeypatch.setattr(factory, "_shoppers", {})
    monkeypatch.setattr(item_space, "build_item_space", no_features)  # the shopper's import
    world = factory.make_world(_config(checkpoint=checkpoint), progress=False)
    assert np.array_equal(world.shopper.visual.numpy(), world.space.visual)
    assert np.array_equal(world.shopper.attributes.numpy(), world.space.attributes)
    other = NeuralConfig(attrnet=dataclasses.replace(SMALL_NET, seed=2))
    assert attrnet_space(world.space, world.catalog, world.shopper.config)
    assert not attrnet_space(world.space, world.catalog, other)  # another AttrNet: its own
    assert not attrnet_space(None, world.catalog, world.shopper.config)
    monkeypatch.undo()
    # The features it would build itself are the same ones (same cache, same centring).
    from simulators.neural import NeuralShopper

    own = NeuralShopper(world.catalog, world.shopper.config, progress=False)
    assert np.array_equal(own.visual.numpy(), world.space.visual)
    assert np.array_equal(own.attributes.numpy(), world.space.attributes)


@pytest.mark.parametrize("decoding", ["sample", "beam"])
def test_the_env_with_the_neural_shopper_passes_the_checkers(checkpoint, decoding):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    config = _config(checkpoint=checkpoint, decoding=decoding, temperature=1.5)
    env = gym.make("FashionDialog-v0", config=config, info="full")
    assert env.unwrapped.world.shopper.name == "neural"
    assert env.unwrapped.world.shopper.config.hidden == 32  # the checkpoint's sizes
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)


def _texts(env, seed, actions):
    _, info = env.reset(seed=seed)
    out = [info["text"]]
    for a in actions:
        _, _, term, trunc, info = env.step(a)
        out.append(info["text"])
        if term or trunc:
            break
    return out


def test_the_env_with_the_neural_shopper_is_deterministic_per_seed(checkpoint):
    config = _config(checkpoint=checkpoint, decoding="sample", temperature=1.5)
    env = gym.make("FashionDialog-v0", config=config, info="full")
    dim = env.action_space.shape[0]
    actions = np.random.default_rng(0).uniform(-1, 1, (5, dim)).astype(np.float32)
    runs = {seed: _texts(env, seed, actions) for seed in range(4)}
    assert runs[0] == _texts(env, 0, actions)
    assert len({tuple(r) for r in runs.values()}) > 1
    assert all(isinstance(t, str) and t for r in runs.values() for t in r)
    # The vector env says what the single envs say.
    n = 3
    venv = gym.make_vec("FashionDialog-v0", num_envs=n, vectorization_mode="vector_entry_point",
                        config=config, info="full")
    _, vinfo = venv.reset(seed=10)
    vtexts = [[t] for t in vinfo["text"]]
    for a in actions:
        _, _, term, trunc, vi = venv.step(np.repeat(a[None], n, 0))
        for i in range(n):
            vtexts[i].append(vi["text"][i])
    for i in range(n):
        single = _texts(env, 10 + i, actions)
        assert vtexts[i][:len(single)] == single


def test_select_copies_dialogs(checkpoint):
    from dialog_env.factory import make_world

    shopper = make_world(_config(checkpoint=checkpoint, decoding="sample"),
                         progress=False).shopper
    dialogs = shopper.dialogs(3, 4)
    dialogs.start(np.arange(3), np.array([5, 6, 7]),
                  [np.random.default_rng(s) for s in range(3)])
    dialogs.answer(np.arange(3), np.array([1, 2, 7]))
    assert dialogs.feedback(2)[0].mode == "found"
    assert dialogs.feedback(2)[0].mentions[0].relation == "found"
    copy = dialogs.select(np.array([0, 0, 1]))
    said = copy.answer(np.arange(3), np.array([9, 9, 10]))
    assert len(dialogs.feedback(0)) == 1 and len(copy.feedback(0)) == 2
    again = dialogs.answer(np.array([0, 1]), np.array([9, 10]))
    assert np.array_equal(again, said[[0, 2]]) and np.array_equal(said[0], said[1])
    fb = copy.feedback(0)[1]
    assert fb.text == shopper.vocab.decode(said[0]) and fb.tokens == tuple(w for w in said[0]
                                                                            if w)


def test_the_captioner_report_runs_on_a_tiny_budget(tmp_path):
    from dialog_env.config import CatalogConfig
    from experiments.captioner_report import Args, group_references, main

    shown, target, refs = group_references(np.array([1, 1, 2]), np.array([5, 5, 6]),
                                           ["a", "b", "c"])
    assert shown.tolist() == [1, 2] and target.tolist() == [5, 6] and refs == [["a", "b"],
                                                                               ["c"]]
    pytest.importorskip("sacrebleu")
    pytest.importorskip("pycocoevalcap")
    args = Args(catalog=CatalogConfig(n_items=400, seed=11, image_size=32),
                neural=NeuralConfig(attrnet=SMALL_NET, steps=10, pairs=200, **TINY),
                test_pairs=60, out=tmp_path, quiet=True)
    report = main(args)
    assert set(report["variants"]) == {"image", "attribute", "attention"}
    assert report["test"]["captions"] == 60 and report["data"] == "real"
    text = (tmp_path / "table.md").read_text()
    assert "#3 attribute-aware attention" in text and "61.3 | 19.7 | 55.5 | 59.4" in text
    assert json.loads((tmp_path / "report.json").read_text())["variants"]["image"]["steps"] == 10


@pytest.mark.parametrize("changes, named", [
    (dict(test_pairs=0), "--test-pairs must be >= 1, got 0"),
    (dict(variants=("lstm",)), r"--variants: unknown \['lstm'\]"),
])
def test_the_captioner_report_refuses_bad_arguments(tmp_path, changes, named):
    from experiments.captioner_report import Args, main

    with pytest.raises(SystemExit, match=named):
        main(Args(out=tmp_path / "c", **changes))
    assert not (tmp_path / "c").exists()
