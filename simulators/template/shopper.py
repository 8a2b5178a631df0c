"""The template shopper behind the shopper contract (`simulators.base.Shopper`).

`TemplateShopper(catalog, config)` holds what every dialog of a catalog shares (profiles,
lexicon, phrase tables); `TemplateDialogs` holds the per-dialog state: the uniforms of
every turn (drawn from each dialog's generator at `start`), the requests made so far (for
repeats), each turn's caption plan and the captions built from the plans when read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import Feedback
from simulators.template.config import TemplateConfig
from simulators.template.core import N_UNIFORMS, PLAN_WIDTH, SimulatorWorld
from simulators.vocab import Vocabulary


class TemplateShopper:
    """The attribute-aware template shopper of one catalog (see `simulators.template`)."""

    name = "template"

    def __init__(self, catalog: Catalog, config: TemplateConfig | None = None,
                 attributes: np.ndarray | None = None, vocabulary: Vocabulary | None = None):
        self.world = SimulatorWorld(catalog, config, attributes, vocabulary)
        self.config = self.world.config
        self.vocab = self.world.vocab
        self.width = self.world.caption_width
        self.n_items = len(catalog)

    def dialogs(self, batch_size: int, max_turns: int) -> TemplateDialogs:
        return TemplateDialogs(self, batch_size, max_turns)


class TemplateDialogs:
    """The template shopper's state of B dialogs (see `simulators.base.ShopperDialogs`)."""

    def __init__(self, shopper: TemplateShopper, batch_size: int, max_turns: int):
        b, t1 = batch_size, max_turns + 1
        self.shopper, self.max_turns = shopper, max_turns
        self.target = np.full(b, -1, dtype=np.int64)
        self.turn = np.zeros(b, dtype=np.int64)  # answers given so far
        # One row of N_UNIFORMS per turn, drawn at start; the requests made (for repeats).
        self.uniforms = np.zeros((b, t1, N_UNIFORMS))
        self.asked = np.zeros((b, len(shopper.world.names)), dtype=np.int8)
        # Each turn's caption plan; its Feedback is built when first read.
        self.plans = np.full((b, t1, PLAN_WIDTH), -1, dtype=np.int64)
        self._feedback: list[list[Feedback]] = [[] for _ in range(b)]

    def start(self, rows: np.ndarray, targets: np.ndarray,
              rngs: Sequence[np.random.Generator]) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        n, t1 = len(rows), self.uniforms.shape[1]
        draws = np.empty((n, t1 * N_UNIFORMS))
        for k, rng in enumerate(rngs):
            rng.random(out=draws[k])
        self.uniforms[rows] = draws.reshape(n, t1, N_UNIFORMS)
        self.target[rows] = targets
        self.turn[rows] = 0
        self.asked[rows] = 0
        for i in rows.tolist():
            self._feedback[i] = []

    def answer(self, rows: np.ndarray, shown: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        turn = self.turn[rows]
        if len(rows) and turn.max() > self.max_turns:
            raise RuntimeError(f"dialogs {rows[turn > self.max_turns][:5].tolist()} have "
                               f"answered {self.max_turns + 1} times already")
        plans, tokens, (k, values, codes), built = self.shopper.world.speak(
            self.target[rows], shown, self.uniforms[rows, turn], self.asked[rows])
        self.asked[rows[k], values] = codes
        self.plans[rows, turn] = plans
        if built is not None:  # keep the captions the shopper built anyway
            for i, t, fb in zip(rows.tolist(), turn.tolist(), built):
                if len(self._feedback[i]) == t:
                    self._feedback[i].append(fb)
        self.turn[rows] += 1
        return tokens

    def feedback(self, row: int) -> list[Feedback]:
        done = self._feedback[row]
        caption = self.shopper.world.caption
        for k in range(len(done), int(self.turn[row])):
            done.append(caption(self.plans[row, k], self.uniforms[row, k]))
        return done

    def select(self, rows: np.ndarray) -> TemplateDialogs:
        rows = np.asarray(rows, dtype=np.int64)
        new = TemplateDialogs(self.shopper, len(rows), self.max_turns)
        for name in ("target", "turn", "uniforms", "asked", "plans"):
            setattr(new, name, getattr(self, name)[rows].copy())
        new._feedback = [list(self._feedback[i]) for i in rows.tolist()]
        return new
