"""Adapters between agents and the environment side: queries into the action box, observations
into tensors, a `DialogAgent` as a `DialogPolicy`, agent configs for a world."""

from __future__ import annotations

import numpy as np
import torch

from agents.model import AgentConfig, DialogAgent
from dialog_env.batched import BatchedDialogs
from dialog_env.world import DialogWorld


def resolve_device(device: str = "auto") -> torch.device:
    """`auto`: CUDA when available, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def type_index(world: DialogWorld) -> list[list[int]]:
    """Attribute columns of each attribute type (for the attention response encoder)."""
    types = world.catalog.vocab.types
    return [[j for j, t in enumerate(types) if t == ty] for ty in dict.fromkeys(types)]


def config_for_world(name: str, world: DialogWorld, **overrides) -> AgentConfig:
    from agents.model import agent_config

    return agent_config(name, len(world.shopper.vocab), world.space.visual_dim,
                        world.attributes.shape[1], type_index(world), **overrides)


def obs_tensors(obs: dict[str, np.ndarray], device, embedding: bool = False
                ) -> tuple[torch.Tensor, ...]:
    """(caption, shown item's features, its attributes) as tensors; the caption is token
    ids, or the sentence embedding when `embedding`."""
    text = obs["feedback_embedding"] if embedding else obs["feedback"]
    return (torch.as_tensor(text, device=device),
            torch.as_tensor(obs["candidate_features"], device=device),
            torch.as_tensor(obs["candidate_attributes"], device=device))


def to_box(q: np.ndarray) -> np.ndarray:
    """Scale each query `(B, D)` into the action box [-1, 1] (ranking is scale invariant)."""
    m = np.abs(q).max(axis=1, keepdims=True)
    return (q / np.where(m > 0, m, 1.0)).astype(np.float32)


def to_action(q: torch.Tensor) -> np.ndarray:
    """Queries scaled into the action box (ranking is scale invariant)."""
    return to_box(q.detach().float().cpu().numpy())


class TorchPolicy:
    """A `DialogPolicy` (see dialog_env.evaluation) around a `DialogAgent`."""

    def __init__(self, agent: DialogAgent, device: torch.device | str = "cpu"):
        self.agent = agent.eval()
        self.device = torch.device(device)
        self.name = agent.config.name
        self.needs_embedding = agent.needs_embedding

    def begin(self, core: BatchedDialogs) -> None:
        self.state = self.agent.initial_state(core.B, self.device)

    @torch.no_grad()
    def act(self, obs, infos, core: BatchedDialogs) -> np.ndarray:
        mask = torch.as_tensor(~core.done, device=self.device)
        q, self.state = self.agent.turn(*obs_tensors(obs, self.device, self.needs_embedding),
                                        self.state, mask)
        return to_action(q)
