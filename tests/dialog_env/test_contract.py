"""The parts are swappable: a user's shopper runs through the shopper contract alone, the
environment holds no reference to the template shopper's internals, one configuration
reaches every part, and the package layout keeps its rules (module size, no cycles)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401
from dialog_env.config import FLAT_NAMES, EnvConfig, env_config
from dialog_env.factory import make_core
from simulators.base import DialogsBase, ShopperDialogs, check_shopper
from tests.docs import doc_example

ROOT = Path(__file__).resolve().parents[2]


def readme_example(name: str) -> str:
    """A runnable example of the documentation (README.md or docs/; tests/docs.py)."""
    return doc_example(name)


def test_the_readme_shopper_runs_in_single_and_vector_envs():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    scope: dict = {}
    exec(compile(readme_example("user-shopper"), "README.md", "exec"), scope)
    info = scope["info"]
    assert info["text"].startswith("want ") and info["mentions"][0]["relation"] == "is"
    env, venv = scope["env"], scope["venv"]
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)
    assert env.unwrapped.world.shopper.name == "one-attribute"
    # Every request is an attribute the target has and the shown item lacks.
    cat = env.unwrapped.world.catalog
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        for _ in range(4):
            obs, r, term, trunc, info = env.step(env.action_space.sample())
            m = info["mentions"][0]
            if m["relation"] == "is":
                t, c = env.unwrapped.core.target[0], info["candidate"]
                j = cat.vocab.index(m["value"])
                assert cat.attributes[t, j] and not cat.attributes[c, j]
            if term or trunc:
                break
    # Vector env: same seeds, same dialogs as the single env.
    obs_v, infos_v = venv.reset(seed=3)
    for i in range(8):
        _, info = env.reset(seed=3 + i)
        assert info["text"] == infos_v["text"][i]
    out = venv.step(np.zeros((8, venv.single_action_space.shape[0]), np.float32))
    assert out[0]["feedback"].shape == (8, env.observation_space["feedback"].shape[0])
    assert isinstance(env.unwrapped.world.shopper.dialogs(1, 2), DialogsBase)


def test_a_plain_protocol_shopper_without_the_base_class_runs(fake_world):
    """The contract is the four methods; `DialogsBase` is a convenience (tests/fakes.py's
    shopper does not use it)."""
    dialogs = fake_world.shopper.dialogs(2, 3)
    assert isinstance(dialogs, ShopperDialogs) and not isinstance(dialogs, DialogsBase)
    core = make_core(2, world=fake_world)
    core.reset(seeds=[0, 1])
    core.step(np.ones((2, fake_world.dim), np.float32))
    assert all(len(fb) == 2 for fb in core.history)


def test_a_shopper_instance_and_a_reward_function(fake_world):
    shopper = fake_world.shopper
    calls = []

    def reward(rank, prev, found, n):
        calls.append(len(rank))
        return -np.asarray(rank, dtype=np.float64)

    core = make_core(2, world=fake_world, reward=reward)
    core.reset(seeds=[0, 1])
    before = shopper.answers
    _, rew, *_ = core.step(np.ones((2, fake_world.dim), np.float32))
    assert calls == [2] and np.array_equal(rew, -core.rank.astype(np.float64))
    assert shopper.answers == before + 2
    assert [fb[-1].text.split()[0] for fb in core.history] in (["differs"] * 2,
                                                              ["found", "differs"],
                                                              ["differs", "found"])


def test_a_malformed_shopper_is_rejected_by_name():
    class NoWidth:
        name, vocab = "bad", ()

        def dialogs(self, b, t):
            return None

    with pytest.raises(TypeError, match="lacks \\['width'\\]"):
        check_shopper(NoWidth())


def test_flat_names_cover_the_configuration_and_unknown_names_fail():
    cfg = EnvConfig()
    for name, (group, key) in FLAT_NAMES.items():
        assert hasattr(getattr(cfg, group), key), name
    c = env_config(n_items=500, attribute_weight=0.0, split="val", reward="hit",
                   template={"wrong_rate": 0.1}, lexicon="test")
    assert (c.catalog.n_items, c.items.attribute_weight, c.episode.split, c.reward.kind) == \
        (500, 0.0, "val", "hit")
    assert c.shopper.template.wrong_rate == 0.1 and c.shopper.template.lexicon == "test"
    with pytest.raises(TypeError, match="n_itmes"):
        env_config(n_itmes=5)
    with pytest.raises(ValueError, match="unknown split"):
        env_config(split="dev")
    with pytest.raises(ValueError, match="unknown shopper 'nobody'"):
        gym.make("FashionDialog-v0", shopper="nobody", n_items=300)


def test_a_prebuilt_world_refuses_world_settings(fake_world):
    with pytest.raises(ValueError, match="n_items"):
        gym.make("FashionDialog-v0", world=fake_world, n_items=5)
    env = gym.make("FashionDialog-v0", world=fake_world, max_turns=3, split="val")
    assert env.unwrapped.core.max_turns == 3 and env.unwrapped.core.split == "val"


def _py_files(*packages):
    for p in packages:
        yield from sorted((ROOT / p).rglob("*.py"))


def test_the_environment_knows_no_shopper_internals():
    bad = re.compile(r"simulators\.template|TemplateConfig|SimulatorWorld|N_UNIFORMS|"
                     r"PLAN_WIDTH|TemplateShopper")
    hits = [f"{f.relative_to(ROOT)}:{i + 1}" for f in _py_files("dialog_env")
            for i, line in enumerate(f.read_text().splitlines()) if bad.search(line)]
    assert hits == []


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_package_directions_and_no_env_batched_cycle():
    batched = _imports(ROOT / "dialog_env" / "batched.py")
    assert not batched & {"dialog_env.env", "dialog_env.vector", "dialog_env.factory"}
    for f in _py_files("dialog_env", "simulators"):
        assert not any(m.split(".")[0] in ("agents", "experiments") for m in _imports(f)), f
    for f in _py_files("agents"):
        assert not any(m.startswith(("experiments", "simulators.template"))
                       for m in _imports(f)), f


def test_no_module_is_giant():
    sizes = {str(f.relative_to(ROOT)): len(f.read_text().splitlines())
             for f in _py_files("dialog_env", "simulators", "agents")}
    assert {f: n for f, n in sizes.items() if n > 450} == {}
