"""Dialog state trackers, one interface: `initial_state(B, device)` and
`step(e_t, state, mask) -> (h_t, state)`; rows with `mask = False` (ended dialogs) keep
their state. State is carried explicitly (no mutable module state), so dialogs of a batch
never share memory.

mean  ST + avg: the average of all turns' responses
ewma  exponentially weighted moving average (learned rate)
lstm  single-layer LSTM (hidden 100 in FashionNTM's baseline)
gru   GRU (Guo et al. 2018 / Fashion IQ, hidden 256)
cmntm cascaded-memory NTM (FashionNTM), see agents/cmntm.py
"""

from __future__ import annotations

import torch
from torch import nn


def _keep(mask: torch.Tensor | None, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
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
        total, n = _keep(mask, total + e, total), _keep(mask, n + 1, n)
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
        h = _keep(mask, new, h)
        started = _keep(mask, torch.ones_like(started), started)
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
            h, c = _keep(mask, h, state[0]), _keep(mask, c, state[1])
            return h, (h, c)
        h = _keep(mask, self.cell(e, state[0]), state[0])
        return h, (h,)


def make_tracker(kind: str, dim: int, hidden: int, memories: int = 4, slots: int = 8,
                 width: int = 64, controller: int = 128) -> nn.Module:
    if kind == "mean":
        return MeanTracker(dim)
    if kind == "ewma":
        return EWMATracker(dim)
    if kind in ("lstm", "gru"):
        return RNNTracker(dim, hidden, kind)
    if kind == "cmntm":
        from agents.cmntm import CMNTM

        return CMNTM(dim, memories=memories, slots=slots, width=width, hidden=controller)
    raise ValueError(f"unknown state tracker {kind!r}; expected mean, ewma, lstm, gru, cmntm")
