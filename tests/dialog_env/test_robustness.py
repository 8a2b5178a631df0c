"""Environment inputs at and beyond their documented limits: query scale and dtype, the
turn budget in `gym.make` and `gym.make_vec`, reset options, settings that mean nothing.
Every input either works as documented or raises an error that names it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env.config import (
    CatalogConfig,
    DatabaseConfig,
    EnvConfig,
    EpisodeConfig,
    ItemSpaceConfig,
    env_config,
)
from dialog_env.factory import make_core
from dialog_env.rewards import RewardConfig
from dialog_env.vector import FashionDialogVectorEnv

VEC = {"vectorization_mode": "vector_entry_point"}


def reference_rank(items: np.ndarray, q: np.ndarray, target: int, shown) -> int:
    """Float64 brute force: unshown items scoring above the target, ties by index."""
    s = items.astype(np.float64) @ np.asarray(q, dtype=np.float64)
    others = np.ones(len(items), dtype=bool)
    others[[i for i in shown if i != target]] = False
    others[target] = False
    idx = np.arange(len(items))
    return int((others & ((s > s[target]) | ((s == s[target]) & (idx < target)))).sum())


# ---------------------------------------------------------------- 1. query scale and dtype
def test_a_constant_overflowing_action_does_not_win(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
    env.reset(seed=0)
    core = env.core
    target, shown = int(core.target[0]), core.shown[0, :1].tolist()
    _, _, term, _, info = env.step(np.full(fake_world.dim, 3e38, np.float32))
    ref = reference_rank(fake_world.db.items, np.ones(fake_world.dim), target, shown)
    assert info["target_rank"] == ref > 0 and not term
    assert 0 <= info["candidate"] < fake_world.n_items


def test_the_zero_action_ties_every_item(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
    env.reset(seed=0, options={"target": 260, "first_candidate": 1})
    _, _, _, _, info = env.step(np.zeros(fake_world.dim, np.float32))
    assert info["target_rank"] == 259  # items 0..259 but the shown item 1
    assert info["candidate"] == 0  # the unshown item with the smallest index


@pytest.mark.parametrize("action, dtype", [
    (np.zeros(139, bool), "bool"), (np.zeros(139, complex), "complex128"),
    (np.array(["1"] * 139), "<U1"), (np.array([1.0] * 139, dtype=object), "object"),
    ("abc", "<U3")])
def test_non_real_actions_are_rejected_naming_the_dtype(fake_world, action, dtype):
    assert fake_world.dim == 139
    env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
    env.reset(seed=0)
    with pytest.raises(TypeError, match=f"action must hold real numbers.*dtype {dtype}"):
        env.step(action)
    venv = gym.make_vec("FashionDialog-v0", num_envs=2, world=fake_world, **VEC)
    venv.reset(seed=0)
    with pytest.raises(TypeError, match=f"dtype {np.stack([np.asarray(action)] * 2).dtype}"):
        venv.step(np.stack([np.asarray(action)] * 2))


def test_integer_and_float64_actions_rank_like_float32(fake_world):
    rng = np.random.default_rng(2)
    q = rng.integers(-3, 4, fake_world.dim)
    results = []
    for a in (q, q.astype(np.float64) * 1e100, q.astype(np.float32)):
        env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
        env.reset(seed=4)
        results.append(env.step(a)[4])
    assert results[0] == results[1] == results[2]


# ---------------------------------------------------------------- 2. the turn budget
def _turns(env, vector: bool = False) -> tuple[int, bool, bool]:
    """Turns until the episode ends under the zero action (shows items by index)."""
    dim = env.single_action_space.shape[0] if vector else env.action_space.shape[0]
    a = np.zeros((1, dim) if vector else dim, np.float32)
    for n in range(1, 100):
        _, _, term, trunc, _ = env.step(a)
        term, trunc = (bool(term[0]), bool(trunc[0])) if vector else (term, trunc)
        if term or trunc:
            return n, term, trunc
    raise AssertionError("no end")


@pytest.mark.parametrize("max_turns", [None, 3, 25])
def test_gym_make_and_make_vec_run_the_same_turn_budget(fake_world, max_turns):
    kw = {} if max_turns is None else {"max_turns": max_turns}
    budget = max_turns or 10
    opts = {"target": 260, "first_candidate": 299}  # never shown in 25 zero-action turns
    env = gym.make("FashionDialog-v0", world=fake_world, **kw)
    assert env.spec.max_episode_steps == budget == env.unwrapped.spec.max_episode_steps
    env.reset(seed=0, options=opts)
    assert _turns(env) == (budget, False, True)
    venv = gym.make_vec("FashionDialog-v0", num_envs=1, world=fake_world, **VEC, **kw)
    assert venv.spec.max_episode_steps == budget
    venv.reset(seed=0, options={"per_env": [opts]})
    assert _turns(venv, vector=True) == (budget, False, True)


def test_finding_the_target_on_the_last_turn_terminates_in_both(fake_world):
    # The zero action shows items 0, 1, 2, ...: target 12 (a train item) is shown on turn 13.
    opts = {"target": 12, "first_candidate": 299}
    env = gym.make("FashionDialog-v0", world=fake_world, max_turns=13)
    env.reset(seed=0, options=opts)
    assert _turns(env) == (13, True, False)
    venv = gym.make_vec("FashionDialog-v0", num_envs=1, world=fake_world, max_turns=13, **VEC)
    venv.reset(seed=0, options={"per_env": [opts]})
    assert _turns(venv, vector=True) == (13, True, False)


def test_make_vec_max_episode_steps_is_the_turn_budget(fake_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=1, world=fake_world,
                        max_episode_steps=4, **VEC)
    assert venv.unwrapped.core.max_turns == 4
    with pytest.raises(ValueError, match="max_episode_steps=4 and max_turns=5 disagree"):
        gym.make_vec("FashionDialog-v0", num_envs=1, world=fake_world, max_episode_steps=4,
                     max_turns=5, **VEC)



def _make(vector: str | None, fake_world, **kw):
    """`gym.make` (vector None) or `gym.make_vec` in the given vectorization mode."""
    if vector is None:
        return gym.make("FashionDialog-v0", world=fake_world, **kw)
    return gym.make_vec("FashionDialog-v0", num_envs=1, world=fake_world,
                        vectorization_mode=vector, **kw)


def _dialog_turns(env) -> int:
    """Turns the budget allows: the zero action never shows target 260 before turn 25."""
    opts = {"target": 260, "first_candidate": 299}
    if isinstance(env, gym.vector.VectorEnv):
        env.reset(seed=0, options={"per_env": [opts]}
                  if isinstance(env.unwrapped, FashionDialogVectorEnv) else opts)
        n, term, trunc = _turns(env, vector=True)
    else:
        env.reset(seed=0, options=opts)
        n, term, trunc = _turns(env)
    assert (term, trunc) == (False, True)
    return n


@pytest.mark.parametrize("vector", [None, "vector_entry_point", "sync"])
@pytest.mark.parametrize("steps", [4, 20])
def test_max_episode_steps_is_the_turn_budget_in_make_and_make_vec(fake_world, vector, steps):
    env = _make(vector, fake_world, max_episode_steps=steps)
    cores = ([e.unwrapped.core for e in env.envs] if vector == "sync" else
             [env.unwrapped.core])
    assert [c.max_turns for c in cores] == [steps]
    assert _dialog_turns(env) == steps
    if vector != "sync":  # (SyncVectorEnv's spec is Gymnasium's own)
        assert env.spec.max_episode_steps == steps == env.unwrapped.spec.max_episode_steps
    space = (env.single_observation_space if vector else env.observation_space)["turn"]
    assert space.high[0] == steps  # the observation knows the budget too


@pytest.mark.parametrize("vector", [None, "vector_entry_point", "sync"])
def test_max_episode_steps_disagreeing_with_max_turns_is_refused(fake_world, vector):
    with pytest.raises(ValueError, match=r"max_episode_steps=4.* and max_turns=5 disagree"):
        _make(vector, fake_world, max_episode_steps=4, max_turns=5)
    env = _make(vector, fake_world, max_episode_steps=6, max_turns=6)  # agreeing is fine
    assert _dialog_turns(env) == 6
    with pytest.raises(ValueError, match="max_episode_steps must be >= 1, got 0"):
        _make(None, fake_world, max_episode_steps=0)


@pytest.mark.parametrize("vector", [None, "vector_entry_point"])
def test_max_episode_steps_minus_one_keeps_max_turns(fake_world, vector):
    env = _make(vector, fake_world, max_episode_steps=-1, max_turns=7)
    assert _dialog_turns(env) == 7 == env.spec.max_episode_steps


def test_gym_makes_budget_survives_recreating_and_pickling(fake_world):
    import pickle

    env = gym.make("FashionDialog-v0", world=fake_world, max_episode_steps=12)
    again = gym.make(env.spec)  # the spec's max_episode_steps (its kwargs have no max_turns)
    assert again.unwrapped.core.max_turns == 12 and _dialog_turns(again) == 12
    back = pickle.loads(pickle.dumps(env))
    assert back.unwrapped.core.max_turns == 12 and _dialog_turns(back) == 12
    with pytest.raises(ValueError, match=r"max_episode_steps=12 \(the EnvSpec's\) and "
                                         r"max_turns=30 disagree"):
        gym.make(env.spec, max_turns=30)  # the TimeLimit would still cut at 12


def test_gym_makes_time_limit_also_truncates_a_dialog_found_on_its_last_turn(fake_world):
    # As documented: the TimeLimit gym.make adds sets `truncated` at the budget whatever
    # the env says; max_turns= gives the same dialog terminated only.
    opts = {"target": 12, "first_candidate": 299}  # shown on turn 13 by the zero action
    env = gym.make("FashionDialog-v0", world=fake_world, max_episode_steps=13)
    env.reset(seed=0, options=opts)
    assert _turns(env) == (13, True, True)
    env.unwrapped.reset(seed=0, options=opts)  # the env itself: terminated only
    assert _turns(env.unwrapped) == (13, True, False)


# ---------------------------------------------------------------- 3. reset options
@pytest.mark.parametrize("options, error, match", [
    ({"target": 3}, ValueError, r"'target' \(env 0\) = 3 is an item of the 'test' split"),
    ({"target": 3.7}, TypeError, r"'target' \(env 0\) must be an integer, got float 3.7"),
    ({"target": 4.0}, TypeError, r"'target' \(env 0\) must be an integer, got float 4.0"),
    ({"target": True}, TypeError, r"'target' \(env 0\) must be an integer, got bool True"),
    ({"target": "abc"}, TypeError, r"'target' \(env 0\) must be an integer, got str 'abc'"),
    ({"target": None}, TypeError, r"'target' \(env 0\) must be an integer, got NoneType"),
    ({"target": float("nan")}, TypeError, r"'target' \(env 0\) must be an integer.*nan"),
    ({"first_candidate": [1]}, TypeError, r"'first_candidate' \(env 0\) must be an integer"),
    ({"first_candidate": -1}, ValueError, r"'first_candidate' \(env 0\) = -1 out of range"),
    ("abc", TypeError, r"options = 'abc' \(env 0\) must be a dict or None, not str"),
    ([{"target": 4}], TypeError, r"\(env 0\) must be a dict or None, not list"),
])
def test_bad_reset_options_name_the_option_value_and_env(fake_world, options, error, match):
    env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
    with pytest.raises(error, match=match):
        env.reset(seed=0, options=options)


def test_good_reset_options(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world).unwrapped
    env.reset(seed=0, options={"target": np.int64(4), "first_candidate": np.int32(3)})
    assert env.core.target[0] == 4 and env.core.candidate[0] == 3  # candidate: any split
    env.reset(seed=0, options={"first_candidate": 4})
    assert env.core.target[0] != 4 and env.core.target[0] in fake_world.split_items["train"]


def test_vector_reset_options_are_per_env_only(fake_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, world=fake_world, **VEC)
    venv.reset(seed=0)
    before = venv.unwrapped.core.target.copy()
    bad = [({"target": 4}, ValueError, r"unknown vector reset options \['target'\]"),
           ({"per_env": [None, {"target": 4}]}, ValueError, "2 entries for 3 envs"),
           ({"per_env": [None] * 4}, ValueError, "4 entries for 3 envs"),
           ({"per_env": {"target": 4}}, TypeError, r"options\['per_env'\] .* must be a list"),
           ("abc", TypeError, "must be None or a dict"),
           ({"per_env": [None, None, {"target": 3}]}, ValueError,
            r"'target' \(env 2\) = 3 is an item of the 'test' split"),
           ({"per_env": [None, {"target": 2.5}, None]}, TypeError,
            r"'target' \(env 1\) must be an integer")]
    for options, error, match in bad:
        with pytest.raises(error, match=match):
            venv.reset(seed=1, options=options)
        assert np.array_equal(venv.unwrapped.core.target, before)
    venv.reset(seed=1, options={"per_env": [None, {"target": 4}, None]})
    assert venv.unwrapped.core.target[1] == 4


# ---------------------------------------------------------------- 4. settings
@pytest.mark.parametrize("build, error, match", [
    (lambda: RewardConfig(success_bonus=float("nan")), ValueError, "success_bonus must be finite"),
    (lambda: RewardConfig(success_bonus=float("inf")), ValueError, "success_bonus must be finite"),
    (lambda: RewardConfig(success_bonus="1"), TypeError, "success_bonus must be a real number"),
    (lambda: EpisodeConfig(max_tokens=0), ValueError, "max_tokens must be >= 1, got 0"),
    (lambda: EpisodeConfig(max_turns=2.5), TypeError, "max_turns must be an integer"),
    (lambda: EpisodeConfig(exclude_shown="no"), TypeError, "exclude_shown must be True or"),
    (lambda: ItemSpaceConfig(visual_dim=0), ValueError, "visual_dim must be >= 1, got 0"),
    (lambda: ItemSpaceConfig(visual_dim=-3), ValueError, "visual_dim must be >= 1, got -3"),
    (lambda: ItemSpaceConfig(attribute_weight=float("nan")), ValueError,
     "attribute_weight must be finite"),
    (lambda: ItemSpaceConfig(perception="xray"), ValueError, "unknown perception 'xray'"),
    (lambda: ItemSpaceConfig(perception="clip"), ValueError, "perception='clip' needs "
                                                             "clip_model="),
    (lambda: CatalogConfig(image_size=4), ValueError, r"image_size must be in 8\.\.224, got 4"),
    (lambda: CatalogConfig(n_items=0), ValueError, "n_items must be >= 1, got 0"),
    (lambda: DatabaseConfig(metric="l2"), ValueError, "unknown metric 'l2'"),
    (lambda: EnvConfig(episode=3), TypeError, "EnvConfig.episode must be EpisodeConfig, got int 3"),
    (lambda: env_config(visual_dim=0), ValueError, "visual_dim must be >= 1, got 0"),
])
def test_settings_that_mean_nothing_are_rejected(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_settings_through_gym_make(fake_world):
    with pytest.raises(ValueError, match="max_tokens must be >= 1, got 0"):
        gym.make("FashionDialog-v0", world=fake_world, max_tokens=0)
    with pytest.raises(ValueError, match="success_bonus must be finite, got nan"):
        gym.make("FashionDialog-v0", world=fake_world, success_bonus=float("nan"))
    with pytest.raises(TypeError, match="world must be a DialogWorld, got int 123"):
        gym.make("FashionDialog-v0", world=123)
    with pytest.raises(ValueError, match="unknown render_mode 'human'"):
        gym.make_vec("FashionDialog-v0", num_envs=2, world=fake_world, render_mode="human",
                     **VEC)


def test_vector_rgb_array_stacks_the_strips(fake_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=2, world=fake_world,
                        render_mode="rgb_array", **VEC)
    venv.reset(seed=0)
    venv.step(np.zeros((2, fake_world.dim), np.float32))
    img = venv.render()
    s = fake_world.catalog.images.image_size
    assert img.shape == (2, s, s * 11, 3) and img.dtype == np.uint8
    assert np.array_equal(img[1], venv.unwrapped.core.strip(1))


def test_core_rows_and_candidates_are_checked(fake_world):
    core = make_core(world=fake_world, batch_size=3)
    core.reset(seeds=[0, 1, 2])
    q = np.zeros((3, fake_world.dim), np.float32)
    with pytest.raises(ValueError, match=r"rows \[-1\] out of range 0..2"):
        core.step(q, rows=[-1])
    with pytest.raises(ValueError, match=r"rows repeat \[1\]"):
        core.step(q, rows=[1, 1])
    with pytest.raises(TypeError, match="rows must be integer indices, got dtype float64"):
        core.step(q, rows=[1.0])
    with pytest.raises(ValueError, match=r"rows \[3\] out of range"):
        core.reset(rows=[3], seeds=[0])
    with pytest.raises(TypeError, match="candidates must be integer indices, got dtype float"):
        core.show(np.array([5.7, 6.0, 7.0]), q)
    with pytest.raises(ValueError, match="got 1 reset options for 3 dialogs"):
        core.reset(seeds=[0, 1, 2], options=[None])
    with pytest.raises(ValueError, match="got 2 seeds for 3 dialogs"):
        core.reset(seeds=[0, 1])
    with pytest.raises(TypeError, match=r"seed \(dialog 1\) must be an integer, got float"):
        core.reset(seeds=[0, 1.5, 2])
    assert core.turn.tolist() == [0, 0, 0]  # nothing was stepped or reset
