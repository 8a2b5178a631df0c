"""An action is converted and checked once per turn, where it comes in (the single env, the
vector env, the core's public `step` / `show`, the database's public calls): counted on
`real_array` (the conversion and dtype check) and `scale_queries` (the conversion to the
float32 queries the database scores), wherever they are imported, for the calls that are
given the action (a reset also scales the first items' vectors, for their initial rank)."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env import queries
from dialog_env.factory import make_core

COUNTED = ("real_array", "scale_queries")


class Calls:
    """What each of `COUNTED` was given since the last `clear`."""

    def __init__(self) -> None:
        self.given: list[tuple[str, np.ndarray]] = []

    def clear(self) -> None:
        self.given.clear()

    def of(self, action) -> dict[str, int]:
        """How often each was given `action` or some of its rows."""
        rows = {r.tobytes() for r in np.atleast_2d(np.asarray(action, dtype=np.float64))}
        counts = dict.fromkeys(COUNTED, 0)
        for name, given in self.given:
            mine = np.atleast_2d(given.astype(np.float64))
            counts[name] += all(r.tobytes() in rows for r in mine)
        return counts


@pytest.fixture
def calls(monkeypatch) -> Calls:
    """Records the calls of `COUNTED`, patched in every module that holds them."""
    record = Calls()
    for name in COUNTED:
        original = getattr(queries, name)

        def counted(x, *args, _name=name, _original=original, **kwargs):
            record.given.append((_name, np.array(x)))
            return _original(x, *args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__dict__", {}).get(name) is original:
                monkeypatch.setattr(module, name, counted)
    return record


def once(calls: Calls, action) -> bool:
    return calls.of(action) == dict.fromkeys(COUNTED, 1)


def test_single_env_checks_each_action_once(fake_world, calls):
    env = gym.make("FashionDialog-v0", world=fake_world, max_turns=4)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64", "int64"):
        calls.clear()
        action = (rng.uniform(-1, 1, fake_world.dim) * 5).astype(dtype)
        _, _, term, trunc, _ = env.step(action)
        assert once(calls, action), (dtype, calls.of(action))
        if term or trunc:
            env.reset()


@pytest.mark.parametrize("mode", list(AutoresetMode))
def test_vector_env_checks_each_action_once_per_step(fake_world, calls, mode):
    n = 3
    venv = gym.make_vec("FashionDialog-v0", num_envs=n, vectorization_mode="vector_entry_point",
                        world=fake_world, max_turns=2, autoreset_mode=mode)
    venv.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(5):  # past the turn budget: the autoreset steps count too
        if mode == AutoresetMode.DISABLED and venv.unwrapped.core.done.any():
            venv.reset(options={"reset_mask": venv.unwrapped.core.done.copy()})
        calls.clear()
        actions = rng.uniform(-1, 1, (n, fake_world.dim)).astype(np.float32)
        venv.step(actions)
        assert once(calls, actions), calls.of(actions)


def test_core_step_and_show_check_once(fake_world, calls):
    core = make_core(2, world=fake_world, max_turns=5)
    core.reset(seeds=[0, 1])
    q = np.random.default_rng(2).uniform(-1, 1, (2, fake_world.dim))
    calls.clear()
    core.step(q)
    assert once(calls, q), calls.of(q)
    calls.clear()
    core.show(np.array([3, 4]), q)
    assert once(calls, q), calls.of(q)


def test_database_public_calls_still_check(fake_world, calls):
    db = fake_world.db
    q = np.random.default_rng(3).uniform(-1, 1, (2, fake_world.dim))
    for call in (lambda: db.rank(q, [0, 1]), lambda: db.rank_and_best(q, [0, 1]),
                 lambda: db.topk(q, 3)):
        calls.clear()
        call()
        assert once(calls, q), calls.of(q)
    q[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"queries contain non-finite values \(rows \[1\]\)"):
        db.rank(q, [0, 1])
