"""Supervised on-policy learning (Guo et al.'s pretraining; FashionNTM's turn-wise loss):
roll the current agent out in the batched core (the best-ranked unshown item is shown) and
apply a retrieval loss at every turn between the agent's query and the target; the loss is
averaged over turns."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from agents.learners.base import register_settings
from agents.learners.learner import Learner, Rollout
from agents.learners.losses import retrieval_loss


@register_settings("supervised")
@dataclass
class SupervisedSettings:
    """The supervised learner's own settings."""

    loss: str = "sampled_ce"
    """Retrieval loss: sampled_ce, catalog_ce, batch_ce (FashionNTM) or triplet (Guo)."""


class Supervised(Learner):
    name = "supervised"
    settings_class = SupervisedSettings
    settings: SupervisedSettings

    def on_turn(self, rollout: Rollout, q: torch.Tensor, obs: tuple[torch.Tensor, ...],
                active: torch.Tensor) -> None:
        rollout.terms.append(retrieval_loss(self.settings.loss, q[active], rollout.targets[active],
                                            rollout.items, rollout.agent.scale(),
                                            rollout.generator))
        return None  # the core shows each dialog its best-ranked unshown item
