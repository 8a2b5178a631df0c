"""Non-learned reference agents.

random             a random query direction each turn
anchor             the shown item's own item vector (no memory, no language)
oracle-attributes  CHEATING upper bound on what the feedback conveys: reads the structured
                   mentions (not the tokens), keeps the constraint set of the whole
                   dialog, finds by the catalog's ground truth the items that satisfy
                   the most constraints, and queries with the mean of their vectors in
                   the world's own item space minus the mean of all items (plus a
                   little of the shown item's vector). It bounds what an agent could
                   retrieve from the dialog with perfect language understanding and
                   memory, given what the world's item space can express: nearly
                   everything in the ground_truth world; with attrnet it is limited by
                   AttrNet's predictions, with pixels by what pixels separate. Not an
                   agent anyone could deploy.
"""

from __future__ import annotations

import numpy as np

from agents.policy import to_box
from dialog_env.batched import BatchedDialogs
from dialog_env.catalog.schema import SLOT_BY_NAME


def item_vectors(obs: dict[str, np.ndarray], core: BatchedDialogs) -> np.ndarray:
    """The shown items' item-space vectors, rebuilt from the observation."""
    w = core.world.space.attribute_weight
    return np.concatenate([obs["candidate_features"], w * obs["candidate_attributes"]], axis=1)


class RandomAgent:
    name = "random"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def begin(self, core: BatchedDialogs) -> None:
        pass

    def act(self, obs, infos, core: BatchedDialogs) -> np.ndarray:
        return to_box(self.rng.normal(size=(core.B, core.world.dim)))


class AnchorAgent:
    name = "anchor"

    def begin(self, core: BatchedDialogs) -> None:
        pass

    def act(self, obs, infos, core: BatchedDialogs) -> np.ndarray:
        return to_box(item_vectors(obs, core))


class OracleAttributesAgent:
    """See the module docstring: reads ground-truth mentions (cheating)."""

    name = "oracle-attributes"

    def __init__(self, similarity_weight: float = 0.01):
        self.similarity_weight = similarity_weight

    def begin(self, core: BatchedDialogs) -> None:
        cat = core.world.catalog
        self.vocab = cat.vocab
        self.is_: list[set[int]] = [set() for _ in range(core.B)]
        self.not_: list[set[int]] = [set() for _ in range(core.B)]
        self.bounds: list[dict[str, list[int]]] = [{} for _ in range(core.B)]
        self.category: list[int | None] = [None] * core.B
        self._categories = cat.categories
        self.truth = cat.attributes.astype(np.float32)  # (N, V) what the oracle cheats with
        self.mean_z = core.world.space.matrix.mean(axis=0)  # (D,) the mean item vector
        self._silhouettes = [
            [self.vocab.index(v) for v in SLOT_BY_NAME["silhouette"].values[c]]
            for c in cat.categories]

    def _read(self, i: int, info: dict, core: BatchedDialogs) -> None:
        cat = core.world.catalog
        shown_cat = int(cat.category[info["candidate"]])
        for m in info["mentions"]:
            rel = m["relation"]
            if rel == "is" and m["type"] == "category":
                self.category[i] = cat.categories.index(m["value"])
            elif rel == "is":
                self.is_[i].add(self.vocab.index(m["value"]))
            elif rel == "not":
                self.not_[i].add(self.vocab.index(m["value"]))
            elif rel in ("more", "less"):
                if self.category[i] is None:
                    self.category[i] = shown_cat  # comparatives are within a category
                lo, hi = self.bounds[i].get(m["slot"], [0, 99])
                if rel == "more":
                    lo = max(lo, m["ref_level"] + 1)
                else:
                    hi = min(hi, m["ref_level"] - 1)
                self.bounds[i][m["slot"]] = [lo, hi]

    def constraints(self, i: int) -> np.ndarray:
        """Dialog `i`'s constraint vector over the vocabulary: +1 for each value asked for
        (and each value a comparative allows), -1 for each value refused."""
        c = np.zeros(len(self.vocab), dtype=np.float32)
        c[list(self.is_[i])] += 1.0
        c[list(self.not_[i])] -= 1.0
        if self.category[i] is not None:
            c[self._silhouettes[self.category[i]]] += 1.0
            cat_name = self._categories[self.category[i]]
            for slot, (lo, hi) in self.bounds[i].items():
                levels = SLOT_BY_NAME[slot].values.get(cat_name, ())
                for level in range(max(lo, 0), min(hi, len(levels) - 1) + 1):
                    c[self.vocab.index(levels[level])] += 1.0
        return c

    def act(self, obs, infos, core: BatchedDialogs) -> np.ndarray:
        q = self.similarity_weight * item_vectors(obs, core)
        rows = [i for i, info in enumerate(infos) if info is not None]
        for i in rows:
            self._read(i, infos[i], core)
        c = np.stack([self.constraints(i) for i in rows]) if rows else None
        if c is None or not c.any():
            return to_box(q)
        score = c @ self.truth.T  # (n, N) constraints each item satisfies (by ground truth)
        best = (score == score.max(axis=1, keepdims=True)).astype(np.float32)  # (n, N)
        z = core.world.space.matrix
        # The difference of means (items that satisfy the most constraints vs all items):
        # what is common to every item drops out of the inner product.
        centroid = best @ z / best.sum(axis=1, keepdims=True) - self.mean_z
        said = c.any(axis=1)
        q[np.asarray(rows)[said]] += centroid[said]
        return to_box(q)
