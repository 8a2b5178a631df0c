"""Hypothesis fuzz of what agents hand the environment: actions of any dtype, shape and
magnitude (1e-30 .. 3e38, non-finite values, the zero vector) and reset options, in the
single and the vector env. Every input either works within the documented rules — then
the target's rank and the shown item equal a float64 brute-force reference for that query
direction among the unshown items — or raises `ValueError`/`TypeError` naming the problem.
"""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env.catalog.schema import SPLITS

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
N_ENVS = 3
REAL = ("float32", "float64", "float16", "int64", "int8", "uint16")
OTHER = ("bool", "complex64", "str", "object")
KEYS = ("target", "first_candidate")


# ---------------------------------------------------------------- the documented rules
def reference(items: np.ndarray, q: np.ndarray, target: int, shown) -> tuple[int, int]:
    """Float64 brute force over the unshown items (the target always counts): the
    target's rank (higher scores, ties by index) and the best unshown item."""
    s = items.astype(np.float64) @ q
    unshown = np.ones(len(items), dtype=bool)
    unshown[[i for i in shown if i != target]] = False
    idx = np.arange(len(items))
    above = (s > s[target]) | ((s == s[target]) & (idx < target))
    rank = int((unshown & above & (idx != target)).sum())
    cand = np.flatnonzero(unshown)
    best = int(cand[np.lexsort((cand, -s[cand]))[0]])
    return rank, best


def direction(a: np.ndarray) -> np.ndarray:
    """The query the rules say is ranked: float32 (and float16, small ints) as given;
    float64 scaled by the power of two putting max|q| in [0.5, 1), then rounded to float32."""
    if a.dtype != np.float64:
        return a.astype(np.float64)
    _, e = np.frexp(np.abs(a).max())
    return np.ldexp(a, -e).astype(np.float32).astype(np.float64)


def action_error(a: np.ndarray, shape: tuple, rows) -> tuple[type, str] | None:
    """The error the rules prescribe for action `a` (checked on `rows`), or None."""
    if a.dtype.kind not in "iuf":
        return TypeError, f"must hold real numbers .*dtype {re.escape(str(a.dtype))}"
    if a.shape != shape:
        return ValueError, "shape"
    if not np.isfinite(a.reshape(-1, shape[-1])[rows]).all():
        return ValueError, "non-finite"
    return None


def option_error(opt, env: int, item_split: np.ndarray) -> tuple[type, str] | None:
    if opt is None:
        return None
    if not isinstance(opt, dict):
        return TypeError, rf"\(env {env}\) must be a dict or None"
    if set(opt) - set(KEYS):
        return ValueError, rf"unknown reset options .* \(env {env}\)"
    for key in KEYS:
        v = opt.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            return TypeError, rf"'{key}' \(env {env}\) must be an integer"
        if not 0 <= v < len(item_split):
            return ValueError, rf"'{key}' \(env {env}\) = .* out of range"
    t, c = opt.get("target"), opt.get("first_candidate")
    if t is not None and t == c:
        return ValueError, rf"'first_candidate' \(env {env}\) = {c} must differ"
    if t is not None and SPLITS[item_split[t]] != "train":
        return ValueError, rf"'target' \(env {env}\) = {t} is an item of the"
    return None


