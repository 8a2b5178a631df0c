"""Agents by any name: a reference agent, an installed package's entry point
(`fashion_dialog.agents`) or `module.path:factory` (`factory(world, seed) -> agent`)."""

from __future__ import annotations

import numpy as np
import pytest

from agents import REFERENCE_AGENTS
from agents.plugins import AGENT_GROUP, agent_factory, check_agent, make_agent
from agents.reference import AnchorAgent, RandomAgent
from dialog_env.evaluation import run_protocol
from dialog_env.protocol import make_protocol
from tests.plugin_fakes import plugin_folder

MODULE = """
    import numpy as np

    class Shown:
        name = "shown"

        def __init__(self, world, seed):
            self.world, self.seed, self.batches = world, seed, 0

        def begin(self, core):
            self.batches += 1

        def act(self, obs, infos, core):
            w = core.world.space.attribute_weight
            return np.concatenate([obs["candidate_features"],
                                   w * obs["candidate_attributes"]], axis=1)

    def make(world, seed):
        return Shown(world, seed)

    class NoAct:
        name = "no-act"

        def begin(self, core):
            pass

    def no_act(world, seed):
        return NoAct()

    class ActIsData:
        name = "data"
        act = 3

        def begin(self, core):
            pass

    def act_is_data(world, seed):
        return ActIsData()
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    with plugin_folder(tmp_path, monkeypatch) as folder:
        folder.module("my_agents", MODULE)
        yield folder


def test_reference_agents_are_made_by_name(fake_world):
    assert isinstance(make_agent("anchor", fake_world), AnchorAgent)
    a, b = make_agent("random", fake_world, seed=4), make_agent("random", fake_world, seed=4)
    assert isinstance(a, RandomAgent) and a.rng.random() == b.rng.random()


def test_a_module_path_agent_gets_the_world_and_seed_and_plays_like_anchor(plugins,
                                                                          fake_world):
    agent = make_agent("my_agents:make", fake_world, seed=7)
    assert agent.world is fake_world and agent.seed == 7
    pairs = make_protocol(fake_world.catalog, "test", 12, seed=0)["pairs"]
    mine = run_protocol(fake_world, agent, pairs, max_turns=3, progress=False)
    anchor = run_protocol(fake_world, AnchorAgent(), pairs, max_turns=3, progress=False)
    assert agent.batches == 1
    np.testing.assert_array_equal(mine["ranks"], anchor["ranks"])  # the same queries


def test_an_installed_package_s_agent_is_found_by_its_entry_point_name(plugins, fake_world):
    import my_agents

    with pytest.raises(ValueError, match="unknown agent 'shown-plugin'"):
        agent_factory("shown-plugin")
    plugins.distribution("my-agents", {AGENT_GROUP: {"shown-plugin": "my_agents:make"}})
    assert agent_factory("shown-plugin") is my_agents.make
    assert make_agent("shown-plugin", fake_world, seed=2).seed == 2


def test_an_unknown_agent_lists_what_names_are_known(plugins):
    plugins.distribution("my-agents", {AGENT_GROUP: {"shown-plugin": "my_agents:make"}})
    with pytest.raises(ValueError) as e:
        agent_factory("nobody")
    said = str(e.value)
    assert said.startswith("unknown agent 'nobody'")
    assert f"reference agents: {list(REFERENCE_AGENTS)}" in said
    assert f"installed plugins (entry-point group '{AGENT_GROUP}'): ['shown-plugin']" in said
    assert "'module.path:factory' (factory(world, seed) -> agent)" in said


def test_an_agent_that_breaks_the_protocol_is_refused_saying_what_it_lacks(plugins,
                                                                           fake_world):
    with pytest.raises(TypeError, match=r"agent 'my_agents:no_act': its factory returned a "
                                        r"NoAct, which does not keep the agent protocol "
                                        r"\(it lacks \['act'\]"):
        make_agent("my_agents:no_act", fake_world)
    with pytest.raises(TypeError, match=r"\['act'\] are not methods"):
        make_agent("my_agents:act_is_data", fake_world)
    with pytest.raises(TypeError, match=r"agent 'x': its factory returned a NoneType.*it "
                                        r"lacks \['name', 'begin', 'act'\]"):
        check_agent(None, "x")
    with pytest.raises(ValueError, match="agent 'my_agents:missing': my_agents has no "
                                         "attribute 'missing'"):
        agent_factory("my_agents:missing")
