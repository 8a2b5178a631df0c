"""Seeded torch initialisation without touching global random state.

`seeded_init(seed)` is the one place that seeds torch's global CPU generator for building
modules (agents, AttrNet, the neural captioner): inside `torch.random.fork_rng`, so the
generator's state is restored on exit and no global random state leaks to (or from) the
rest of the program. torch is imported only when the block is entered, so importing
`dialog_env` never imports torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def seeded_init(seed: int) -> Iterator[None]:
    """Build modules inside this block to initialise their parameters from `seed`: the
    same weights as `torch.manual_seed(seed)` before building them, but torch's global CPU
    generator is forked (`torch.random.fork_rng(devices=[])`) and restored on exit."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
