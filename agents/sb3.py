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
dialog's history the way the GRU / LSTM / CM-NTM trackers do. `FashionDialogVecEnv` runs
many dialogs on one batched core as an SB3 `VecEnv` (the fast path for PPO / A2C).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from agents.text import RNNTextEncoder


class CaptionExtractor(BaseFeaturesExtractor):
    def __init__(self, observation_space: gym.spaces.Dict, text_dim: int = 64,
                 embed_dim: int = 64):
        spaces = observation_space.spaces
        vocab = int(spaces["feedback"].high.max()) + 1
        dim = (text_dim + spaces["candidate_features"].shape[0]
               + spaces["candidate_attributes"].shape[0] + 1)
        super().__init__(observation_space, features_dim=dim)
        # The dict layout's `turn` is the raw turn count, its space bounded by the
        # environment's turn budget `max_turns`: scale it to [0, 1] by that budget.
        self.max_turns = float(spaces["turn"].high.max())
        self.text = RNNTextEncoder(vocab, embed_dim, text_dim, text_dim)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        tokens = obs["feedback"].long()
        return torch.cat([self.text(tokens), obs["candidate_features"],
                          obs["candidate_attributes"], obs["turn"] / self.max_turns], dim=1)


def policy_kwargs(env: gym.Env | None = None, **kwargs) -> dict:
    """`policy_kwargs` for SB3's `MultiInputPolicy` with the caption extractor."""
    return {"features_extractor_class": CaptionExtractor,
            "features_extractor_kwargs": kwargs}


class FashionDialogVecEnv(VecEnv):
    """`num_envs` dialogs of FashionDialog-v0 on ONE batched core, as a stable-baselines3
    `VecEnv` (SB3 refuses Gymnasium vector envs): one matrix product ranks all queries.

        from agents.sb3 import FashionDialogVecEnv, policy_kwargs
        venv = FashionDialogVecEnv(64, n_items=2000)      # make_core keywords
        PPO("MultiInputPolicy", venv, policy_kwargs=policy_kwargs()).learn(10_000)

    SB3's semantics: `step` resets a finished dialog at once and returns its last
    observation in `infos[i]["terminal_observation"]` (and `TimeLimit.truncated`). Infos
    hold numbers only (target rank, percentile, turn, candidate, success). `seed(s)`
    seeds dialog i with `s + i` at the next reset; the same seed gives the same dialogs
    as `gym.make("FashionDialog-v0").reset(seed=s + i)`.

    Do not let `VecNormalize` normalise the caption token ids: use `vec_normalize(venv)`,
    which normalises only the float features (`norm_obs_keys`). With
    `observation="flat"` (one float32 Box: bag of words, features, attributes, turn) use
    `PPO("MlpPolicy", venv)` without the caption extractor."""

    def __init__(self, num_envs: int, **kwargs):
        from dialog_env.factory import make_core

        # SB3 wants per-env dicts of python numbers; they are built here (`_info`).
        self.core = make_core(num_envs, **{**kwargs, "info": None})
        self.render_mode = None
        super().__init__(num_envs, self.core.observation_space(), self.core.action_space())
        self._actions: np.ndarray | None = None

    def reset(self):
        seeds = list(self._seeds)
        obs, _ = self.core.reset(seeds=seeds)
        self._reset_seeds()
        self.reset_infos = [self._info(i) for i in range(self.num_envs)]
        return obs

    def _info(self, i: int) -> dict:
        c = self.core
        return {"target_rank": int(c.rank[i]), "turn": int(c.turn[i]),
                "candidate": int(c.candidate[i]), "success": bool(c.success[i])}

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32)

    def step_wait(self):
        obs, rew, term, trunc, _ = self.core.step(self._actions)
        infos = [self._info(i) for i in range(self.num_envs)]
        done = term | trunc
        ended = np.flatnonzero(done)
        if len(ended):
            for i in ended.tolist():
                infos[i]["terminal_observation"] = (
                    obs[i].copy() if isinstance(obs, np.ndarray) else
                    {k: v[i].copy() for k, v in obs.items()})
                infos[i]["TimeLimit.truncated"] = bool(trunc[i] and not term[i])
            obs, _ = self.core.reset(rows=ended, seeds=[None] * len(ended))
        return obs, rew.astype(np.float32), done, infos

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices=None) -> list:
        if attr_name == "render_mode":
            return [None] * len(self._get_indices(indices))
        return [getattr(self.core, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value, indices=None) -> None:
        raise AttributeError(f"FashionDialogVecEnv has no settable attribute {attr_name!r}")

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list:
        raise AttributeError(f"FashionDialogVecEnv has no per-env method {method_name!r}")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))


def vec_normalize(venv: VecEnv, **kwargs) -> VecNormalize:
    """`VecNormalize` that normalises the float features only, never the token ids (a
    flat observation, all floats, is normalised as a whole)."""
    if not isinstance(venv.observation_space, gym.spaces.Dict):
        return VecNormalize(venv, **kwargs)
    keys = [k for k, s in venv.observation_space.spaces.items()
            if np.issubdtype(s.dtype, np.floating)]
    return VecNormalize(venv, norm_obs_keys=keys, **kwargs)
