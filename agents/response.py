"""Response encoders: one turn's (shown item, caption) -> a joint vector `e_t`.

image      Guo et al. 2018: `e = ReLU(W_x x + W_o enc(o))` (image features only)
concat     Fashion IQ appendix B: `e = ReLU(W_x [x ; phi(x)] + W_o enc(o))`
attention  Fashion IQ appendix B: additive attention of the caption over the attribute
           types: `a_k = softmax_k(v^T tanh(W_a u_k + U_a enc(o)))`, `u_k = L_k(phi_k(x))`,
           `e = ReLU(W_x x + W_u sum_k a_k u_k + W_o enc(o))`
"""

from __future__ import annotations

import torch
from torch import nn


class ResponseEncoder(nn.Module):
    def __init__(self, kind: str, visual_dim: int, attr_dim: int, text_dim: int, out_dim: int,
                 type_index: list[list[int]] | None = None):
        super().__init__()
        if kind not in ("image", "concat", "attention"):
            raise ValueError(f"unknown response encoder {kind!r}; expected image, concat or "
                             f"attention")
        self.kind = kind
        self.text = nn.Linear(text_dim, out_dim)
        if kind == "image":
            self.item = nn.Linear(visual_dim, out_dim)
        elif kind == "concat":
            self.item = nn.Linear(visual_dim + attr_dim, out_dim)
        else:
            if not type_index or any(not cols for cols in type_index):
                raise ValueError("attention response encoder needs the attribute columns of "
                                 "each attribute type (non-empty lists)")
            for k, cols in enumerate(type_index):
                self.register_buffer(f"cols{k}", torch.as_tensor(cols, dtype=torch.long),
                                     persistent=False)
            self.n_types = len(type_index)
            self.item = nn.Linear(visual_dim, out_dim)
            self.type_proj = nn.ModuleList(nn.Linear(len(cols), out_dim) for cols in type_index)
            self.att_w = nn.Linear(out_dim, out_dim, bias=False)
            self.att_u = nn.Linear(out_dim, out_dim)
            self.att_v = nn.Linear(out_dim, 1, bias=False)
            self.attended = nn.Linear(out_dim, out_dim, bias=False)

    def forward(self, visual: torch.Tensor, attrs: torch.Tensor, text: torch.Tensor
                ) -> torch.Tensor:
        # visual (B, Dv), attrs (B, V), text (B, Dt) -> (B, out)
        t = self.text(text)
        if self.kind == "image":
            return torch.relu(self.item(visual) + t)
        if self.kind == "concat":
            return torch.relu(self.item(torch.cat([visual, attrs], dim=1)) + t)
        u = torch.stack([p(attrs[:, getattr(self, f"cols{k}")])
                         for k, p in enumerate(self.type_proj)], dim=1)
        # u (B, K, out); scores (B, K)
        scores = self.att_v(torch.tanh(self.att_w(u) + self.att_u(t)[:, None])).squeeze(-1)
        a = torch.softmax(scores, dim=1)
        pooled = (a[..., None] * u).sum(1)
        return torch.relu(self.item(visual) + self.attended(pooled) + t)
