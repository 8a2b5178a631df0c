"""The learners by name: what `train`'s stages and the experiment scripts refer to."""

from __future__ import annotations

from agents.learners.base import LearnerConfig
from agents.learners.learner import Learner
from agents.learners.reinforce import Reinforce
from agents.learners.rollout import RolloutImprovement
from agents.learners.supervised import Supervised

LEARNERS: dict[str, type[Learner]] = {
    cls.name: cls for cls in (Supervised, Reinforce, RolloutImprovement)}


def make_learner(name: str, cfg: LearnerConfig) -> Learner:
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; expected one of {list(LEARNERS)}")
    return LEARNERS[name](cfg)
