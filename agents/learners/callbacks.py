"""Training callbacks: `train(..., callbacks=[...])` calls each one's `on_step` after every
optimizer step (after that step's checkpoint, if any, is written)."""

from __future__ import annotations


class StopTraining(Exception):
    """Raise it from a callback to stop training; it propagates out of `train` (the
    checkpoints written so far stay, `final/` is not written) — a run stopped like this
    resumes like a killed one."""


class Callback:
    """Base class of training callbacks (override what you need)."""

    def on_step(self, stage: int, step: int, stats: dict[str, float]) -> None:
        """Stage `stage` (index into `train`'s stages) has completed `step` optimizer steps;
        `stats` are the step's statistics (`loss`, `recall@10`, ...)."""
