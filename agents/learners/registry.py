"""The learners by name: what `train`'s stages and the experiment scripts refer to."""

from __future__ import annotations

from agents.learners.base import LEARNER_SETTINGS, LearnerConfig
from agents.learners.learner import Learner
from agents.learners.reinforce import Reinforce
from agents.learners.rollout import RolloutImprovement
from agents.learners.supervised import Supervised

LEARNERS: dict[str, type[Learner]] = {
    cls.name: cls for cls in (Supervised, Reinforce, RolloutImprovement)}
for _n, _cls in LEARNERS.items():
    if LEARNER_SETTINGS.get(_n) is not _cls.settings_class:
        raise RuntimeError(f"learner {_n!r}: its settings class is not registered under its name")


def learner_settings(name: str) -> type:
    """Learner `name`'s own settings dataclass."""
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; expected one of {list(LEARNERS)}")
    return LEARNERS[name].settings_class


def make_learner(name: str, cfg: LearnerConfig) -> Learner:
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; expected one of {list(LEARNERS)}")
    return LEARNERS[name](cfg)
