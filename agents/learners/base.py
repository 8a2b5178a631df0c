"""What every learner shares: its configuration, one training batch of dialogs, the step's
torch generator, and the small tensor helpers the losses use."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch

from dialog_env.batched import BatchedDialogs
from dialog_env.world import DialogWorld

# Each learner's own settings class, by learner name (filled by `register_settings` in the
# learner's module, as each SB3 algorithm owns its hyperparameters).
LEARNER_SETTINGS: dict[str, type] = {}

SHARED = ("steps", "batch", "turns", "lr", "grad_clip", "checkpoint_every")
"""The budgets every learner shares; all other knobs belong to one learner's settings."""


def register_settings(name: str):
    """Class decorator: register a dataclass as learner `name`'s settings class."""
    def deco(cls):
        LEARNER_SETTINGS[name] = cls
        return cls
    return deco


def _knob_owners() -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for name, cls in LEARNER_SETTINGS.items():
        for f in fields(cls):
            owners.setdefault(f.name, []).append(name)
    return owners


@dataclass(init=False)
class LearnerConfig:
    """Budgets and optimisation settings of one learner stage: the shared budgets, and the
    learner's own `settings` (an instance of the class its learner registered: see
    `LEARNER_SETTINGS`). The learner's knobs may also be given by their flat names
    (`LearnerConfig(top_k=4)`); they are mapped onto the learner's settings when the stage
    is bound to its learner (`bind`), which refuses a knob the learner does not have."""

    steps: int = 500
    """Optimizer steps (one batch of dialogs each)."""
    batch: int = 128
    """Dialogs per batch."""
    turns: int = 10
    """Turns per training dialog."""
    lr: float = 1e-3
    """Adam learning rate."""
    grad_clip: float = 5.0
    """Gradient-norm clipping."""
    checkpoint_every: int = 50
    """Steps between checkpoints."""
    settings: Any = None
    """The learner's own settings (None: the learner's defaults, set by `bind`)."""
    knobs: dict = field(default_factory=dict, repr=False)
    """Flat-named learner knobs not yet mapped onto `settings` (see `bind`)."""

    def __init__(self, steps: int = 500, batch: int = 128, turns: int = 10, lr: float = 1e-3,
                 grad_clip: float = 5.0, checkpoint_every: int = 50, settings: Any = None,
                 **knobs: Any):
        owners = _knob_owners()
        unknown = [k for k in knobs if owners and k not in owners]
        if unknown:
            raise TypeError(f"LearnerConfig: unknown learner settings {unknown}; the shared "
                            f"budgets are {list(SHARED)}, the learners' own settings "
                            f"{sorted(owners)}")
        self.steps, self.batch, self.turns, self.lr = steps, batch, turns, lr
        self.grad_clip, self.checkpoint_every = grad_clip, checkpoint_every
        self.settings, self.knobs = settings, dict(knobs)

    def bind(self, name: str) -> LearnerConfig:
        """This config for learner `name`: `settings` an instance of its settings class, with
        the flat-named knobs applied; a knob the learner does not have is refused."""
        if name not in LEARNER_SETTINGS:
            raise ValueError(f"unknown learner {name!r}; expected one of "
                             f"{list(LEARNER_SETTINGS)}")
        cls = LEARNER_SETTINGS[name]
        settings = cls() if self.settings is None else self.settings
        if not isinstance(settings, cls):
            raise TypeError(f"learner {name!r} takes {cls.__name__}, got "
                            f"{type(settings).__name__}")
        own = {f.name for f in fields(cls)}
        wrong = [k for k in self.knobs if k not in own]
        if wrong:
            owners = _knob_owners()
            raise ValueError("; ".join(
                f"learner {name!r} has no setting {k!r} (it belongs to "
                f"{' and '.join(repr(o) for o in owners.get(k, []))}); {name!r} settings: "
                f"{sorted(own)}" for k in wrong))
        return LearnerConfig(self.steps, self.batch, self.turns, self.lr, self.grad_clip,
                             self.checkpoint_every, replace(settings, **self.knobs))

    def to_dict(self) -> dict:
        """The shared budgets and, under `settings`, the learner's own settings."""
        out = {k: getattr(self, k) for k in SHARED}
        if self.settings is not None:
            out["settings"] = asdict(self.settings)
        if self.knobs:
            out["knobs"] = dict(self.knobs)
        return out

    def flat(self) -> dict:
        """Shared budgets and learner settings in one flat dict (the old layout's names)."""
        out = {k: getattr(self, k) for k in SHARED}
        if self.settings is not None:
            out.update(asdict(self.settings))
        out.update(self.knobs)
        return out


def saved_settings(saved: dict) -> dict:
    """A checkpoint's stage config (`LearnerConfig.to_dict`, or the old flat layout where
    every learner's knobs sat side by side) as one flat dict of names to values."""
    if "settings" in saved and isinstance(saved["settings"], dict):
        return {**{k: v for k, v in saved.items() if k not in ("settings", "knobs")},
                **saved["settings"]}
    return dict(saved)


def new_batch(world: DialogWorld, cfg: LearnerConfig, seed: int, stage: int, step: int,
              embedding: bool = False) -> tuple[BatchedDialogs, dict]:
    """A fresh batch of training dialogs, seeded by (seed, stage, step) only — so a resumed
    run sees exactly the batches an uninterrupted run would. The world's configuration
    (`world.config`) gives the episode settings (exclude_shown, max_tokens) and the reward;
    split and turn budget are the learner's."""
    config = world.config
    # The world's episode settings and reward, on the train split with the learner's budget.
    episode = world.episode(split="train", max_turns=cfg.turns, feedback_embedding=embedding,
                            info=None, observation="dict")
    core = BatchedDialogs(world, cfg.batch, episode,
                          config.reward if config is not None else None)
    base = ((seed * 100 + stage) * 1_000_000 + step) * cfg.batch
    obs, _ = core.reset(seeds=[base + i for i in range(cfg.batch)])
    return core, obs


def torch_generator(device, seed: int, stage: int, step: int) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(np.random.SeedSequence([seed, stage, step]).generate_state(1)[0]))
    return g


def mask_shown(scores: torch.Tensor, shown: np.ndarray) -> torch.Tensor:
    """`scores (B, N)` with each dialog's already shown items (`shown`, -1 padded) at -inf."""
    r, c = np.nonzero(shown >= 0)
    out = scores.clone()
    out[torch.as_tensor(r, device=scores.device),
        torch.as_tensor(shown[r, c], device=scores.device)] = float("-inf")
    return out


def map_state(fn, state):
    """Apply `fn` to every tensor of a (nested) tracker state."""
    if isinstance(state, tuple):
        return tuple(map_state(fn, s) for s in state)
    return fn(state)
