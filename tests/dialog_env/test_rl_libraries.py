"""The README recipes for TorchRL and RLlib (skipped when the library is absent; TorchRL is
the `rl` extra, RLlib is not installed here)."""

from __future__ import annotations

import functools

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from tests.dialog_env.test_contract import readme_example

INFO_KEYS = ("target_rank", "rank_percentile", "success", "turn", "candidate")


def info_reader(batch: tuple[int, ...] = ()):
    """TorchRL's default info reader for the numeric infos, with their specs."""
    import torch
    from torchrl.data import Composite, Unbounded
    from torchrl.envs import default_info_dict_reader

    dtypes = {"target_rank": torch.int64, "rank_percentile": torch.float64,
              "success": torch.bool, "turn": torch.int64, "candidate": torch.int64}
    spec = Composite({k: Unbounded(batch, dtype=dtypes[k]) for k in INFO_KEYS}, shape=batch)
    return default_info_dict_reader(list(INFO_KEYS), spec=spec)


def mlp_policy(env):
    from tensordict.nn import TensorDictModule
    from torchrl.modules import MLP

    out = env.action_spec.shape[-1]
    return TensorDictModule(MLP(out_features=out, num_cells=[32, 32]),
                            in_keys=["observation"], out_keys=["action"])


@pytest.mark.parametrize("mode", ["disabled", "same_step"])
def test_torchrl_runs_the_vector_env_with_numeric_infos(fake_world, mode):
    pytest.importorskip("torchrl")
    import torch
    from torchrl.envs import GymWrapper

    n, turns = 4, 3
    venv = gym.make_vec("FashionDialog-v0", num_envs=n, world=fake_world, observation="flat",
                        autoreset_mode=mode, max_turns=turns)
    env = GymWrapper(venv)
    env.set_info_dict_reader(info_reader((n,)))
    env.set_seed(7)
    with torch.no_grad():
        td = env.rollout(2 * turns + 1, mlp_policy(env), break_when_any_done=False)
    assert td.batch_size == (n, 2 * turns + 1)
    nxt = td["next"]
    # Every dialog runs out of turns at step `turns` and starts again (partial resets).
    expected = [1, 2, 3, 1, 2, 3, 1]
    assert (nxt["turn"] == np.array(expected)).all()
    assert nxt["done"].squeeze(-1)[:, [2, 5]].all() and not nxt["done"][:, [0, 1, 3]].any()
    assert nxt["target_rank"].dtype.is_floating_point is False
    assert (nxt["rank_percentile"] <= 1).all()
    # The last observation of an episode is the real one (turn / max_turns = 1).
    assert (nxt["observation"][:, 2, -1] == 1).all() and (td["observation"][:, 3, -1] == 0).all()
    # The dialogs are those of single envs with the same seeds (`set_seed` resets with
    # seeds 7, 8, ...; `rollout` resets again, unseeded).
    for i in range(n):
        single = gym.make("FashionDialog-v0", world=fake_world, observation="flat",
                          max_turns=turns)
        single.reset(seed=7 + i)
        obs, _ = single.reset()
        assert np.array_equal(td["observation"][i, 0].numpy(), obs)
        obs, *_ = single.step(td["action"][i, 0].numpy())
        assert np.array_equal(nxt["observation"][i, 0].numpy(), obs)


def test_torchrl_gym_env_reads_infos_and_runs_in_a_parallel_env(fake_world):
    pytest.importorskip("torchrl")
    from torchrl.envs import GymEnv, ParallelEnv

    env = GymEnv("FashionDialog-v0", world=fake_world, observation="flat", max_turns=3)
    env.set_info_dict_reader(info_reader())
    td = env.rollout(3, mlp_policy(env))
    assert td["next", "turn"].tolist() == [1, 2, 3] and td["next", "truncated"][-1]
    # "dialog_env:" makes worker processes import (and register) the environment.
    make = functools.partial(GymEnv, "dialog_env:FashionDialog-v0", world=fake_world,
                             observation="flat", max_turns=3)
    penv = ParallelEnv(2, make)
    try:
        td = penv.rollout(4, break_when_any_done=False)
        assert td.batch_size == (2, 4) and td["next", "done"][:, 2].all()
    finally:
        penv.close()


def test_the_rllib_recipe_runs():
    """docs/rl-libraries.md's RLlib block on the default world, as written but for one
    smaller iteration: two env runners make the env from the package id (light install)."""
    pytest.importorskip("ray.rllib")
    import ray

    code = readme_example("rllib")
    for old, new in (("range(10)", "range(1)"),
                     ("train_batch_size=1000", "train_batch_size=200"),
                     ("minibatch_size=128", "minibatch_size=100"),
                     ("num_epochs=4", "num_epochs=1")):
        assert old in code, old
        code = code.replace(old, new)
    returns: list = []
    scope: dict = {"print": returns.append}  # the block prints each iteration's mean return
    try:
        exec(compile(code, "docs/rl-libraries.md", "exec"), scope)
    finally:
        ray.shutdown()
    assert len(returns) == 1 and np.isfinite(returns[0])


def test_the_readme_recipes_run():
    scope: dict = {}
    exec(compile(readme_example("rl-recipes"), "README.md", "exec"), scope)
    assert len(scope["final_ranks"]) >= 32  # every dialog ended at least once in 30 steps
    assert scope["obs"].shape == (32, scope["n_obs"])


def test_the_readme_torchrl_recipe_runs():
    pytest.importorskip("torchrl")
    scope: dict = {}
    exec(compile(readme_example("torchrl"), "README.md", "exec"), scope)
    assert scope["rollout"].batch_size == (16, 25)
    assert scope["rollout"]["next", "done"].any()
