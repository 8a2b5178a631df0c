"""Agents: reference agents now; learned dialog managers and state trackers build on the
same `DialogPolicy` interface (`begin(core)`, `act(obs, infos, core) -> queries`)."""

from __future__ import annotations

from agents.reference import AnchorAgent, OracleAttributesAgent, RandomAgent

REFERENCE_AGENTS = ("random", "anchor", "oracle-attributes")


def make_reference_agent(name: str, seed: int = 0):
    if name == "random":
        return RandomAgent(seed)
    if name == "anchor":
        return AnchorAgent()
    if name == "oracle-attributes":
        return OracleAttributesAgent()
    raise ValueError(f"unknown agent {name!r}; expected one of {REFERENCE_AGENTS}")


__all__ = ["REFERENCE_AGENTS", "AnchorAgent", "OracleAttributesAgent", "RandomAgent",
           "make_reference_agent"]
