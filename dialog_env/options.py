"""What callers hand the batched core besides queries: reset options, dialog rows, seeds
and shown items — each checked before any dialog changes, with errors that name the
option, the value and the env (dialog) index.

Reset options of one dialog: None or a dict with
  `target`           an item index of the episode's split
  `first_candidate`  any item index other than the target
  `dialog`           with a recorded script (`dialog_env.episodes.RecordedScript`, a
                     replay world): the recorded dialog to play (it fixes target and
                     shown items, so it excludes the other two)
The container and the keys are checked here (`checked_option_dicts`); the values by the
world's episode source (`dialog_env.episodes`), with `start_options` / `dialog_option`.
Indices are integers (`int` or a numpy integer; not bool, not float). A vector env takes
them per env only: `options={"per_env": [o_0, ..., o_{n-1}]}`, exactly `num_envs`
entries, each a dict as above or None (`per_env_options`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from dialog_env.catalog.schema import SPLITS
from dialog_env.checks import as_int

RESET_KEYS = ("target", "first_candidate", "dialog")


def indices(values: Any, n: int, what: str, unique: bool = True) -> np.ndarray:
    """A 1-D int64 array of indices in `0..n-1` (distinct unless `unique=False`)."""
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence of indices, got shape {a.shape}")
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integer indices, got dtype {a.dtype}: "
                        f"{a[:5].tolist()}")
    a = a.astype(np.int64)
    bad = a[(a < 0) | (a >= n)]
    if len(bad):
        raise ValueError(f"{what} {bad[:5].tolist()} out of range 0..{n - 1}")
    if unique and len(a) > 1 and len(np.unique(a)) != len(a):
        vals, counts = np.unique(a, return_counts=True)
        raise ValueError(f"{what} repeat {vals[counts > 1][:5].tolist()}; each may appear "
                         f"once")
    return a


def per_env_options(options: Any, num_envs: int) -> list | None:
    """The per-env option list of a vector env's `reset(options=...)` (see the module
    docstring); other keys, wrong types and wrong lengths raise naming them."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(f"options = {options!r} must be None or a dict "
                        f"{{'per_env': [one dict or None per env]}}, not "
                        f"{type(options).__name__}")
    unknown = sorted(map(str, set(options) - {"per_env"}))
    if unknown:
        raise ValueError(f"unknown vector reset options {unknown}: a vector env takes reset "
                         f"options per env only, as options={{'per_env': [...]}} with "
                         f"{num_envs} entries (a dict with {list(RESET_KEYS)} or None each)")
    per_env = options.get("per_env")
    if per_env is None:
        return None
    if not isinstance(per_env, (list, tuple)):
        raise TypeError(f"options['per_env'] = {per_env!r} must be a list of {num_envs} "
                        f"dicts or None, not {type(per_env).__name__}")
    if len(per_env) != num_envs:
        raise ValueError(f"options['per_env'] has {len(per_env)} entries for {num_envs} envs")
    return list(per_env)


def checked_option_dicts(options: Sequence | None, envs: Sequence[int]
                         ) -> Iterator[tuple[int, Mapping]]:
    """`(env, options)` of dialogs `envs` (`{}` for None), each a dict of known keys, one
    env at a time (the episode source, `dialog_env.episodes`, checks each one's values
    before the next is looked at). The container is checked before the first."""
    if options is None:
        return iter([(env, {}) for env in envs])
    if isinstance(options, (str, bytes, Mapping)) or not isinstance(options, Sequence):
        raise TypeError(f"options must be a sequence of one dict (or None) per dialog, got "
                        f"{type(options).__name__}")
    if len(options) != len(envs):
        raise ValueError(f"got {len(options)} reset options for {len(envs)} dialogs")
    return _option_dicts(options, envs)


def _option_dicts(options: Sequence, envs: Sequence[int]) -> Iterator[tuple[int, Mapping]]:
    for env, opt in zip(envs, options):
        if opt is None:
            yield env, {}
            continue
        if not isinstance(opt, Mapping):
            raise TypeError(f"reset options = {opt!r} (env {env}) must be a dict or None, not "
                            f"{type(opt).__name__}")
        unknown = sorted(map(str, set(opt) - set(RESET_KEYS)))
        if unknown:
            raise ValueError(f"unknown reset options {unknown} (env {env}); expected "
                             f"'target' and/or 'first_candidate' (or 'dialog' with a replay "
                             f"shopper)")
        yield env, opt


def dialog_option(opt: Mapping, env: int, recorded: int) -> dict[str, int]:
    """The checked `dialog` option of env `env` among `recorded` recorded dialogs."""
    what = f"reset option 'dialog' (env {env})"
    if set(opt) - {"dialog"}:
        raise ValueError(f"{what}: a recorded dialog fixes the target and the shown "
                         f"items; drop {sorted(map(str, set(opt) - {'dialog'}))}")
    v = as_int(opt["dialog"], what)
    if not 0 <= v < recorded:
        raise ValueError(f"{what} = {opt['dialog']!r} out of range 0..{recorded - 1}")
    return {"dialog": v}


def start_options(opt: Mapping, env: int, n_items: int, split: str,
                  item_split: np.ndarray) -> dict[str, int]:
    """The checked `target` / `first_candidate` options of env `env` (plain ints).
    `item_split` is the catalog's split code per item (`SPLITS` order); the target must be
    in `split`."""
    split_code = SPLITS.index(split)
    checked = {}
    for key in ("target", "first_candidate"):
        if key in opt:
            what = f"reset option {key!r} (env {env})"
            v = as_int(opt[key], what)
            if not 0 <= v < n_items:
                raise ValueError(f"{what} = {opt[key]!r} out of range 0..{n_items - 1}")
            checked[key] = v
    t, c = checked.get("target"), checked.get("first_candidate")
    if t is not None and t == c:
        raise ValueError(f"reset option 'first_candidate' (env {env}) = {c} must differ "
                         f"from the target")
    if t is not None and item_split[t] != split_code:
        raise ValueError(f"reset option 'target' (env {env}) = {t} is an item of the "
                         f"{SPLITS[item_split[t]]!r} split, not of the episode's "
                         f"{split!r} split")
    if c is not None and t is None and item_split[c] == split_code and \
            int((item_split == split_code).sum()) == 1:
        raise ValueError(f"reset option 'first_candidate' (env {env}) = {c} is the "
                         f"{split!r} split's only item, so no target can differ from it")
    return checked
