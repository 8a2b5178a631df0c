"""The vector env's three Gymnasium autoreset modes: each gives the same dialogs as
Gymnasium's own `SyncVectorEnv` over single envs in that mode (observations, rewards,
ends, infos, `final_obs` / `final_info`), hence as single envs with the same seeds."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import dialog_env  # noqa: F401
from dialog_env.vector import FashionDialogVectorEnv

N, TURNS = 4, 3


def ours(world, mode, **kw):
    return gym.make_vec("FashionDialog-v0", num_envs=N, vectorization_mode="vector_entry_point",
                        world=world, max_turns=TURNS, autoreset_mode=mode, **kw)


def gymnasiums(world, mode, **kw):
    return gym.make_vec("FashionDialog-v0", num_envs=N, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": mode}, world=world, max_turns=TURNS,
                        **kw)


def same_obs(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def same_infos(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        if key.startswith("_"):
            assert np.array_equal(a[key], b[key]), key
        elif isinstance(a[key], dict):
            same_infos(a[key], b[key])
        else:
            mask = a[f"_{key}"]
            for x, y in zip(a[key][mask], b[key][mask]):
                assert same_obs(x, y) if key == "final_obs" else x == y, key


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("info", ["numeric", "full", None])
def test_each_mode_equals_gymnasiums_sync_vector_env(fake_world, mode, info):
    a, b = ours(fake_world, mode, info=info), gymnasiums(fake_world, mode, info=info)
    assert a.autoreset_mode == mode == a.metadata["autoreset_mode"]
    rng = np.random.default_rng(0)
    (oa, ia), (ob, ib) = a.reset(seed=5), b.reset(seed=5)
    assert same_obs(oa, ob)
    same_infos(ia, ib)
    ends = 0
    for _ in range(3 * TURNS + 2):
        act = rng.uniform(-1, 1, (N, fake_world.dim)).astype(np.float32)
        ra, rb = a.step(act), b.step(act)
        assert same_obs(ra[0], rb[0])
        for x, y in zip(ra[1:4], rb[1:4]):
            assert np.array_equal(x, y)
        same_infos(ra[4], rb[4])
        ended = ra[2] | ra[3]
        ends += int(ended.sum())
        if mode == AutoresetMode.DISABLED and ended.any():
            (oa, ia), (ob, ib) = (v.reset(options={"reset_mask": ended.copy()}) for v in (a, b))
            assert same_obs(oa, ob)
            same_infos(ia, ib)
    assert ends >= N  # every sub-env went through at least one episode end


def test_same_step_final_obs_is_the_single_envs_last_observation(fake_world):
    venv = ours(fake_world, "same_step", info="full")
    obs, _ = venv.reset(seed=11)
    env = gym.make("FashionDialog-v0", world=fake_world, max_turns=TURNS, info="full")
    single, _ = env.reset(seed=11)
    assert same_obs(single, {k: v[0] for k, v in obs.items()})
    act = np.zeros((N, fake_world.dim), np.float32)
    for _ in range(TURNS):
        obs, rew, term, trunc, info = venv.step(act)
        single, r, te, tr, sinfo = env.step(act[0])
        assert r == rew[0] and (te, tr) == (term[0], trunc[0])
        if te or tr:
            break
    assert info["_final_obs"][0] and same_obs(info["final_obs"][0], single)
    assert info["final_info"]["text"][0] == sinfo["text"]
    assert info["final_info"]["turn"][0] == sinfo["turn"] >= 1
    # The sub-env started its next episode in the same step, as the single env's reset does.
    single, sinfo = env.reset()
    assert same_obs(single, {k: v[0] for k, v in obs.items()}) and obs["turn"][0] == 0
    assert info["text"][0] == sinfo["text"]


def test_disabled_mode_resets_masked_envs_only_and_refuses_ended_ones(fake_world):
    venv = ours(fake_world, AutoresetMode.DISABLED)
    act = np.zeros((N, fake_world.dim), np.float32)
    with pytest.raises(RuntimeError, match="reset_mask"):
        venv.step(act)  # never reset
    venv.reset(seed=0)
    for _ in range(TURNS):
        venv.step(act)
    core = venv.unwrapped.core
    assert core.done.all()
    with pytest.raises(RuntimeError, match=r"sub-envs \[0, 1, 2, 3\] have ended"):
        venv.step(act)
    mask = np.array([True, False, True, False])
    obs, info = venv.reset(seed=100, options={"reset_mask": mask})
    assert np.array_equal(info["_turn"], mask) and (obs["turn"][mask] == 0).all()
    assert (obs["turn"][~mask] == TURNS).all() and np.array_equal(core.done, ~mask)
    single, _ = gym.make("FashionDialog-v0", world=fake_world).reset(seed=102)
    assert same_obs(single, {k: v[2] for k, v in obs.items()})  # seed + index, as Gymnasium
    with pytest.raises(RuntimeError, match=r"sub-envs \[1, 3\]"):
        venv.step(act)
    for bad in (np.zeros(N, bool), np.ones(N + 1, bool), np.ones(N)):
        with pytest.raises(ValueError, match="reset_mask"):
            venv.reset(options={"reset_mask": bad})
    per_env = [{"target": 7}, None, {"target": 9}, None]
    venv.reset(options={"reset_mask": ~mask, "per_env": per_env})  # entries of masked envs
    assert core.target[1] != 7 and not core.done.any()


def test_autoreset_mode_names_and_errors(fake_world):
    for name, mode in (("next_step", AutoresetMode.NEXT_STEP), ("SAME_STEP",
                       AutoresetMode.SAME_STEP), ("Disabled", AutoresetMode.DISABLED)):
        venv = FashionDialogVectorEnv(2, world=fake_world, autoreset_mode=name)
        assert venv.autoreset_mode is mode and venv.metadata["autoreset_mode"] is mode
    assert FashionDialogVectorEnv.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    with pytest.raises(ValueError, match="autoreset_mode"):
        FashionDialogVectorEnv(2, world=fake_world, autoreset_mode="sometimes")
    # Gymnasium hands vector_kwargs to its own vector envs only.
    with pytest.raises(gym.error.Error, match="vector_kwargs"):
        gym.make_vec("FashionDialog-v0", num_envs=2, world=fake_world,
                     vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
