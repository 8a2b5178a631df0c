"""One dialog at a time: `TemplateSimulator`, a convenience over `TemplateShopper` for
scripts and tests that sample captions one by one (`reset(target, rng)`, then
`feedback(shown, history)`). The environment uses the batched contract instead."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialog_env.catalog.catalog import Catalog
from simulators.base import Feedback
from simulators.template.config import TemplateConfig
from simulators.template.layout import N_UNIFORMS
from simulators.template.shopper import TemplateShopper


class TemplateSimulator:
    """One shopper in one dialog. Each `feedback` draws its N_UNIFORMS uniforms from the
    generator given at `reset`; repeats restate requests found in `history`."""

    def __init__(self, shopper: TemplateShopper):
        self.shopper = shopper
        self.target = -1
        self.rng: np.random.Generator | None = None

    @classmethod
    def for_catalog(cls, catalog: Catalog, config: TemplateConfig | None = None,
                    attributes: np.ndarray | None = None) -> TemplateSimulator:
        return cls(TemplateShopper(catalog, config, attributes))

    def _check(self, item: int, what: str) -> int:
        n = self.shopper.n_items
        if not 0 <= int(item) < n:
            raise ValueError(f"{what} {item} out of range 0..{n - 1}")
        return int(item)

    def reset(self, target: int, rng: np.random.Generator) -> None:
        self.target = self._check(target, "target")
        self.rng = rng

    def differences(self, candidate: int) -> list[str]:
        """Names of the difference columns on which the target and `candidate` differ."""
        row = self.shopper.differences(np.array([self.target]),
                                       np.array([self._check(candidate, "candidate")]))[0]
        return self.shopper.columns.describe(row)

    def feedback(self, candidate: int, history: Sequence[Feedback] = ()) -> Feedback:
        """The shopper's caption about `candidate`, given the dialog's earlier feedback."""
        if self.rng is None:
            raise RuntimeError("call reset(target, rng) before feedback()")
        c = self._check(candidate, "candidate")
        u = self.rng.random((1, N_UNIFORMS))
        return self.shopper.captions(np.array([self.target]), np.array([c]), u,
                                     self.shopper.mentions.asked(history))[0][0]
