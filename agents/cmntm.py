"""Cascaded-Memory Neural Turing Machine (FashionNTM, Pal et al. ICCV 2023).

C stages, each with its own LSTM controller, memory (N slots x W), read head and write head
with full NTM addressing (content addressing with cosine similarity and softplus beta,
sigmoid interpolation gate, 3-way softmax circular shift, sharpening with
gamma = 1 + softplus, sigmoid erase and raw add). Derived features
`f_drv^c = BatchNorm(FC_c(f_qry(n)))` feed stages 1..C-1 and the original query feature
feeds stage C. Cascade: `input^c(n) = [x_out^{c-1}(n) ; f_drv^c ; r_out^c(n-1)]` where
`x_out^c` is stage c's controller output and `x_out^0(n) = r_out^C(n-1)` (the last
stage's read vector of the previous turn). Output: a linear fusion of the last controller's
output and the last read vector. `C = 1` is a vanilla NTM.

All per-dialog memory is carried in the state (batched, no per-sample loops): one
`StageState` per stage, a tuple of C. Registered as state tracker kind "cmntm".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from agents.trackers import keep, register_tracker

EPS = 1e-8


class StageState(NamedTuple):
    """One stage's per-dialog state (all batched on dim 0)."""

    h: torch.Tensor  # controller hidden (B, H)
    c: torch.Tensor  # controller cell (B, H)
    memory: torch.Tensor  # (B, N, W)
    read_w: torch.Tensor  # read head weights (B, N)
    write_w: torch.Tensor  # write head weights (B, N)
    read_vec: torch.Tensor  # r_out: the read vector (B, W)


class HeadLayout(NamedTuple):
    """Where each of a head's raw parameters sits: `[key, beta, gate, shift(3), gamma]`
    for addressing, then (write head only) `[erase, add]`."""

    key: slice
    beta: slice
    gate: slice
    shift: slice
    gamma: slice
    erase: slice
    add: slice

    @classmethod
    def of(cls, width: int) -> HeadLayout:
        w = width
        return cls(key=slice(0, w), beta=slice(w, w + 1), gate=slice(w + 1, w + 2),
                   shift=slice(w + 2, w + 5), gamma=slice(w + 5, w + 6),
                   erase=slice(w + 6, 2 * w + 6), add=slice(2 * w + 6, 3 * w + 6))

    @property
    def addressing(self) -> int:
        """Size of the addressing parameters (the read head's output)."""
        return self.gamma.stop

    @property
    def write(self) -> int:
        """Size of the write head's output (addressing + erase + add)."""
        return self.add.stop


def content_weights(memory: torch.Tensor, key: torch.Tensor, beta: torch.Tensor
                    ) -> torch.Tensor:
    """softmax_i(beta * cos(key, M_i)); memory (B, N, W), key (B, W), beta (B, 1) -> (B, N)."""
    dot = torch.einsum("bnw,bw->bn", memory, key)
    norms = memory.norm(dim=2) * key.norm(dim=1, keepdim=True)
    return torch.softmax(beta * dot / (norms + EPS), dim=1)


def interpolate(w_content: torch.Tensor, w_prev: torch.Tensor, gate: torch.Tensor
                ) -> torch.Tensor:
    return gate * w_content + (1 - gate) * w_prev


