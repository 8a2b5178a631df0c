"""The episode source (`dialog_env.episodes`): the core starts dialogs only through it and
knows no replay shopper."""

import re
from pathlib import Path

import numpy as np
import pytest

from dialog_env.batched import BatchedDialogs
from dialog_env.episodes import RecordedScript, SampledStarts
from dialog_env.recorded import record_dialogs
from dialog_env.world import DialogWorld

ROOT = Path(__file__).resolve().parents[2]


def test_the_core_knows_no_recording_and_calls_no_play():
    source = (ROOT / "dialog_env" / "batched.py").read_text()
    assert not re.search(r"getattr\([^)]*[\"']recorded[\"']", source)
    assert "play(" not in source
    assert not re.search(r"\breplay\b|ReplayShopper|\.recorded\b", source)


def test_a_world_starts_sampled_dialogs_by_default(fake_world):
    assert isinstance(fake_world.episodes, SampledStarts)


def test_sampled_starts_draw_two_uniforms_per_dialog_from_its_own_generator(fake_world):
    """Target then first item, from the dialog's generator: the same arithmetic as before
    the source existed (target = pool[u0 * n], first = the category without the target)."""
    core = BatchedDialogs(fake_world, 5, fake_world.episode(split="test", max_turns=3))
    rngs = [np.random.default_rng(k) for k in range(5)]
    core.reset(rngs=[np.random.default_rng(k) for k in range(5)])
    pool = fake_world.split_items["test"]
    pools = fake_world.category_pools
    for k, rng in enumerate(rngs):
        u = rng.random(2)
        t = pool[int(u[0] * len(pool))]
        c = fake_world.catalog.category[t]
        j = int(u[1] * (pools.size[c] - 1))
        j += j >= pools.pos[t]
        assert core.target[k] == t and core.candidate[k] == pools.flat[pools.start[c] + j]
    assert (core.script == -1).all() and (core.limit == 3).all()


def test_a_recorded_script_without_a_replay_shopper_scripts_the_items(small_world):
    """The script decides targets and shown items; any shopper says what it sees, and the
    core asks the database for no best item on scripted turns."""
    rec = record_dialogs(small_world, 20, split="test", seed=1)
    world = DialogWorld(small_world.catalog, small_world.space, small_world.db,
                        small_world.shopper, small_world.config, RecordedScript(rec))
    core = BatchedDialogs(world, 4, world.episode(split="test", max_turns=10))
    core.reset(seeds=range(4), options=[{"dialog": k} for k in range(4)])
    assert core.target.tolist() == rec.targets[:4].tolist()
    calls = []
    rank = world.db._rank_and_best_checked

    def spy(q, t, ex=None, best=True):
        calls.append((len(q), best))
        return rank(q, t, ex, best=best)

    world.db._rank_and_best_checked = spy
    try:
        core.step(np.ones((4, world.dim), np.float32))
    finally:
        del world.db._rank_and_best_checked
    scripted = rec.turns[:4] > 1
    assert core.shown[scripted, 1].tolist() == rec.references[:4][scripted, 1].tolist()
    assert sum(n for n, best in calls if best) == int((~scripted).sum())
    with pytest.raises(ValueError, match="take only 'dialog'"):
        core.reset(options=[{"target": 1}] * 4)


def test_the_split_of_the_recording_must_be_the_episodes(small_world):
    rec = record_dialogs(small_world, 5, split="test", seed=1)
    with pytest.raises(ValueError, match="split 'test', the episodes of 'val'"):
        RecordedScript(rec).check("val")
    with pytest.raises(TypeError, match="RecordedDialogs"):
        RecordedScript([1])


def test_a_replay_shopper_instance_gets_its_recording_as_the_script(small_world):
    """`make_world(shopper=ReplayShopper(rec))` wires the recorded script (as the replay
    shopper once found by itself); a hand-assembled world without it says what is missing."""
    from dialog_env.factory import make_world, replay_world
    from simulators.replay import ReplayShopper
    from simulators.replay import replay_world as old_name

    rec = record_dialogs(small_world, 10, split="test", seed=2)
    shopper = ReplayShopper(rec, vocab=small_world.shopper.vocab)
    world = make_world(small_world.config, shopper=shopper, progress=False)
    assert isinstance(world.episodes, RecordedScript) and world.episodes.shopper is shopper
    core = BatchedDialogs(world, 3, world.episode(split="test"))
    core.reset(seeds=range(3))
    assert np.array_equal(core.target, rec.targets[core.script])
    assert isinstance(old_name(small_world, rec).episodes, RecordedScript)
    assert isinstance(replay_world(small_world, rec).episodes, RecordedScript)
    bare = DialogWorld(small_world.catalog, small_world.space, small_world.db, shopper)
    with pytest.raises(RuntimeError, match="RecordedScript"):
        BatchedDialogs(bare, 2, bare.episode(split="test")).reset(seeds=range(2))
