"""`FashionDialogVectorEnv`: the Gymnasium vector env of `FashionDialog-v0` over one
batched core (registered as its `vector_entry_point`).

It follows Gymnasium's NEXT_STEP autoreset: when a sub-env's episode ends at step t, the
next `step` resets that sub-env (its action is ignored) and returns the first observation
of the new episode with reward 0 and terminated = truncated = False. Infos are Gymnasium's
vector infos: one array per key plus a `_key` mask. Reset options are per env only:
`options={"per_env": [dict or None] * num_envs}` (`dialog_env.options`).
"""

from __future__ import annotations

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from dialog_env.checks import as_int
from dialog_env.env import TurnBudgetSpec
from dialog_env.factory import make_core
from dialog_env.options import per_env_options


class FashionDialogVectorEnv(VectorEnv):
    """`num_envs` dialogs of `FashionDialog-v0` on one batched core (NEXT_STEP autoreset).

    Accepts the same keyword arguments as `FashionDialogEnv` (see `make_core`)."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP,
                "render_modes": ["ansi", "rgb_array"]}
    spec = TurnBudgetSpec()

    def __init__(self, num_envs: int = 1, render_mode: str | None = None,
                 max_episode_steps: int | None = None, **kwargs):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; expected one of "
                             f"{self.metadata['render_modes']}")
        if max_episode_steps is not None:  # another name for max_turns
            turns = kwargs.setdefault("max_turns", max_episode_steps)
            if turns != max_episode_steps:
                raise ValueError(f"max_episode_steps={max_episode_steps!r} and "
                                 f"max_turns={turns!r} disagree; give one of them")
        num_envs = as_int(num_envs, "num_envs")
        self.core = make_core(num_envs, **kwargs)
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.single_observation_space = self.core.observation_space()
        self.single_action_space = self.core.action_space()
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._autoreset = np.zeros(num_envs, dtype=bool)

    def _vector_infos(self, infos: list[dict | None]) -> dict:
        out: dict = {}
        for i, info in enumerate(infos):
            if info is not None:
                self._add_info(out, info, i)
        return out

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, (list, tuple)):
            if len(seed) != self.num_envs:
                raise ValueError(f"got {len(seed)} seeds for {self.num_envs} envs")
            seeds = list(seed)
        else:
            first = as_int(seed, "seed")
            seeds = [first + i for i in range(self.num_envs)]
        per_env = per_env_options(options, self.num_envs)
        obs, infos = self.core.reset(seeds=seeds, options=per_env)
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seeds[0])
        self._autoreset[:] = False
        return obs, self._vector_infos(infos)

    def step(self, actions):
        core = self.core
        resetting = np.flatnonzero(self._autoreset)
        stepping = np.flatnonzero(~self._autoreset)
        obs, rew, term, trunc, infos = core.step(actions, rows=stepping)
        if len(resetting):
            obs, reset_infos = core.reset(rows=resetting, seeds=[None] * len(resetting))
            for k, i in enumerate(resetting):
                infos[i] = reset_infos[k]
        self._autoreset = term | trunc
        return obs, rew, term, trunc, self._vector_infos(infos)

    def render(self):
        if self.render_mode == "ansi":
            return [self.core.transcript(i) for i in range(self.num_envs)]
        if self.render_mode == "rgb_array":  # (num_envs, S, S * (max_turns + 1), 3) uint8
            return np.stack([self.core.strip(i) for i in range(self.num_envs)])
        return None