def shift(w: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Circular convolution with a 3-way shift distribution `s (B, 3)` over shifts
    (-1, 0, +1): `out_i = s_-1 w_{i+1} + s_0 w_i + s_+1 w_{i-1}`."""
    return (s[:, 0:1] * torch.roll(w, -1, dims=1) + s[:, 1:2] * w
            + s[:, 2:3] * torch.roll(w, 1, dims=1))


def sharpen(w: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    w = (w + EPS) ** gamma
    return w / w.sum(dim=1, keepdim=True)


def write(memory: torch.Tensor, w: torch.Tensor, erase: torch.Tensor, add: torch.Tensor
          ) -> torch.Tensor:
    """M_i <- M_i * (1 - w_i e) + w_i a."""
    return memory * (1 - w[:, :, None] * erase[:, None, :]) + w[:, :, None] * add[:, None, :]


def read(memory: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return torch.einsum("bn,bnw->bw", w, memory)


def address(memory, w_prev, params: torch.Tensor, width: int) -> torch.Tensor:
    """Full NTM addressing from a head's raw parameters `[key, beta, gate, shift(3), gamma]`."""
    at = HeadLayout.of(width)
    key = params[:, at.key]
    beta = F.softplus(params[:, at.beta])
    gate = torch.sigmoid(params[:, at.gate])
    s = torch.softmax(params[:, at.shift], dim=1)
    gamma = 1 + F.softplus(params[:, at.gamma])
    w = interpolate(content_weights(memory, key, beta), w_prev, gate)
    return sharpen(shift(w, s), gamma)


class NTMStage(nn.Module):
    """One memory: controller, memory, read and write heads."""

    def __init__(self, in_dim: int, hidden: int, slots: int, width: int):
        super().__init__()
        self.width, self.slots, self.hidden = width, slots, hidden
        self.layout = HeadLayout.of(width)
        self.controller = nn.LSTMCell(in_dim, hidden)
        self.read_head = nn.Linear(hidden, self.layout.addressing)
        self.write_head = nn.Linear(hidden, self.layout.write)  # + erase, add
        # Never all zeros nor identical rows: cosine addressing must tell slots apart.
        self.memory0 = nn.Parameter(torch.randn(slots, width) * 0.5)
        self.read_w0 = nn.Parameter(torch.randn(slots) * 0.1)  # logits
        self.write_w0 = nn.Parameter(torch.randn(slots) * 0.1)

    def initial_state(self, b: int, device) -> StageState:
        z = torch.zeros(b, self.hidden, device=device)
        memory = self.memory0.expand(b, -1, -1).clone()
        wr = torch.softmax(self.read_w0, 0).expand(b, -1)
        ww = torch.softmax(self.write_w0, 0).expand(b, -1)
        return StageState(z, z.clone(), memory, wr, ww, read(memory, wr))

    def step(self, x: torch.Tensor, state: StageState) -> StageState:
        at = self.layout
        h, c = self.controller(x, (state.h, state.c))
        wp = self.write_head(h)
        ww = address(state.memory, state.write_w, wp[:, :at.addressing], self.width)
        erase = torch.sigmoid(wp[:, at.erase])
        add = wp[:, at.add]
        memory = write(state.memory, ww, erase, add)
        wr = address(memory, state.read_w, self.read_head(h), self.width)
        return StageState(h, c, memory, wr, ww, read(memory, wr))


class CMNTM(nn.Module):
    """The cascade of `memories` NTM stages (see the module docstring)."""

    def __init__(self, dim: int, memories: int = 4, slots: int = 8, width: int = 64,
                 hidden: int = 128, out_dim: int | None = None):
        super().__init__()
        if memories < 1:
            raise ValueError(f"memories must be >= 1, got {memories}")
        self.memories, self.width = memories, width
        self.derive = nn.ModuleList(nn.Sequential(nn.Linear(dim, dim), nn.BatchNorm1d(dim))
                                    for _ in range(memories - 1))
        self.stages = nn.ModuleList(
            NTMStage((width if c == 0 else hidden) + dim + width, hidden, slots, width)
            for c in range(memories))
        self.out_dim = out_dim or dim
        self.fuse = nn.Linear(hidden + width, self.out_dim)

    def initial_state(self, b: int, device) -> tuple[StageState, ...]:
        return tuple(s.initial_state(b, device) for s in self.stages)

    def step(self, e: torch.Tensor, state: tuple[StageState, ...],
             mask: torch.Tensor | None = None):
        # a state mapped by plain-tuple code (detach, row selection) is named again here
        state = tuple(StageState(*s) for s in state)
        feats = [d(e) for d in self.derive] + [e]  # f_drv^1..C-1, f_drv^C = f_qry
        x_prev = state[-1].read_vec  # x_out^0(n) = r_out^C(n-1)
        new = []
        for c, stage in enumerate(self.stages):
            old = state[c]
            inp = torch.cat([x_prev, feats[c], old.read_vec], dim=1)
            s = stage.step(inp, old)
            s = StageState(*(keep(mask, n, o) for n, o in zip(s, old)))
            new.append(s)
            x_prev = s.h  # x_out^c: the controller's output
        out = self.fuse(torch.cat([new[-1].h, new[-1].read_vec], dim=1))
        return out, tuple(new)


@dataclass(frozen=True)
class CMNTMSettings:
    """The cmntm tracker's settings (`AgentConfig.tracker_settings` of a cmntm agent)."""

    memories: int = 4  # stages C (1 = vanilla NTM)
    slots: int = 8  # memory N
    width: int = 64  # memory M
    controller: int = 128  # controller hidden size


def _make_cmntm(dim: int, hidden: int, **settings) -> CMNTM:
    s = CMNTMSettings(**settings)
    return CMNTM(dim, memories=s.memories, slots=s.slots, width=s.width, hidden=s.controller)


register_tracker("cmntm", _make_cmntm, settings=CMNTMSettings)
