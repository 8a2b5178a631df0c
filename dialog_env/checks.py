"""Checks of single setting values, shared by the configuration dataclasses, the reward
settings and the reset options: each returns the value as a plain Python value or raises
an error that names the setting and the value."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np


def as_int(value: Any, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """`value` as an int when it is an integer (`int`, numpy integer, 0-d integer array)
    in `lo..hi`; bools, floats, strings, None and sequences raise `TypeError`."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray)
                                                 and value.dtype.kind not in "iu"):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} "
                        f"{value!r}") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        bounds = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"{what} must be {bounds}, got {value!r}")
    return v


def as_real(value: Any, what: str, lo: float | None = None) -> float:
    """`value` as a finite float (ints and floats, numpy ones too; not bool), `>= lo`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                       np.floating)):
        raise TypeError(f"{what} must be a real number, got {type(value).__name__} "
                        f"{value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {value!r}")
    if lo is not None and v < lo:
        raise ValueError(f"{what} must be >= {lo}, got {value!r}")
    return v


def as_bool(value: Any, what: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be True or False, got {type(value).__name__} "
                        f"{value!r}")
    return bool(value)


def one_of(value: Any, what: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {tuple(choices)}")
    return value
