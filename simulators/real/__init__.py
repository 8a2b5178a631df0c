"""The real-language shopper (`shopper="real"`): people's Fashion IQ / Shoes captions
re-grounded onto catalog pairs (`simulators.real.shopper`), its shipped data and vocabulary
(`simulators.real.data`). Its settings are `simulators.real.config`; the data loads on
first use of `real_vocabulary`, so that the settings load no shopper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.real.data import real_vocabulary

__all__ = ["real_vocabulary"]


def __getattr__(name: str):
    if name == "real_vocabulary":
        from simulators.real.data import real_vocabulary

        return real_vocabulary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
