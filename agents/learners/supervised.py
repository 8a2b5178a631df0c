"""Supervised on-policy learning (Guo et al.'s pretraining; FashionNTM's turn-wise loss):
roll the current agent out in the batched core and apply a retrieval loss at every turn
between the agent's query and the target; the loss is averaged over turns."""

from __future__ import annotations

import torch

from agents.learners.base import LearnerConfig, start_batch
from agents.learners.losses import retrieval_loss
from agents.model import DialogAgent
from agents.policy import obs_tensors, to_action
from dialog_env.world import DialogWorld


def supervised_step(agent: DialogAgent, world: DialogWorld, items: torch.Tensor,
                    cfg: LearnerConfig, seed: int, stage: int, step: int):
    device = items.device
    core, obs, gen, targets, state = start_batch(agent, world, items, cfg, seed, stage, step)
    losses = []
    for _ in range(cfg.turns):
        active = torch.as_tensor(~core.done, device=device)
        q, state = agent.turn(*obs_tensors(obs, device, agent.needs_embedding), state, active)
        losses.append(retrieval_loss(cfg.loss, q[active], targets[active], items,
                                     agent.scale(), gen))
        obs, *_ = core.step(to_action(q))
        if core.done.all():
            break
    loss = torch.stack(losses).mean()
    return loss, {"loss": loss.item(), "recall@10": float((core.rank < 10).mean())}
