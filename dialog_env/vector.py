"""`FashionDialogVectorEnv`: the Gymnasium vector env of `FashionDialog-v0` over one
batched core (registered as its `vector_entry_point`).

It keeps Gymnasium's three autoreset modes (`autoreset_mode=`, an `AutoresetMode` or its
name: "next_step", "same_step", "disabled"; `gym.make_vec` passes it as a keyword, since
Gymnasium gives `vector_kwargs` only to its own Sync/Async vector envs):

  NEXT_STEP (default)  when a sub-env's episode ends at step t, the next `step` resets it
                       (its action is ignored) and returns the first observation of the
                       new episode with reward 0 and terminated = truncated = False.
  SAME_STEP            a sub-env that ends resets inside the same step: the step returns
                       the new episode's first observation and reset info; the ended
                       episode's last observation and info are in `info["final_obs"]`
                       (an object array, None elsewhere) and `info["final_info"]` (vector
                       infos), masked by `info["_final_obs"]` / `info["_final_info"]`, as
                       in Gymnasium's `SyncVectorEnv`.
  DISABLED             no autoreset: `reset(options={"reset_mask": mask})` (a bool array of
                       `num_envs`) resets the masked sub-envs only; stepping while a
                       sub-env has ended raises `RuntimeError` naming it.

Infos are Gymnasium's vector infos (one array per key plus a `_key` mask) in the
`info=` mode (`dialog_env.infos`), built from the core's arrays at once. Reset options
are per env only: `options={"per_env": [dict or None] * num_envs}` (`dialog_env.options`),
next to `reset_mask` if given.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from dialog_env.budget import TurnBudgetSpec, turn_budget
from dialog_env.checks import as_int
from dialog_env.env import PicklesItsArguments
from dialog_env.factory import make_core
from dialog_env.infos import vector_infos
from dialog_env.options import per_env_options

AUTORESET_NAMES = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP,
                   "disabled": AutoresetMode.DISABLED}


def as_autoreset_mode(mode) -> AutoresetMode:
    """An `AutoresetMode`, its value ("NextStep") or its name ("next_step", "SAME_STEP")."""
    if isinstance(mode, AutoresetMode):
        return mode
    if isinstance(mode, str):
        for m in AutoresetMode:
            if mode in (m.value, m.name) or mode.lower() == m.name.lower():
                return m
    raise ValueError(f"unknown autoreset_mode {mode!r}; expected an AutoresetMode or one of "
                     f"{sorted(AUTORESET_NAMES)}")


class FashionDialogVectorEnv(PicklesItsArguments, VectorEnv):
    """`num_envs` dialogs of `FashionDialog-v0` on one batched core (see the module
    docstring for `autoreset_mode`).

    Accepts the same keyword arguments as `FashionDialogEnv` (see `make_core`). Pickling
    (and `copy.deepcopy`) keeps the keyword arguments only and builds a fresh env: reset
    it."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP,
                "render_modes": ["ansi", "rgb_array"]}
    spec = TurnBudgetSpec()

    def __init__(self, num_envs: int = 1, render_mode: str | None = None,
                 max_episode_steps: int | None = None,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP, **kwargs):
        self._kwargs = {"num_envs": num_envs, "render_mode": render_mode,
                        "max_episode_steps": max_episode_steps,
                        "autoreset_mode": autoreset_mode, **kwargs}
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; expected one of "
                             f"{self.metadata['render_modes']}")
        turns = turn_budget(max_episode_steps, kwargs.get("max_turns"))
        if turns is not None:  # the turn budget, as in gym.make (`dialog_env.budget`)
            kwargs["max_turns"] = turns
        self.autoreset_mode = as_autoreset_mode(autoreset_mode)
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        num_envs = as_int(num_envs, "num_envs")
        self.core = make_core(num_envs, **kwargs)
        self.info = self.core.info
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.single_observation_space = self.core.observation_space()
        self.single_action_space = self.core.action_space()
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._autoreset = np.zeros(num_envs, dtype=bool)
        self._all = np.arange(num_envs)

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
        mask = None
        if isinstance(options, Mapping) and "reset_mask" in options:
            options = dict(options)
            mask = self._reset_mask(options.pop("reset_mask"))
        per_env = per_env_options(options, self.num_envs)
        rows = self._all if mask is None else np.flatnonzero(mask)
        obs, _ = self.core.reset(rows=rows, seeds=[seeds[i] for i in rows],
                                 options=None if per_env is None else
                                 [per_env[i] for i in rows], infos=False)
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seeds[rows[0]])
        self._autoreset[rows] = False
        return obs, vector_infos(self.core, rows, self.info)

    def _reset_mask(self, mask) -> np.ndarray:
        m = np.asarray(mask)
        if m.dtype != np.bool_ or m.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must be a bool array of shape "
                             f"({self.num_envs},), got {m.dtype} {m.shape}")
        if not m.any():
            raise ValueError("options['reset_mask'] resets no env; set at least one True")
        return m

    def step(self, actions):
        core, mode = self.core, self.autoreset_mode
        if mode == AutoresetMode.NEXT_STEP:
            resetting = np.flatnonzero(self._autoreset)
            obs, rew, term, trunc, _ = core.step(actions, rows=np.flatnonzero(~self._autoreset),
                                                 infos=False)
            if len(resetting):
                obs, _ = core.reset(rows=resetting, seeds=[None] * len(resetting),
                                    infos=False)
            self._autoreset = term | trunc
            return obs, rew, term, trunc, vector_infos(core, self._all, self.info)
        ended_before = np.flatnonzero(core.done)
        if len(ended_before):
            raise RuntimeError(
                f"sub-envs {ended_before[:5].tolist()} have ended (terminated or truncated) "
                f"or were never reset; with autoreset_mode=DISABLED reset them first: "
                f"reset(options={{'reset_mask': mask}})")
        obs, rew, term, trunc, _ = core.step(actions, rows=self._all, infos=False)
        if mode == AutoresetMode.DISABLED:
            return obs, rew, term, trunc, vector_infos(core, self._all, self.info)
        ended = np.flatnonzero(term | trunc)
        if not len(ended):
            return obs, rew, term, trunc, vector_infos(core, self._all, self.info)
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in ended.tolist():
            final_obs[i] = (obs[i].copy() if isinstance(obs, np.ndarray) else
                            {k: v[i].copy() for k, v in obs.items()})
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[ended] = True
        final = {"final_obs": final_obs, "_final_obs": mask,
                 "final_info": vector_infos(core, ended, self.info), "_final_info": mask.copy()}
        obs, _ = core.reset(rows=ended, seeds=[None] * len(ended), infos=False)
        return obs, rew, term, trunc, {**final, **vector_infos(core, self._all, self.info)}

    def render(self):
        if self.render_mode == "ansi":
            return [self.core.transcript(i) for i in range(self.num_envs)]
        if self.render_mode == "rgb_array":  # (num_envs, S, S * (max_turns + 1), 3) uint8
            return np.stack([self.core.strip(i) for i in range(self.num_envs)])
        return None

