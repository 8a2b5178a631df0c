"""A caption's mode, decided from its mentions alone (Fashion IQ's modes): one rule for
every shopper.

    no mention                         -> "irrelevant" (a caption that grounds nothing)
    only comparisons ("more", "less")  -> "comparative"
    comparisons and direct wishes      -> "mixed"
    otherwise (direct wishes: "is", "not") -> "direct"

The real shopper's rule; the template shopper's mixed plans are labelled by it, and the
neural shopper's captions too (a neural caption that grounds nothing was "direct").
"""

from __future__ import annotations

from collections.abc import Iterable

from simulators.base import Mention

COMPARED = frozenset({"more", "less"})
DIRECT = frozenset({"is", "not"})


def caption_mode(mentions: Iterable[Mention]) -> str:
    """The mode of a caption that makes `mentions` (see the module docstring)."""
    relations = {m.relation for m in mentions}
    if not relations:
        return "irrelevant"
    if not relations & COMPARED:
        return "direct"
    return "mixed" if relations & DIRECT else "comparative"
