"""Dialog state trackers, one interface: `initial_state(B, device)` and
`step(e_t, state, mask) -> (h_t, state)`; rows with `mask = False` (ended dialogs) keep
their state. State is carried explicitly (no mutable module state), so dialogs of a batch
never share memory.

mean  ST + avg: the average of all turns' responses
ewma  exponentially weighted moving average (learned rate)
lstm  single-layer LSTM (hidden 100 in FashionNTM's baseline)
gru   GRU (Guo et al. 2018 / Fashion IQ, hidden 256)
cmntm cascaded-memory NTM (FashionNTM), see agents/cmntm.py

Trackers are found by kind in one registry: `register_tracker(kind, factory, settings)`
where `factory(dim, hidden, **settings)` builds the module and `settings` is the kind's
settings dataclass (cmntm: `CMNTMSettings` — memories, slots, width, controller) or just the
names of the options it reads. `AgentConfig.tracker_settings` holds the kind's settings
(`bind_settings` builds it, mapping flat names such as `slots=8` and refusing names the kind
does not have). Adding a tracker is one file that registers itself (agents/cmntm.py does;
this module imports it so the built-in kinds are always registered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class TrackerKind:
    """A registered tracker: `factory(dim, hidden, **settings)`, the names of the
    per-kind settings it accepts and, where it has one, its settings dataclass."""

    factory: Callable[..., nn.Module]
    settings: tuple[str, ...] = ()
    settings_class: type | None = None


TRACKERS: dict[str, TrackerKind] = {}


def register_tracker(kind: str, factory: Callable[..., nn.Module],
                     settings: type | tuple[str, ...] = ()) -> None:
    """Make tracker `kind` buildable by name (`make_tracker`, `AgentConfig.tracker`).
    `settings`: the kind's settings dataclass (its fields are the settings, its defaults
    the kind's defaults) or a tuple of setting names."""
    if kind in TRACKERS and TRACKERS[kind].factory is not factory:
        raise ValueError(f"state tracker {kind!r} is already registered")
    if isinstance(settings, type):
        if not is_dataclass(settings):
            raise TypeError(f"tracker {kind!r}: settings must be a dataclass or names")
        TRACKERS[kind] = TrackerKind(factory, tuple(f.name for f in fields(settings)),
                                     settings)
    else:
        TRACKERS[kind] = TrackerKind(factory, tuple(settings))


def tracker_settings(kind: str) -> tuple[str, ...]:
    """The names of the per-kind settings tracker `kind` reads."""
    return _lookup(kind).settings


def setting_owners(name: str) -> list[str]:
    """The registered kinds that have a setting called `name`."""
    return [k for k, spec in TRACKERS.items() if name in spec.settings]


def settings_values(settings: Any) -> dict:
    """A tracker settings object (dataclass, dict or None) as a plain dict."""
    if settings is None:
        return {}
    if is_dataclass(settings) and not isinstance(settings, type):
        return asdict(settings)
    return dict(settings)


def bind_settings(kind: str, settings: Any = None, flat: dict | None = None) -> Any:
    """Tracker `kind`'s settings object from `settings` (None: the kind's defaults; a dict,
    e.g. read back from JSON; or the kind's settings object) with the `flat` values
    (`slots=8`) set on it. A name the kind has no setting of is a TypeError naming the kinds
    that do have it. Kinds registered with a settings class get an instance of it; the
    others a dict of the values given."""
    flat = dict(flat or {})
    if kind not in TRACKERS and not flat and settings is None:
        return None  # an unknown kind is reported when the tracker is built
    spec = _lookup(kind)
    if isinstance(settings, dict):
        given = dict(settings)
    elif settings is None:
        given = {}
    elif spec.settings_class is not None and isinstance(settings, spec.settings_class):
        given = {}
    else:
        raise TypeError(f"tracker {kind!r} takes "
                        f"{spec.settings_class.__name__ if spec.settings_class else 'a dict'}"
                        f" as tracker_settings, got {type(settings).__name__}")
    unknown = [k for k in {**given, **flat} if k not in spec.settings]
    if unknown:
        owners = {k: setting_owners(k) for k in unknown}
        hint = "; ".join(f"{k} is a setting of {', '.join(o)}" for k, o in owners.items() if o)
        raise TypeError(f"tracker {kind!r} has no setting {', '.join(unknown)} (its settings: "
                        f"{', '.join(spec.settings) or 'none'})" + (f"; {hint}" if hint else ""))
    if spec.settings_class is None:
        return {**given, **flat}
    base = settings if isinstance(settings, spec.settings_class) else spec.settings_class()
    values = {**given, **flat}
    return replace(base, **values) if values else base


