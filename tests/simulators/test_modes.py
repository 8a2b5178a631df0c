"""One rule decides a caption's mode from its mentions, for every shopper."""

from __future__ import annotations

import pytest

from simulators.base import Mention
from simulators.modes import caption_mode


def m(relation: str) -> Mention:
    return Mention("color", "hue", "red", relation)


@pytest.mark.parametrize("relations, mode", [
    ((), "irrelevant"),
    (("is",), "direct"), (("not",), "direct"), (("is", "not"), "direct"),
    (("more",), "comparative"), (("less", "more"), "comparative"),
    (("more", "is"), "mixed"), (("not", "less"), "mixed"), (("is", "more", "not"), "mixed"),
])
def test_caption_mode(relations, mode):
    assert caption_mode(tuple(m(r) for r in relations)) == mode
    assert caption_mode(m(r) for r in relations) == mode  # any iterable


def test_every_shopper_labels_with_the_one_rule():
    import simulators.neural.shopper as neural
    import simulators.real.shopper as real
    import simulators.template.compose as template

    assert neural.caption_mode is real.caption_mode is template.caption_mode is caption_mode
    assert not hasattr(neural, "_mode")


def test_a_mixed_template_plan_is_labelled_by_what_it_says():
    from simulators.template.compose import mode_label
    from simulators.template.config import MODES

    mixed = MODES.index("mixed")
    assert mode_label(mixed, (m("more"),)) == "comparative"
    assert mode_label(mixed, (m("is"),)) == "direct"
    assert mode_label(mixed, (m("is"), m("less"))) == "mixed"
    assert mode_label(MODES.index("direct"), ()) == "direct"  # the plan's mode otherwise
