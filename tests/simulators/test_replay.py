"""Recorded dialogs (`dialog_env.recorded`) and their replay in the env (`simulators.replay`)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env.batched import BatchedDialogs
from dialog_env.catalog.real_pairs import Transaction
from dialog_env.recorded import RecordedDialogs, from_transactions, record_dialogs
from simulators.grounding import Truth, parse
from simulators.replay import ReplayShopper, replay_world


@pytest.fixture(scope="module")
def recorded(small_world):
    return record_dialogs(small_world, 300, split="test", seed=4)


def test_recorded_dialogs_are_chains_of_similar_items_leading_to_the_target(small_world,
                                                                            recorded):
    cat, split = small_world.catalog.category, small_world.catalog.split
    assert set(recorded.counts()) <= {1, 2, 3, 4} and recorded.counts()[2] > 100
    for k in range(len(recorded)):
        t = recorded.turns[k]
        chain = [*recorded.references[k, :t].tolist(), int(recorded.targets[k])]
        assert len(set(chain)) == len(chain)  # never repeats, never the target
        assert (cat[chain] == cat[chain[-1]]).all() and (split[chain] == split[chain[-1]]).all()
        assert (recorded.references[k, t:] == chain[t - 1]).all()  # padded with the last
    again = record_dialogs(small_world, 300, split="test", seed=4)
    assert np.array_equal(again.references, recorded.references) and again.texts == \
        recorded.texts
    other = record_dialogs(small_world, 300, split="test", seed=5)
    assert not np.array_equal(other.targets, recorded.targets)


def test_neighbour_lists_are_the_most_similar_items_in_a_machine_independent_order(
        small_world):
    """Each item's list holds its k most similar items of its category (by the ground
    truth) in ascending catalog position: the dialogs draw from it by position, so the
    order must not be left to argpartition's SIMD kernel (it differs between CPUs)."""
    from dialog_env.recorded import neighbour_table

    cat = small_world.catalog
    pool = small_world.split_items["test"]
    table = neighbour_table(cat, pool, 10, np.random.default_rng(0))
    a, o = cat.attributes.astype(np.int64), cat.ordinal.astype(np.int64)
    for i in pool[:50].tolist():
        near = table[i]
        assert len(near) == 10 and np.all(np.diff(near) > 0) and i not in near
        group = pool[(cat.category[pool] == cat.category[i]) & (pool != i)]
        sim = a[group] @ a[i] - np.abs(o[group] - o[i]).sum(1)
        # the chosen ones are at least as similar as any left out (ties broken at random)
        chosen = np.isin(group, near)
        assert sim[chosen].min() >= sim[~chosen].max()


def test_each_caption_describes_the_next_reference_against_this_one(small_world, recorded):
    """Multi-turn FashionIQ's semantics: turn j's caption says how reference j+1 (at the
    last turn, the target) differs from reference j; every groundable word is true of it."""
    truth = Truth(small_world.catalog)
    checked = 0
    for k in range(100):
        t = recorded.turns[k]
        chain = [*recorded.references[k, :t].tolist(), int(recorded.targets[k])]
        for j in range(t):
            shown, nxt = chain[j], chain[j + 1]
            category = small_world.catalog.categories[small_world.catalog.category[nxt]]
            for m in parse(recorded.texts[k][j], category).mentions:
                assert truth.mention(m, nxt, shown), (recorded.texts[k][j], m)
                checked += 1
    assert checked > 100


def test_replay_reproduces_the_recorded_dialog(small_world, recorded):
    env = gym.make("FashionDialog-v0", world=replay_world(small_world, recorded),
                   split="test", max_turns=10)
    core = env.unwrapped.core
    vocab = small_world.shopper.vocab
    for k in (0, 7, 123):
        obs, _ = env.reset(seed=k, options={"dialog": k})
        t = int(recorded.turns[k])
        assert core.target[0] == recorded.targets[k]
        steps, done = 0, False
        while not done:
            assert np.array_equal(obs["feedback"], vocab.encode(recorded.texts[k][steps], 24)[
                :len(obs["feedback"])])
            obs, _, term, trunc, _ = env.step(env.action_space.sample())
            steps += 1
            done = term or trunc
        assert steps == t  # T recorded turns: T steps, the last ranks the final query
        assert core.shown[0, :t].tolist() == recorded.references[k, :t].tolist()
        assert [f.text for f in core.feedback(0)][:t] == recorded.texts[k]
    check_env(env.unwrapped)


