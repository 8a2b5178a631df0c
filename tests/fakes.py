"""Small fakes for fast tests: a tiny shopper that keeps the shopper contract, and a small
world (a few hundred items, random visual features, no rendering) that it answers in.

Environment tests use them so that they need neither the template shopper nor a
2,000-item catalog with rendered images.
"""

from __future__ import annotations

import copy

import numpy as np

from dialog_env.catalog.store import load_synthetic
from dialog_env.database import RetrievalDB
from dialog_env.item_space import ItemSpace
from dialog_env.world import DialogWorld
from simulators.base import Feedback, Mention
from simulators.vocab import Vocabulary

WORDS = ("found", "differs", "in", "and", "maybe", "surely")


class CountingShopper:
    """Says in how many attributes the shown item differs from the target, plus one word
    drawn from the dialog's generator each turn (so seeding is visible in every caption):
    "differs in 7 surely"."""

    name = "counting"
    width = 6

    def __init__(self, catalog):
        self.attributes = catalog.attributes
        self.vocab = Vocabulary([*WORDS, *map(str, range(len(catalog.vocab) + 1))])
        self.answers = 0  # how many captions were asked for (tests read it)

    def dialogs(self, batch_size: int, max_turns: int) -> CountingDialogs:
        return CountingDialogs(self, batch_size)


class CountingDialogs:
    def __init__(self, shopper: CountingShopper, batch_size: int):
        self.shopper = shopper
        self.target = np.full(batch_size, -1, dtype=np.int64)
        self.rngs: list = [None] * batch_size
        self.said: list[list[Feedback]] = [[] for _ in range(batch_size)]

    def start(self, rows, targets, rngs) -> None:
        for i, t, rng in zip(np.asarray(rows).tolist(), np.asarray(targets).tolist(), rngs):
            self.target[i], self.rngs[i], self.said[i] = t, rng, []

    def answer(self, rows, shown) -> np.ndarray:
        a = self.shopper.attributes
        out = np.zeros((len(rows), self.shopper.width), dtype=np.int64)
        for k, (i, c) in enumerate(zip(np.asarray(rows).tolist(), np.asarray(shown).tolist())):
            word = ("maybe", "surely")[int(self.rngs[i].integers(2))]
            if c == self.target[i]:
                text, mentions, mode = "found", (Mention("target", "target", "target",
                                                         "found"),), "found"
            else:
                n = int((a[self.target[i]] != a[c]).sum())
                text, mentions, mode = f"differs in {n} {word}", (), "direct"
            ids = self.shopper.vocab.ids(text)
            self.said[i].append(Feedback(text, tuple(ids), mentions, mode))
            out[k, :len(ids)] = ids
        self.shopper.answers += len(rows)
        return out

    def feedback(self, row: int) -> list[Feedback]:
        return self.said[row]

    def select(self, rows) -> CountingDialogs:
        rows = np.asarray(rows, dtype=np.int64).tolist()
        new = copy.copy(self)
        new.target = self.target[rows].copy()
        new.rngs = [copy.deepcopy(self.rngs[i]) for i in rows]
        new.said = [list(self.said[i]) for i in rows]
        return new


def fake_world(n_items: int = 300, seed: int = 0, visual_dim: int = 8) -> DialogWorld:
    """A small world: synthetic attributes (no images), random unit visual features, the
    counting shopper."""
    catalog = load_synthetic(n_items, seed, render=False, progress=False)
    rng = np.random.default_rng(seed)
    vis = rng.normal(size=(n_items, visual_dim)).astype(np.float32)
    vis /= np.linalg.norm(vis, axis=1, keepdims=True)
    space = ItemSpace(vis, catalog.attributes.astype(np.float32), 1.0, "random")
    return DialogWorld(catalog, space, RetrievalDB(space.matrix), CountingShopper(catalog))
