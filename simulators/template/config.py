"""The template shopper's settings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_SALIENCE: dict[str, float] = {
    "category": 6.0, "hue": 7.0, "silhouette": 1.6, "length": 2.2, "sleeve": 2.2, "heel": 2.0,
    "tone": 2.0, "pattern": 1.8, "neckline": 1.1, "parts": 0.8, "texture_extra": 0.9,
    "toe": 1.1, "fit": 1.3, "shine": 1.0, "fabric": 0.7, "style": 0.45,
}
MODES = ("direct", "comparative", "mixed")


@dataclass(frozen=True)
class TemplateConfig:
    """Rates of the template shopper (defaults: Fashion IQ's measured shares)."""

    lexicon: str = "train"
    """Wording: train, or the held-out test lexicon (other phrases for every value)."""
    mode_rates: tuple[float, float, float] = (0.49, 0.32, 0.19)
    """Shares of direct, comparative and mixed captions (Fashion IQ Table 2)."""
    single_rate: float = 0.305
    """Share of captions with a single request."""
    three_rate: float = 0.05
    """Share of captions with three requests (the rest have two)."""
    negation_rate: float = 0.035
    """Rate of an added negation ("with no lace")."""
    tone_with_hue_rate: float = 0.8
    """Rate at which a tone comparative names the hue ("a darker blue")."""
    not_as_rate: float = 0.06
    """Rate of "not as long" instead of "shorter"."""
    filler_rate: float = 0.12
    """Rate of a filler lead ("should be", "i want it to be")."""
    wrong_rate: float = 0.0
    """Noise: rate of a wrong value in a direct request."""
    omit_rate: float = 0.0
    """Noise: rate of leaving out one of several requests."""
    irrelevant_rate: float = 0.02
    """Noise: rate of an irrelevant caption ("i like it")."""
    repeat_rate: float = 0.05
    """Noise: rate of repeating an earlier request."""
    typo_rate: float = 0.01
    """Noise: rate of a typo (two letters swapped)."""
    salience: tuple[tuple[str, float], ...] = tuple(DEFAULT_SALIENCE.items())
    """Weight of each slot when choosing what to say (category and hue first)."""

    def __post_init__(self) -> None:
        if isinstance(self.salience, dict):  # accept a dict, store a hashable tuple
            object.__setattr__(self, "salience", tuple(self.salience.items()))
        bad = {k: v for k, v in self.salience if not (np.isfinite(v) and v >= 0)}
        if bad:
            raise ValueError(f"salience weights must be finite and >= 0, got {bad}")
        if len(self.mode_rates) != 3 or abs(sum(self.mode_rates) - 1) > 1e-6 or \
                min(self.mode_rates) < 0:
            raise ValueError(f"mode_rates (direct, comparative, mixed) must be 3 non-negative "
                             f"shares summing to 1, got {self.mode_rates}")
        for name in ("single_rate", "three_rate", "negation_rate", "filler_rate", "wrong_rate",
                     "omit_rate", "irrelevant_rate", "tone_with_hue_rate", "not_as_rate",
                     "repeat_rate", "typo_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.single_rate + self.three_rate > 1 or self.single_rate > 1 - self.mode_rates[2]:
            raise ValueError("single_rate + three_rate must be <= 1 and single_rate <= "
                             "1 - mixed share (mixed captions need two requests)")