def test_the_recording_wins_over_the_agent_and_a_random_dialog_is_seeded(small_world,
                                                                         recorded):
    world = replay_world(small_world, recorded)
    core = BatchedDialogs(world, 6, world.episode(split="test", max_turns=10))
    core.reset(seeds=range(6))
    ks = core.script.copy()
    assert np.array_equal(core.target, recorded.targets[ks])
    again = BatchedDialogs(world, 6, world.episode(split="test", max_turns=10))
    again.reset(seeds=range(6))
    assert np.array_equal(again.script, ks)
    q = np.zeros((6, world.dim), np.float32)
    core.show(np.zeros(6, np.int64), q + 1.0)  # the learner asks for item 0: not shown
    two = recorded.turns[ks] >= 2
    assert np.array_equal(core.shown[two, 1], recorded.references[ks[two], 1])
    copy = core.clone()
    assert np.array_equal(copy.limit, core.limit) and np.array_equal(copy.script, ks)


def test_replay_errors_name_the_problem(small_world, recorded):
    world = replay_world(small_world, recorded)
    env = gym.make("FashionDialog-v0", world=world, split="test")
    with pytest.raises(ValueError, match="'dialog'.*out of range 0..299"):
        env.reset(options={"dialog": 300})
    with pytest.raises(ValueError, match="take only 'dialog'"):
        env.reset(options={"target": 3})
    with pytest.raises(ValueError, match="fixes the target"):
        env.reset(options={"dialog": 1, "target": 3})
    with pytest.raises(ValueError, match="split 'test', the episodes of 'train'"):
        gym.make("FashionDialog-v0", world=world, split="train")
    plain = gym.make("FashionDialog-v0", world=small_world, split="test")
    with pytest.raises(ValueError, match="needs a replay shopper"):
        plain.reset(options={"dialog": 0})
    with pytest.raises(TypeError, match="RecordedDialogs"):
        ReplayShopper([1, 2])
    with pytest.raises(TypeError, match="needs vocab=: the vocabulary of the world"):
        ReplayShopper(recorded)  # replay speaks the world's vocabulary, never a sibling's
    with pytest.raises(ValueError, match="2 turns, 1 texts"):
        RecordedDialogs(np.zeros((1, 2), np.int64), np.array([2]), np.array([1]), [["a"]],
                        "test")


def test_transactions_become_item_indices_and_missing_images_are_reported(small_world):
    ids = small_world.catalog.item_ids
    good = Transaction((ids[0], ids[1]), (("is red", ""), ("is blue",)), ids[2], "dress",
                       "val")
    lost = Transaction((ids[0], "B000MISSING"), (("x",), ("y",)), ids[3], "dress", "val")
    other = Transaction((ids[4],), (("z",),), ids[5], "dress", "train")
    with pytest.warns(UserWarning, match="1 of 3 dialogs name an item not in the catalog"):
        rec = from_transactions(small_world.catalog, [good, lost, other], split="val")
    assert rec.references.tolist() == [[0, 1]] and rec.targets.tolist() == [2]
    assert rec.texts == [["is red", "is blue"]] and rec.turns.tolist() == [2]


def test_a_learner_trains_on_recorded_dialogs(small_world, tmp_path):
    from agents.learners import LearnerConfig, train
    from agents.model import DialogAgent
    from agents.policy import config_for_world

    rec = record_dialogs(small_world, 200, split="train", seed=0)
    world = replay_world(small_world, rec)
    agent = DialogAgent.from_seed(config_for_world(
        "fashionntm", world, embed_dim=16, text_hidden=16, text_dim=16, response_dim=16,
        hidden=16, slots=4, width=8, controller=16), 0)
    before = [p.detach().clone() for p in agent.parameters()]
    train(agent, world, [("supervised", LearnerConfig(steps=2, batch=8, turns=4,
                                                      checkpoint_every=1))],
          tmp_path, progress=False)
    assert sum(not torch.equal(a, b) for a, b in zip(before, agent.parameters())) > 0


def test_run_replay_ranks_the_final_query_like_a_direct_computation(small_world, recorded):
    """The anchor agent's last query is the last reference's own vector: its final rank is
    the target's rank among all items but the shown references, computed here directly."""
    from agents.reference import AnchorAgent
    from dialog_env.evaluation import run_replay

    sub = recorded.subset(np.arange(60))
    out = run_replay(replay_world(small_world, sub), AnchorAgent(), batch_size=16,
                     progress=False)
    items = small_world.db.items
    for k in range(len(sub)):
        t = sub.turns[k]
        scores = items @ items[sub.references[k, t - 1]]
        shown = set(sub.references[k, :t].tolist())
        better = [i for i in np.flatnonzero(scores > scores[sub.targets[k]]) if i not in shown]
        assert out["final"][k] == len(better)
        assert (out["ranks"][k, t:] == out["final"][k]).all()
    with pytest.raises(ValueError, match="needs a world with a replay shopper"):
        run_replay(small_world, AnchorAgent())


