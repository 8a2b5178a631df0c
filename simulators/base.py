"""The user-simulator contract: `Feedback`, `Mention` and the `UserSimulator` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np

RELATIONS = ("is", "not", "more", "less", "found")


class Mention(NamedTuple):
    """One structured request in a caption.

    relation: `is` (the target has `value`), `not` (the target lacks `value`), `more` /
    `less` (the target's level of ordinal slot `slot` is above / below the shown item's
    level `ref_level`), `found` (the shown item is the target).
    `noise` marks deliberate simulator noise (`wrong`, `repeat`), else None.
    (A NamedTuple: the shopper makes several per caption, thousands per second.)
    """

    type: str
    slot: str
    value: str
    relation: str
    ref_level: int | None = None
    noise: str | None = None

    def to_dict(self) -> dict:
        return {"type": self.type, "slot": self.slot, "value": self.value,
                "relation": self.relation, "ref_level": self.ref_level, "noise": self.noise}


@dataclass(frozen=True)
class Feedback:
    text: str
    tokens: tuple[int, ...]
    mentions: tuple[Mention, ...] = field(default_factory=tuple)
    mode: str = "direct"  # direct | comparative | mixed | found | irrelevant | same

    def to_dict(self) -> dict:
        return {"text": self.text, "mode": self.mode,
                "mentions": [m.to_dict() for m in self.mentions]}


class UserSimulator(Protocol):
    """A shopper with a hidden target. `reset` starts a dialog; `feedback` answers a shown
    candidate given the dialog so far (earlier `Feedback`s, oldest first)."""

    def reset(self, target: int, rng: np.random.Generator) -> None: ...

    def feedback(self, candidate: int, history: Sequence[Feedback]) -> Feedback: ...


def token_matrix(feedback: Sequence[Feedback], width: int, pad: int = 0) -> np.ndarray:
    """`(n, width)` int64 token ids of captions, truncated and padded with `pad`."""
    pads = (pad,) * width
    return np.array([(tuple(fb.tokens) + pads)[:width] for fb in feedback],
                    dtype=np.int64).reshape(len(feedback), width)
