"""The real-language shopper's settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RealConfig:
    """How the real-language shopper (`shopper="real"`) picks real caption templates."""

    ungrounded: float = 0.25
    """Weight of real captions that ground nothing in the catalog ("is more elegant") relative
    to their frequency among people's captions (1: as often as people say them; 0: never,
    unless nothing else fits the pair)."""
    max_placeholders: int = 3
    """Templates with more grounded phrases than this are not used."""
    min_count: int = 1
    """Templates seen fewer times than this among the training captions are not used."""

    def __post_init__(self) -> None:
        if not (isinstance(self.ungrounded, (int, float)) and 0 <= self.ungrounded <= 10):
            raise ValueError(f"real.ungrounded must be in [0, 10], got {self.ungrounded!r}")
        if not (isinstance(self.max_placeholders, int) and 1 <= self.max_placeholders <= 6):
            raise ValueError(f"real.max_placeholders must be an int in [1, 6], got "
                             f"{self.max_placeholders!r}")
        if not (isinstance(self.min_count, int) and self.min_count >= 1):
            raise ValueError(f"real.min_count must be an int >= 1, got {self.min_count!r}")
