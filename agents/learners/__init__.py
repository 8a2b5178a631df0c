"""Learners: one shared rollout loop (`Learner.collect`) and one loss per learner —
supervised on-policy, REINFORCE (top-k sampling), rollout policy improvement — run in
stages by `train`, with checkpoints, resume and callbacks."""

from agents.learners.base import LearnerConfig
from agents.learners.callbacks import Callback, StopTraining
from agents.learners.learner import Learner, Rollout
from agents.learners.registry import LEARNERS, make_learner
from agents.learners.trainer import train

__all__ = ["LEARNERS", "Callback", "Learner", "LearnerConfig", "Rollout", "StopTraining",
           "make_learner", "train"]
