"""The episode source: where each new dialog of the batched core starts (RecSim's initial
state sampler, apart from the user model). A source decides each new dialog's hidden target
and first shown item and, for a scripted dialog (a recording), the items shown at later
turns and the turns it lasts. The core starts dialogs only through `world.episodes`; it
never asks the shopper where a dialog starts.

- `SampledStarts` (the default): the target uniformly from the episode's split and the
  first item uniformly from the target's category without it, 2 uniforms from each
  dialog's own generator; reset options `target` / `first_candidate`.
- `RecordedScript(recorded, shopper)`: recorded dialogs (`dialog_env.recorded`) decide
  target, shown items and turn count; a dialog is drawn uniformly with its own generator
  or named with the reset option `dialog`. `shopper` (optional, the replay shopper that
  says the recorded text: `dialog_env.factory.replay_world` wires the two) is told which
  recorded dialog each row plays through its `play(said, rows, ks)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from dialog_env.catalog.schema import SPLITS
from dialog_env.options import checked_option_dicts, dialog_option, start_options
from dialog_env.recorded import RecordedDialogs


class Starts(NamedTuple):
    """What a source decides for new dialogs `rows`: targets and first shown items `(n,)`,
    the script each plays (`(n,)`, -1: none) and its turn limit (`(n,)`, None: the
    episode's `max_turns`)."""

    target: np.ndarray
    first: np.ndarray
    script: np.ndarray
    turns: np.ndarray | None = None


class EpisodeSource(Protocol):
    """What the batched core asks of an episode source."""

    def check(self, split: str) -> None:
        """Refuse episodes of `split` this source cannot start (raises ValueError)."""
        ...

    def options(self, options: Sequence | None, envs: Sequence[int], world: Any,
                split: str) -> list[dict[str, int]]:
        """Checked reset options of dialogs `envs` (one dict each)."""
        ...

    def start(self, world: Any, split: str, rngs: Sequence[np.random.Generator],
              options: list[dict[str, int]], rows: np.ndarray, said: Any) -> Starts:
        """New dialogs `rows` (`rngs[k]` is dialog `rows[k]`'s generator; `said` the
        shopper's state of the core's dialogs, before its `start`)."""
        ...

    def shown_at(self, script: np.ndarray, turn: np.ndarray,
                 limit: np.ndarray) -> np.ndarray | None:
        """The items scripts `script` show at turns `turn` (-1 where the core picks the
        item), or None when this source scripts no turn."""
        ...


def _uniforms(rngs: Sequence[np.random.Generator]) -> np.ndarray:
    """`(n, 2)` uniforms, dialog k's from `rngs[k]` (in row order)."""
    draws = np.empty((len(rngs), 2))
    for k, rng in enumerate(rngs):
        rng.random(out=draws[k])
    return draws


def _other_item(pool: np.ndarray, item: int, u: float) -> int:
    """Uniform draw from sorted `pool` without `item` (from all items when `pool` holds
    `item` alone)."""
    pos = int(np.searchsorted(pool, item))
    if pos < len(pool) and pool[pos] == item:
        if len(pool) < 2:
            raise ValueError(f"no item other than {item} to draw from")
        j = int(u * (len(pool) - 1))
        return int(pool[j + (j >= pos)])
    return int(pool[int(u * len(pool))])


class SampledStarts:
    """Targets drawn from the episode's split, first items from the target's category
    without it (see the module docstring); no scripted turns."""

    def check(self, split: str) -> None:
        return None

    def options(self, options, envs, world, split) -> list[dict[str, int]]:
        out = []
        for env, opt in checked_option_dicts(options, envs):
            if "dialog" in opt:
                raise ValueError(f"reset option 'dialog' (env {env}) needs a replay shopper "
                                 f"(simulators.replay); this world's shopper does not replay "
                                 f"recorded dialogs")
            out.append(start_options(opt, env, world.n_items, split, world.catalog.split))
        return out

    def start(self, world, split, rngs, options, rows, said) -> Starts:
        pool = world.split_items[split]
        # Per dialog, from its own generator: 2 uniforms for the target and the first
        # candidate; the shopper then draws what it needs from the same generator.
        draws = _uniforms(rngs)
        target = pool[(draws[:, 0] * len(pool)).astype(np.int64)]
        # First candidate: uniform over the target's category without the target.
        cat = world.catalog.category[target]
        pools = world.category_pools
        j = (draws[:, 1] * (pools.size[cat] - 1)).astype(np.int64)
        j += j >= pools.pos[target]
        cand = pools.flat[pools.start[cat] + j]
        for k, opt in enumerate(options):
            if "target" in opt:
                target[k] = opt["target"]
                cat[k] = world.catalog.category[target[k]]
                if "first_candidate" not in opt:
                    cand[k] = _other_item(pools.groups[cat[k]], target[k], draws[k, 1])
            if "first_candidate" in opt:
                cand[k] = opt["first_candidate"]
                if "target" not in opt:  # a target other than the given candidate
                    target[k] = _other_item(pool, cand[k], draws[k, 0])
        return Starts(target, cand, np.full(len(rows), -1, dtype=np.int64))

    def shown_at(self, script, turn, limit) -> None:
        return None


class RecordedScript:
    """Recorded dialogs as the episodes (see the module docstring): dialog k's target is
    `recorded.targets[k]`, turn j shows `recorded.references[k, j]`, and it lasts
    `recorded.turns[k]` turns (at most the episode's budget)."""

    def __init__(self, recorded: RecordedDialogs, shopper: Any = None):
        if not isinstance(recorded, RecordedDialogs):
            raise TypeError(f"RecordedScript needs a RecordedDialogs, got "
                            f"{type(recorded).__name__}")
        self.recorded, self.shopper = recorded, shopper

    def __len__(self) -> int:
        return len(self.recorded)

    def check(self, split: str) -> None:
        rec = self.recorded
        if rec.split not in SPLITS:
            raise ValueError(f"the replay shopper's recorded dialogs come from several splits "
                             f"({rec.split!r}); record or select one split to replay")
        if rec.split != split:
            raise ValueError(f"the replay shopper's recorded dialogs are of split "
                             f"{rec.split!r}, the episodes of {split!r}")

    def options(self, options, envs, world, split) -> list[dict[str, int]]:
        out = []
        for env, opt in checked_option_dicts(options, envs):
            if "dialog" in opt:
                out.append(dialog_option(opt, env, len(self.recorded)))
            elif opt:
                raise ValueError(f"reset options {sorted(map(str, opt))} (env {env}): a "
                                 f"replay shopper's dialogs take only 'dialog' (the recording "
                                 f"fixes the target and the shown items)")
            else:
                out.append({})
        return out

    def start(self, world, split, rngs, options, rows, said) -> Starts:
        rec = self.recorded
        draws = _uniforms(rngs)  # 2 per dialog, as sampled starts draw
        ks = (draws[:, 0] * len(rec)).astype(np.int64)
        ks = np.array([opt.get("dialog", k) for opt, k in zip(options, ks.tolist())],
                      dtype=np.int64)
        if self.shopper is not None:  # the replay shopper says dialog ks[k] in rows[k]
            self.shopper.play(said, rows, ks)
        return Starts(rec.targets[ks], rec.references[ks, 0], ks, rec.turns[ks])

    def shown_at(self, script, turn, limit) -> np.ndarray:
        rec = self.recorded
        scripted = turn < limit
        col = np.minimum(turn, rec.max_turns - 1)
        return np.where(scripted, rec.references[script, col], -1)


__all__ = ["EpisodeSource", "RecordedScript", "SampledStarts", "Starts"]