def _lookup(kind: str) -> TrackerKind:
    if kind not in TRACKERS:
        raise ValueError(f"unknown state tracker {kind!r}; expected one of "
                         f"{', '.join(TRACKERS)}")
    return TRACKERS[kind]


def keep(mask: torch.Tensor | None, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """`new` where `mask` is True (live dialogs), `old` elsewhere (ended dialogs)."""
    if mask is None:
        return new
    m = mask.view(-1, *([1] * (new.dim() - 1)))
    return torch.where(m, new, old)


class MeanTracker(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.out_dim = dim

    def initial_state(self, b: int, device) -> tuple:
        return (torch.zeros(b, self.out_dim, device=device), torch.zeros(b, 1, device=device))

    def step(self, e, state, mask=None):
        total, n = state
        total, n = keep(mask, total + e, total), keep(mask, n + 1, n)
        return total / n.clamp(min=1), (total, n)


class EWMATracker(nn.Module):
    def __init__(self, dim: int, rate: float = 0.5):
        super().__init__()
        self.out_dim = dim
        self.logit = nn.Parameter(torch.tensor(float(torch.logit(torch.tensor(rate)))))

    def initial_state(self, b: int, device) -> tuple:
        return (torch.zeros(b, self.out_dim, device=device),
                torch.zeros(b, 1, dtype=torch.bool, device=device))

    def step(self, e, state, mask=None):
        h, started = state
        a = torch.sigmoid(self.logit)
        new = torch.where(started, a * e + (1 - a) * h, e)
        h = keep(mask, new, h)
        started = keep(mask, torch.ones_like(started), started)
        return h, (h, started)


class RNNTracker(nn.Module):
    def __init__(self, dim: int, hidden: int, cell: str):
        super().__init__()
        self.cell_kind = cell
        self.cell = nn.LSTMCell(dim, hidden) if cell == "lstm" else nn.GRUCell(dim, hidden)
        self.out_dim = hidden

    def initial_state(self, b: int, device) -> tuple:
        z = torch.zeros(b, self.out_dim, device=device)
        return (z, z.clone()) if self.cell_kind == "lstm" else (z,)

    def step(self, e, state, mask=None):
        if self.cell_kind == "lstm":
            h, c = self.cell(e, state)
            h, c = keep(mask, h, state[0]), keep(mask, c, state[1])
            return h, (h, c)
        h = keep(mask, self.cell(e, state[0]), state[0])
        return h, (h,)


def make_tracker(kind: str, dim: int, hidden: int, **settings) -> nn.Module:
    """Tracker `kind` over `dim`-wide responses (`hidden`: the rnn trackers' size). Of
    `settings`, only those the kind reads are passed on (so a caller may pass every kind's
    settings)."""
    spec = _lookup(kind)
    return spec.factory(dim, hidden, **{k: v for k, v in settings.items()
                                        if k in spec.settings})


register_tracker("mean", lambda dim, hidden: MeanTracker(dim))
register_tracker("ewma", lambda dim, hidden: EWMATracker(dim))
register_tracker("lstm", lambda dim, hidden: RNNTracker(dim, hidden, "lstm"))
register_tracker("gru", lambda dim, hidden: RNNTracker(dim, hidden, "gru"))

import agents.cmntm  # noqa: E402, F401  (registers "cmntm"; imports this module's names)
