"""The documentation's NEXT_STEP loop (`next-step-loop`): Gymnasium's vector
`NormalizeObservation` over the default autoreset mode, with the reset steps masked out."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import dialog_env  # noqa: F401
from tests.docs import run_example


def test_normalize_observation_refuses_same_step(fake_world):
    from gymnasium.wrappers.vector import NormalizeObservation

    venv = gym.make_vec("FashionDialog-v0", num_envs=2, world=fake_world, observation="flat",
                        autoreset_mode="same_step")
    with pytest.raises(ValueError, match="NEXT_STEP"):  # why the docs show this loop
        NormalizeObservation(venv)


def test_the_next_step_loop_masks_exactly_the_steps_after_an_end():
    scope = run_example("next-step-loop")
    valid, ended = scope["valid"].numpy(), scope["ended"].numpy()  # (T, B)
    rewards = torch.stack(scope["rewards"]).numpy()
    T, B = scope["T"], scope["B"]
    assert valid.shape == ended.shape == rewards.shape == (T, B)
    # Masked: the first step of no env, then exactly the steps that follow an end.
    assert valid[0].all() and np.array_equal(~valid[1:], ended[:-1])
    assert ended.sum() >= B  # a 10-turn budget ends every dialog within 30 steps
    # What the env does on those steps: reward 0, no end (they are resets, not turns).
    assert (rewards[~valid] == 0).all() and not ended[~valid].any()
    # Before each masked step lies one whole dialog: 1 to max_turns turns.
    budget = scope["venv"].unwrapped.core.max_turns
    for b in range(B):
        turns = np.diff(np.flatnonzero(np.r_[True, ~valid[:, b]])) - 1
        assert len(turns) and ((turns >= 1) & (turns <= budget)).all(), turns
    # The ranks read on the ending steps are final ranks of real dialogs.
    ranks = np.asarray(scope["final_ranks"])
    n_items = scope["venv"].unwrapped.core.world.n_items
    assert len(ranks) == ended.sum() and ranks.dtype.kind == "i"
    assert ((ranks >= 0) & (ranks < n_items)).all()
    assert torch.isfinite(scope["loss"]) and scope["log_std"].grad is not None
