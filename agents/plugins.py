"""Agents by name, for the scripts: a reference agent, one an installed package declares, or
`module.path:factory`.

    make_agent("anchor", world, seed=0)                  # a reference agent
    make_agent("mypkg.agents:make", world, seed=0)       # your factory(world, seed)

A name is, in this order: a reference agent (`agents.REFERENCE_AGENTS`); one an installed
package declares in the entry-point group `fashion_dialog.agents` (its `pyproject.toml`:
`[project.entry-points."fashion_dialog.agents"]`, `my-agent = "mypkg.agents:make"`); or
`module.path:factory`. Every factory is `factory(world: DialogWorld, seed: int) -> agent`,
and the agent keeps the protocol `dialog_env.evaluation.DialogPolicy`: a `name`,
`begin(core)` when a batch of dialogs starts and `act(obs, infos, core) -> (B, D)` queries
each turn (docs/own-agent.md).
"""

from __future__ import annotations

from collections.abc import Callable

from agents import REFERENCE_AGENTS, make_reference_agent
from dialog_env.evaluation import DialogPolicy
from dialog_env.plugins import resolve_factory
from dialog_env.world import DialogWorld

AGENT_GROUP = "fashion_dialog.agents"
"""The entry-point group in which installed packages declare agents."""

AgentFactory = Callable[[DialogWorld, int], DialogPolicy]


def _reference(name: str) -> AgentFactory:
    return lambda world, seed: make_reference_agent(name, seed)


def agent_factory(name: str) -> AgentFactory:
    """The factory of agent `name` (see the module docstring); `ValueError` for a name that
    is none of these. Nothing is built: scripts call it to refuse a bad name early."""
    known = {n: _reference(n) for n in REFERENCE_AGENTS}
    return resolve_factory(name, known, AGENT_GROUP, "agent", "reference agents",
                           " (factory(world, seed) -> agent)")


def check_agent(agent: object, name: str) -> DialogPolicy:
    """`agent` if it keeps the agent protocol (`name`, callable `begin` and `act`), else a
    `TypeError` naming what it lacks."""
    missing = [a for a in ("name", "begin", "act") if not hasattr(agent, a)]
    not_callable = [a for a in ("begin", "act") if hasattr(agent, a)
                    and not callable(getattr(agent, a))]
    if missing or not_callable:
        said = "; ".join(part for part in (
            f"it lacks {missing}" if missing else "",
            f"{not_callable} are not methods" if not_callable else "") if part)
        raise TypeError(f"agent {name!r}: its factory returned a {type(agent).__name__}, "
                        f"which does not keep the agent protocol ({said}; see "
                        f"dialog_env.evaluation.DialogPolicy)")
    return agent  # type: ignore[return-value]


def make_agent(name: str, world: DialogWorld, seed: int = 0) -> DialogPolicy:
    """The agent `name` for `world`, seeded with `seed`, checked against the protocol."""
    return check_agent(agent_factory(name)(world, seed), name)
