"""Agents for FashionDialog: non-learned reference agents (`reference`), the learned
`DialogAgent` (text and response encoders, state trackers incl. the CM-NTM, a query in the
item space: `model`), its learners (`learners`), checkpoints (`checkpoint`), the adapter
that runs a `DialogAgent` as a `DialogPolicy` like the reference agents (`begin(core)`,
`act(obs, infos, core) -> queries`: `policy`) and a stable-baselines3 caption feature
extractor (`sb3`)."""

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
