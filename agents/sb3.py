"""stable-baselines3 adapter: train `PPO("MultiInputPolicy", env)` (or A2C) on
FashionDialog-v0 with the query action.

SB3's default extractor would read caption token ids as numbers; `CaptionExtractor`
embeds them (embedding -> GRU -> max-pool) and concatenates the shown item's features,
attributes and the turn:

    import gymnasium as gym, dialog_env
    from stable_baselines3 import PPO
    from agents.sb3 import policy_kwargs
    env = gym.make("FashionDialog-v0")
    model = PPO("MultiInputPolicy", env, policy_kwargs=policy_kwargs(env)).learn(10_000)

SB3 policies see one turn at a time (no recurrent state), so they cannot aggregate the
dialog's history the way the GRU / LSTM / CM-NTM trackers do.
"""

from __future__ import annotations

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from agents.text import RNNTextEncoder


class CaptionExtractor(BaseFeaturesExtractor):
    def __init__(self, observation_space: gym.spaces.Dict, text_dim: int = 64,
                 embed_dim: int = 64):
        spaces = observation_space.spaces
        vocab = int(spaces["feedback"].high.max()) + 1
        dim = (text_dim + spaces["candidate_features"].shape[0]
               + spaces["candidate_attributes"].shape[0] + 1)
        super().__init__(observation_space, features_dim=dim)
        self.text = RNNTextEncoder(vocab, embed_dim, text_dim, text_dim)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        tokens = obs["feedback"].long()
        return torch.cat([self.text(tokens), obs["candidate_features"],
                          obs["candidate_attributes"], obs["turn"] / 10.0], dim=1)


def policy_kwargs(env: gym.Env | None = None, **kwargs) -> dict:
    """`policy_kwargs` for SB3's `MultiInputPolicy` with the caption extractor."""
    return {"features_extractor_class": CaptionExtractor,
            "features_extractor_kwargs": kwargs}
