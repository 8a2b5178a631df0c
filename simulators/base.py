"""The shopper contract: `Feedback`, `Mention`, and the batched `Shopper` protocol.

The environment talks to a shopper through this contract and nothing else, so any shopper
— the template shopper, a neural captioner, a replay of recorded dialogs, a person typing
at a web page, a user's own — plugs into `FashionDialog-v0` without changes to the
environment:

    shopper = MyShopper(catalog)              # a `Shopper`
    dialogs = shopper.dialogs(B, max_turns)   # a `ShopperDialogs`: state of B dialogs
    dialogs.start(rows, targets, rngs)        # new dialogs with hidden targets
    tokens = dialogs.answer(rows, shown)      # (n, shopper.width) token ids, once a turn
    dialogs.feedback(i)                       # dialog i's captions so far (Feedback)
    copy = dialogs.select(rows)               # copies of some dialogs (learners' clones)

`DialogsBase` keeps the bookkeeping every shopper's dialogs share (targets, turn counts,
the turn budget, a cache of captions, `select`), so a shopper's dialogs write only what
they say (`speak`, and `describe` for captions built on demand). It is a convenience:
any object with the four methods of `ShopperDialogs` is a shopper's dialogs.

Per-dialog state (the targets, what was said, random numbers drawn ahead) belongs to the
`ShopperDialogs` object and is opaque to the environment. Every random choice of dialog
`rows[k]` must come from `rngs[k]` (drawn in `start` or later), so the same seed gives the
same dialog, whatever else is in the batch.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

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
    """One caption: its text, token ids, structured mentions and mode
    (direct | comparative | mixed | found | irrelevant | same)."""

    text: str
    tokens: tuple[int, ...]
    mentions: tuple[Mention, ...] = field(default_factory=tuple)
    mode: str = "direct"


@runtime_checkable
class Vocab(Protocol):
    """What the environment needs of a shopper's vocabulary: its size (token ids are
    `0 .. len(vocab) - 1`, 0 is padding)."""

    def __len__(self) -> int: ...


@runtime_checkable
class ShopperDialogs(Protocol):
    """The shopper's side of B dialogs (rows `0 .. B-1`)."""

    def start(self, rows: np.ndarray, targets: np.ndarray,
              rngs: Sequence[np.random.Generator]) -> None:
        """Begin new dialogs in `rows` (int64 array) whose hidden targets are `targets`
        (item indices); `rngs[k]` is dialog `rows[k]`'s own generator."""
        ...

    def answer(self, rows: np.ndarray, shown: np.ndarray) -> np.ndarray:
        """The captions about items `shown` (one per row) in dialogs `rows`: an
        `(len(rows), width)` int64 array of token ids padded with 0. Called once per turn
        of each dialog (turn 0 right after `start`), at most `max_turns + 1` times."""
        ...

    def feedback(self, row: int) -> list[Feedback]:
        """Dialog `row`'s captions so far, oldest first (text and mentions may be built
        only now: the hot path needs only token ids)."""
        ...

    def select(self, rows: np.ndarray) -> ShopperDialogs:
        """A new object holding copies of dialogs `rows` (rows may repeat): answering in
        the copy leaves these dialogs untouched and, with the same shown items, says what
        they would say. Copy any generator you keep (`copy.deepcopy`)."""
        ...


@runtime_checkable
class Shopper(Protocol):
    """A shopper of one catalog. `name` labels results; `vocab` gives the token ids'
    range; `width` is the number of token ids per answer."""

    name: str
    vocab: Vocab
    width: int

    def dialogs(self, batch_size: int, max_turns: int) -> ShopperDialogs:
        """State for `batch_size` dialogs of at most `max_turns` turns."""
        ...


