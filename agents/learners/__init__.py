"""Learners: one shared rollout loop (`Learner.collect`) and one loss per learner —
supervised on-policy, REINFORCE (top-k sampling), rollout policy improvement — run in
stages by `train`, with checkpoints, resume and callbacks. `LearnerConfig` holds the budgets
every learner shares; each learner's own knobs are its settings class (`SupervisedSettings`,
`ReinforceSettings`, `RolloutSettings`), registered with it."""

from agents.learners.base import LearnerConfig
from agents.learners.callbacks import Callback, StopTraining
from agents.learners.learner import Learner, Rollout
from agents.learners.registry import LEARNERS, learner_settings, make_learner
from agents.learners.reinforce import ReinforceSettings
from agents.learners.rollout import RolloutSettings
from agents.learners.supervised import SupervisedSettings
from agents.learners.trainer import train

__all__ = ["LEARNERS", "Callback", "Learner", "LearnerConfig", "ReinforceSettings", "Rollout",
           "RolloutSettings", "StopTraining", "SupervisedSettings", "learner_settings",
           "make_learner", "train"]