# ---------------------------------------------------------------- strategies
@st.composite
def query_rows(draw, n: int, dim: int) -> np.ndarray:
    """`(n, dim)` float64 rows: a pattern times a magnitude, maybe with a non-finite value."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pattern = draw(st.sampled_from(["random", "constant", "onehot", "sparse", "zero"]))
    magnitude = draw(st.one_of(st.sampled_from([1e-30, 1e-10, 1.0, 1e10, 1e30, 3e38]),
                               st.floats(1e-30, 3e38)))
    q = np.zeros((n, dim))
    for r in range(n):
        if pattern == "random":
            q[r] = rng.uniform(-1, 1, dim)
        elif pattern == "constant":
            q[r] = rng.choice([-1.0, 1.0])
        elif pattern == "onehot":
            q[r, rng.integers(dim)] = rng.choice([-1.0, 1.0])
        elif pattern == "sparse":
            k = rng.integers(1, 6)
            q[r, rng.choice(dim, k, replace=False)] = rng.uniform(-1, 1, k)
    q *= magnitude
    bad = draw(st.sampled_from([None] * 5 + [np.nan, np.inf, -np.inf]))
    if bad is not None:
        q[rng.integers(n), rng.integers(dim)] = bad
    return q


@st.composite
def actions(draw, n: int | None, dim: int) -> np.ndarray:
    """One action (`n` None: the single env's `(dim,)`, else `(n, dim)`), any dtype/shape."""
    rows = 1 if n is None else n
    q = draw(query_rows(rows, dim))
    dtype = draw(st.sampled_from(REAL * 2 + OTHER))
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype in ("int64", "int8", "uint16"):
            ints = np.nan_to_num(np.sign(q)) * draw(st.integers(1, 5))
            a = np.abs(ints) if dtype == "uint16" else ints
            a = a.astype(dtype)
        else:
            a = q.astype(dtype)
    a = a[0] if n is None else a
    shape = draw(st.sampled_from(["ok"] * 6 + ["short", "long", "scalar", "extra"]))
    if shape == "short":
        a = a[..., :-1]
    elif shape == "long":
        a = np.concatenate([a, a[..., :1]], axis=-1)
    elif shape == "scalar":
        a = a.reshape(-1)[0]
        a = np.asarray(a)
    elif shape == "extra":
        a = a[None]
    return a


def option_values():
    return st.one_of(st.integers(-3, 303), st.integers(0, 299).map(np.int64),
                     st.booleans(), st.floats(allow_nan=True), st.none(),
                     st.text(max_size=3), st.lists(st.integers(0, 5), max_size=2))


def one_options(train: np.ndarray):
    """One env's reset options: mostly valid ones (targets from the train split), the rest
    anything."""
    known = st.fixed_dictionaries({}, optional={k: option_values() for k in KEYS})
    good = st.fixed_dictionaries({}, optional={"target": st.sampled_from(train.tolist()),
                                               "first_candidate": st.integers(0, 299)})
    ints = st.fixed_dictionaries({}, optional={k: st.integers(-3, 303) for k in KEYS})
    kinds = {"good": good, "none": st.none(), "known": known, "ints": ints,
             "keys": st.dictionaries(st.sampled_from(["tagret", "turns"]), st.integers(0, 5),
                                     min_size=1),
             "text": st.text(max_size=3), "int": st.integers(0, 5),
             "list": st.lists(st.integers(0, 5))}
    return st.sampled_from(["good"] * 6 + ["none", "known", "ints", "ints", "keys", "text",
                                           "int", "list"]).flatmap(kinds.__getitem__)


# ---------------------------------------------------------------- the tests
def reset_or_raise(env, seed: int, options, expected, name: str) -> bool:
    """Reset with `options` if the rules accept them (True); else expect the error, then
    reset without options (False)."""
    event(f"{name} options: {expected[0].__name__ if expected else 'accepted'}")
    if expected is None:
        env.reset(seed=seed, options=options)
        return True
    with pytest.raises(expected[0], match=expected[1]):
        env.reset(seed=seed, options=options)
    env.reset(seed=seed)
    return False


def check_start(core, i: int, opt: dict | None, world) -> None:
    """Dialog `i` starts as its options say: given items as given, a train-split target,
    a first candidate other than the target."""
    for key, arr in (("target", core.target), ("first_candidate", core.candidate)):
        assert opt is None or key not in opt or arr[i] == opt[key]
    assert core.candidate[i] != core.target[i]
    assert core.target[i] in world.split_items["train"]


@pytest.fixture(scope="module")
def single(fake_world):
    return gym.make("FashionDialog-v0", world=fake_world)


@pytest.fixture(scope="module")
def vector(fake_world):
    return gym.make_vec("FashionDialog-v0", num_envs=N_ENVS, world=fake_world,
                        vectorization_mode="vector_entry_point")


@FUZZ
@given(data=st.data())
def test_single_env_inputs_work_or_are_rejected_by_name(single, fake_world, data):
    core, items, dim = single.unwrapped.core, fake_world.db.items, fake_world.dim
    opt = data.draw(one_options(fake_world.split_items["train"]), "options")
    seed = data.draw(st.integers(0, 10_000), "seed")
    expected = option_error(opt, 0, fake_world.catalog.split)
    if reset_or_raise(single, seed, opt, expected, "single"):
        check_start(core, 0, opt, fake_world)
    for _ in range(3):
        a = data.draw(actions(None, dim), "action")
        turn, target, shown = int(core.turn[0]), int(core.target[0]), core.shown[0].tolist()
        expected = action_error(np.asarray(a), (dim,), [0])
        event(f"single action: {expected[0].__name__ if expected else 'ranked'}")
        if expected is not None:
            with pytest.raises(expected[0], match=expected[1]):
                single.step(a)
            assert core.turn[0] == turn  # a rejected action changes nothing
            continue
        _, _, term, trunc, info = single.step(a)
        rank, best = reference(items, direction(np.asarray(a)), target, shown[:turn + 1])
        assert (info["target_rank"], info["candidate"]) == (rank, best)
        if term or trunc:
            break


@FUZZ
@given(data=st.data())
def test_vector_env_inputs_work_or_are_rejected_by_name(vector, fake_world, data):
    core, items, dim = vector.unwrapped.core, fake_world.db.items, fake_world.dim
    kind = data.draw(st.sampled_from(["none", "per_env", "per_env", "length", "key", "type"]))
    length = data.draw(st.sampled_from([N_ENVS - 1, N_ENVS + 1])) if kind == "length" \
        else N_ENVS
    per_env = [data.draw(one_options(fake_world.split_items["train"]), f"env {i}")
               for i in range(length)]
    options = {"none": None, "per_env": {"per_env": per_env}, "length": {"per_env": per_env},
               "key": {"target": 3}, "type": "abc"}[kind]
    expected = {"length": (ValueError, f"{length} entries for {N_ENVS} envs"),
                "key": (ValueError, r"unknown vector reset options \['target'\]"),
                "type": (TypeError, "must be None or a dict")}.get(kind)
    if kind == "per_env":
        errors = [option_error(o, i, fake_world.catalog.split) for i, o in enumerate(per_env)]
        expected = next((e for e in errors if e is not None), None)
    seed = data.draw(st.integers(0, 10_000), "seed")
    if reset_or_raise(vector, seed, options, expected, "vector"):
        for i in range(N_ENVS):
            check_start(core, i, per_env[i] if kind == "per_env" else None, fake_world)
    for _ in range(3):
        a = data.draw(actions(N_ENVS, dim), "actions")
        stepping = np.flatnonzero(~vector.unwrapped._autoreset)
        before = (core.turn.copy(), core.target.copy(), core.shown.copy())
        expected = action_error(np.asarray(a), (N_ENVS, dim), stepping)
        event(f"vector action: {expected[0].__name__ if expected else 'ranked'}")
        if expected is not None:
            with pytest.raises(expected[0], match=expected[1]):
                vector.step(a)
            assert np.array_equal(core.turn, before[0])
            continue
        _, _, _, _, info = vector.step(a)
        for i in stepping.tolist():
            turn = int(before[0][i])
            rank, best = reference(items, direction(np.asarray(a)[i]), int(before[1][i]),
                                   before[2][i, :turn + 1].tolist())
            assert (info["target_rank"][i], info["candidate"][i]) == (rank, best)