class DialogsBase:
    """The bookkeeping of B dialogs that every shopper's dialogs share (a `ShopperDialogs`).

    Kept here: `shopper`, `max_turns`, `target` (B,) and `turn` (B,) (answers given so far),
    each dialog's captions so far (a cache), and with `keeps_rngs` each dialog's generator
    (`rngs[i]`). A subclass writes what its shopper says:

    - `speak(rows, shown, turn)` -> `(len(rows), width)` token ids of this turn's captions
      (`turn = self.turn[rows]`, before it counts this answer); it may `record` the
      `Feedback` it built, or leave it to
    - `describe(row, k)` -> the `Feedback` of dialog `row`'s turn `k`, built when first read;
    - `begin(rows, rngs)`: its own part of `start` (draw random numbers ahead, reset its
      arrays), after targets and turns are set;
    - `state`: names of its per-dialog arrays (first axis = row), copied by `select`.

    `start` resets the common part and calls `begin`; `answer` refuses a turn past the
    budget, calls `speak` and counts the turn; `feedback` serves the cache, filled by
    `record` or `describe`; `select` copies the common part, the `state` arrays, the
    caches and (deep-copied) the generators.
    """

    state: tuple[str, ...] = ()
    keeps_rngs: bool = False

    def __init__(self, shopper, batch_size: int, max_turns: int):
        self.shopper, self.max_turns = shopper, max_turns
        self.target = np.full(batch_size, -1, dtype=np.int64)
        self.turn = np.zeros(batch_size, dtype=np.int64)  # answers given so far
        self.rngs: list[np.random.Generator | None] = [None] * batch_size
        self._feedback: list[list[Feedback]] = [[] for _ in range(batch_size)]

    def start(self, rows: np.ndarray, targets: np.ndarray,
              rngs: Sequence[np.random.Generator]) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.target[rows] = targets
        self.turn[rows] = 0
        for i in rows.tolist():
            self._feedback[i] = []
        if self.keeps_rngs:
            for i, rng in zip(rows.tolist(), rngs):
                self.rngs[i] = rng
        self.begin(rows, rngs)

    def begin(self, rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """The subclass's part of `start` (nothing by default)."""

    def answer(self, rows: np.ndarray, shown: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        turn = self.turn[rows]
        check_turns(rows, turn, self.max_turns)
        tokens = self.speak(rows, np.asarray(shown, dtype=np.int64), turn)
        self.turn[rows] += 1
        return tokens

    def speak(self, rows: np.ndarray, shown: np.ndarray, turn: np.ndarray) -> np.ndarray:
        """`(len(rows), width)` token ids said about `shown` at turns `turn` of `rows`."""
        raise NotImplementedError

    def record(self, rows: Sequence[int], turn: Sequence[int],
               feedback: Sequence[Feedback]) -> None:
        """Keep captions built while speaking (dialog `rows[k]`'s turn `turn[k]`)."""
        for i, t, fb in zip(rows, turn, feedback):
            if len(self._feedback[i]) == t:
                self._feedback[i].append(fb)

    def describe(self, row: int, k: int) -> Feedback:
        """The `Feedback` of dialog `row`'s turn `k` (for captions not `record`ed)."""
        raise NotImplementedError(f"{type(self).__name__} neither records nor describes "
                                  f"its captions")

    def feedback(self, row: int) -> list[Feedback]:
        done = self._feedback[row]
        for k in range(len(done), int(self.turn[row])):
            done.append(self.describe(row, k))
        return done

    def select(self, rows: np.ndarray) -> DialogsBase:
        rows = np.asarray(rows, dtype=np.int64)
        new = copy.copy(self)
        for name in ("target", "turn", *self.state):
            setattr(new, name, getattr(self, name)[rows].copy())
        idx = rows.tolist()
        new._feedback = [list(self._feedback[i]) for i in idx]
        new.rngs = ([copy.deepcopy(self.rngs[i]) for i in idx] if self.keeps_rngs
                    else [None] * len(idx))
        return new


def check_shopper(shopper: object) -> Shopper:
    """`shopper` if it has what the contract names, else a `TypeError` saying what is
    missing."""
    missing = [a for a in ("name", "vocab", "width", "dialogs") if not hasattr(shopper, a)]
    if missing:
        raise TypeError(f"{type(shopper).__name__} is not a Shopper: it lacks {missing} "
                        f"(see simulators.base.Shopper)")
    if not (isinstance(shopper.width, (int, np.integer)) and shopper.width >= 1):
        raise TypeError(f"{type(shopper).__name__}.width must be a positive int, got "
                        f"{shopper.width!r}")
    return shopper  # type: ignore[return-value]


def draw_uniforms(rngs: Sequence[np.random.Generator], turns: int, width: int) -> np.ndarray:
    """`(len(rngs), turns, width)` uniforms in [0, 1), dialog k's all drawn from `rngs[k]`
    (at `start`: what a dialog says then depends on its own generator only)."""
    draws = np.empty((len(rngs), turns * width))
    for k, rng in enumerate(rngs):
        rng.random(out=draws[k])
    return draws.reshape(len(rngs), turns, width)


def check_turns(rows: np.ndarray, turn: np.ndarray, max_turns: int) -> None:
    """Refuse an answer beyond `max_turns + 1` per dialog (turn 0 is the first)."""
    if len(rows) and turn.max() > max_turns:
        raise RuntimeError(f"dialogs {rows[turn > max_turns][:5].tolist()} have answered "
                           f"{max_turns + 1} times already")


def token_matrix(feedback: Sequence[Feedback], width: int, pad: int = 0) -> np.ndarray:
    """`(n, width)` int64 token ids of captions, truncated and padded with `pad`."""
    pads = (pad,) * width
    return np.array([(tuple(fb.tokens) + pads)[:width] for fb in feedback],
                    dtype=np.int64).reshape(len(feedback), width)
