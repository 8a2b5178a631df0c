"""The turn budget and Gymnasium's `max_episode_steps`: one budget, whichever name gives it.

The dialog's budget is `EpisodeConfig.max_turns`; the environment truncates itself after
it. Gymnasium also has `max_episode_steps`, which reaches the two environments in
different ways:

- `gym.make_vec(..., max_episode_steps=N)` hands it to the vector entry point as a keyword
  (`FashionDialogVectorEnv(max_episode_steps=N)`);
- `gym.make(..., max_episode_steps=N)` keeps it: it never reaches the constructor, nor
  `env.unwrapped.spec` (Gymnasium sets that spec's `max_episode_steps` to None on purpose,
  Farama-Foundation/Gymnasium#615 and #871); it only wraps the env in a `TimeLimit(N)`.
  The single env therefore reads it where `gym.make` holds it, when `gym.make` assigns the
  env its spec (just before it adds the `TimeLimit`): `make_time_limit` below.

Both then apply `turn_budget`: N becomes the dialog's `max_turns`; a `max_turns=` keyword
that disagrees is refused, naming both; N = -1 (Gymnasium's "no TimeLimit") keeps
`max_turns`.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from types import FrameType
from typing import Any

from dialog_env.checks import as_int

NO_TIME_LIMIT = -1  # gym.make's value for "no TimeLimit wrapper"


def turn_budget(max_episode_steps: Any, max_turns: Any, source: str = "") -> int | None:
    """The turn budget `max_episode_steps` sets (None when it sets none: None or -1).
    `max_turns` is the `max_turns=` keyword given with it (None when not given); if both
    are given they must agree. `source` says where `max_episode_steps` came from."""
    if max_episode_steps is None or as_int(max_episode_steps,
                                           "max_episode_steps") == NO_TIME_LIMIT:
        return None
    steps = as_int(max_episode_steps, "max_episode_steps", lo=1)
    if max_turns is not None and max_turns != steps:
        raise ValueError(f"max_episode_steps={steps!r}{source} and max_turns={max_turns!r} "
                         f"disagree; give one of them (both set the turn budget)")
    return steps


def make_time_limit(frame: FrameType | None) -> tuple[Any, str] | None:
    """When `frame` is Gymnasium's `gym.make`: the `TimeLimit` it is about to add, as
    (max_episode_steps, where it came from), or None when it adds none. Else None."""
    from gymnasium.envs import registration

    if frame is None or frame.f_code is not registration.make.__code__:
        return None
    if not {"max_episode_steps", "env_spec"} <= set(frame.f_locals):
        # This reads two local names of Gymnasium's `make` (1.x); say so if they change.
        warnings.warn("FashionDialog cannot read gym.make's max_episode_steps (Gymnasium's "
                      "make changed); pass the turn budget as max_turns=", stacklevel=2)
        return None
    given = frame.f_locals.get("max_episode_steps")
    if given is not None:
        return None if given == NO_TIME_LIMIT else (given, " (given to gym.make)")
    registered = getattr(frame.f_locals.get("env_spec"), "max_episode_steps", None)
    return None if registered is None else (registered, " (the EnvSpec's)")


class TurnBudgetSpec:
    """`env.spec` with `max_episode_steps` set to the env's own turn budget
    (`core.max_turns`): whatever spec `gym.make`/`gym.make_vec` assign, it reports the
    truncation the environment applies."""

    def __get__(self, env, owner=None):
        if env is None:
            return self
        spec = env.__dict__.get("_spec")
        if spec is None or "core" not in env.__dict__:
            return spec
        return dataclasses.replace(spec, max_episode_steps=env.core.max_turns)

    def __set__(self, env, spec) -> None:
        env.__dict__["_spec"] = spec


class MakeBudgetSpec(TurnBudgetSpec):
    """The single env's `spec`: when `gym.make` assigns it, the env also takes the
    `TimeLimit` that `gym.make` is about to add as its turn budget
    (`env.take_turn_budget`), so the dialog and the wrapper end at the same step."""

    def __set__(self, env, spec) -> None:
        super().__set__(env, spec)
        limit = make_time_limit(sys._getframe(1))
        if limit is not None:
            env.take_turn_budget(*limit)