def test_loader_dialogs_and_pairs_become_recorded_dialogs():
    from dialog_env.catalog.multiturn import IndexDialog
    from dialog_env.catalog.real import IndexPair
    from dialog_env.recorded import from_dialogs

    dialogs = [IndexDialog((4, 5, 6), (("a", "b"), ("c",), ("d",)), 7, "val"),
               IndexDialog((1,), (("e",),), 2, "train")]
    rec = from_dialogs(dialogs, "val", join="and")
    assert rec.references.tolist() == [[4, 5, 6]] and rec.texts == [["a and b", "c", "d"]]
    pairs = [IndexPair(3, 9, ("is red", "is shorter"), "val"),
             IndexPair(3, -1, ("x", "y"), "val")]  # hidden target (Fashion IQ test): skipped
    rec = from_dialogs(pairs, "val", join="and")
    assert rec.references.tolist() == [[3]] and rec.targets.tolist() == [9]
    assert rec.texts == [["is red and is shorter"]]
    with pytest.raises(ValueError, match="no dialog of split 'test'"):
        from_dialogs(pairs, "test")


def test_multiturn_fashioniq_replayed_over_its_real_catalog(tmp_path):
    """The public Multi-turn FashionIQ format on disk -> its catalog world (gym.make with
    dataset=/root=) -> its val dialogs replayed: the recorded references are shown and
    the recorded captions said, in order."""
    import warnings

    from dialog_env.catalog.datasets import load_dataset
    from dialog_env.config import EnvConfig, ItemSpaceConfig
    from dialog_env.features.attrnet import AttrNetConfig
    from dialog_env.recorded import from_dialogs
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture

    multiturn_fixture(tmp_path)
    config = EnvConfig(items=ItemSpaceConfig(perception="attrnet", attrnet=AttrNetConfig(
        dim=8, channels=(4,), epochs=1, image_size=8)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fixture's overlap and its dialog outside
        env = gym.make("FashionDialog-v0", config=config, dataset="multiturn-fashioniq",
                       root=str(tmp_path), shopper="template", image_size=8, split="val")
        catalog, dialogs, kind = load_dataset("multiturn-fashioniq", tmp_path, image_size=8)
    world = env.unwrapped.world
    assert kind == "dialogs" and list(catalog.item_ids) == list(world.catalog.item_ids)
    rec = from_dialogs(dialogs, "val")
    ids = world.catalog.item_ids
    assert [[ids[i] for i in rec.references[k, :rec.turns[k]]] for k in range(2)] == \
        [["V1"], ["V2", "V1"]]
    replay = gym.make("FashionDialog-v0", world=replay_world(world, rec), split="val")
    core = replay.unwrapped.core
    replay.reset(options={"dialog": 1})
    assert ids[core.target[0]] == "V3"
    for _ in range(2):
        *_, term, trunc, _ = replay.step(replay.action_space.sample())
    assert trunc or term
    assert [ids[i] for i in core.shown[0, :2]] == ["V2", "V1"]
    assert [f.text for f in core.feedback(0)][:2] == ["is darker and has stripes", "is red"]


def test_a_dialogs_category_is_its_files_not_its_target_items():
    """An ASIN under two categories is one item, of the first; a shirt dialog whose target
    is filed under dress still counts as a shirt dialog."""
    from dialog_env.catalog.multiturn import IndexDialog
    from dialog_env.recorded import from_dialogs

    class Catalog:
        categories = ("dress", "shirt")
        category = np.array([0, 0, 1])

    rec = from_dialogs([IndexDialog((2,), (("a",),), 0, "val", "shirt"),
                        IndexDialog((0,), (("b",),), 1, "val", "dress")], "val")
    assert rec.category_codes(Catalog()).tolist() == [1, 0]
    assert rec.subset([0]).categories == ["shirt"]
    unnamed = from_dialogs([IndexDialog((2,), (("a",),), 0, "val")], "val")
    assert unnamed.categories is None and unnamed.category_codes(Catalog()).tolist() == [0]
