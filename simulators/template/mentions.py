"""The structured mentions of template captions, and the requests a repeat may restate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from dialog_env.catalog.schema import Slot
from simulators.base import Feedback, Mention
from simulators.template.layout import FOUND, IRRELEVANT, SAME

IS_CODE, NOT_CODE = 1, 2  # how a request is remembered (`asked` arrays)


class MentionTable:
    """Mentions shared by every caption: per attribute value "is" / "not" (and their
    repeats), per category, per comparative; and `remember`, the mentions that are
    requests a later repeat may restate (value index, IS_CODE / NOT_CODE): those of values
    that are not item kinds (`noun`), noise excluded."""

    def __init__(self, values: Sequence[str], types: Sequence[str], slots: Sequence[str],
                 categories: Sequence[str], single_slots: Sequence[Slot], noun: np.ndarray):
        self.n_values = len(values)
        self.is_ = [Mention(t, s, v, "is") for v, t, s in zip(values, types, slots)]
        self.not_ = [Mention(t, s, v, "not") for v, t, s in zip(values, types, slots)]
        by_code = {IS_CODE: self.is_, NOT_CODE: self.not_}
        self.repeat = {code: [m._replace(noise="repeat") for m in ms]
                       for code, ms in by_code.items()}
        self.remember = {m: (j, code) for code, ms in by_code.items()
                         for j, m in enumerate(ms) if not noun[j] and m.type != "category"}
        self.category = [Mention("category", "category", c, "is") for c in categories]
        self.canned = {FOUND: ((Mention("target", "target", "target", "found"),), "found"),
                       SAME: ((), "same"), IRRELEVANT: ((), "irrelevant")}
        self._single = [(s.type, s.name) for s in single_slots]
        self._compared: dict[tuple[int, bool, int], Mention] = {}

    def compared(self, slot: int, more: bool, shown_level: int) -> Mention:
        """The target's level of single-label slot `slot` is above (`more`) or below the
        shown item's `shown_level`."""
        m = self._compared.get((slot, more, shown_level))
        if m is None:
            type_, name = self._single[slot]
            m = self._compared[(slot, more, shown_level)] = Mention(
                type_, name, name, "more" if more else "less", ref_level=shown_level)
        return m

    def requests(self, mentions: Iterable[Mention]) -> list[tuple[int, int]]:
        """(value, code) of the remembered requests among `mentions`."""
        return [got for got in map(self.remember.get, mentions) if got is not None]

    def asked(self, history: Sequence[Feedback]) -> np.ndarray:
        """`(1, V)` int8: the requests made in `history` (IS_CODE / NOT_CODE), for repeats."""
        asked = np.zeros((1, self.n_values), dtype=np.int8)
        for fb in history:
            for value, code in self.requests(fb.mentions):
                asked[0, value] = code
        return asked
