"""Learners: supervised on-policy, REINFORCE (top-k sampling), rollout policy improvement."""

from agents.learners.base import LearnerConfig
from agents.learners.trainer import LEARNERS, StopTraining, train

__all__ = ["LEARNERS", "LearnerConfig", "StopTraining", "train"]
