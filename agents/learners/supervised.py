"""Supervised on-policy learning (Guo et al.'s pretraining; FashionNTM's turn-wise loss):
roll the current agent out in the batched core (the best-ranked unshown item is shown) and
apply a retrieval loss at every turn between the agent's query and the target; the loss is
averaged over turns."""

from __future__ import annotations

import torch

from agents.learners.learner import Learner, Rollout
from agents.learners.losses import retrieval_loss


class Supervised(Learner):
    name = "supervised"

    def on_turn(self, rollout: Rollout, q: torch.Tensor, obs: tuple[torch.Tensor, ...],
                active: torch.Tensor) -> None:
        rollout.terms.append(retrieval_loss(self.cfg.loss, q[active], rollout.targets[active],
                                            rollout.items, rollout.agent.scale(),
                                            rollout.generator))
        return None  # the core shows each dialog its best-ranked unshown item
