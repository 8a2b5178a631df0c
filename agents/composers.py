"""Single-turn composers: (reference image feature, text feature) -> query feature.

    va   = make_composer("va", dim=512)
    tirg = make_composer("tirg", dim=512)
    raf  = make_composer("raf", dim=512, token_dim=768)
    q = composer(img, txt)                          # va, tirg: (B, D), (B, D) -> (B, D)
    q = raf(img, txt, img_tokens, txt_tokens, txt_mask)
    loss = batch_softmax_loss(q, target_feats, log_scale)

- `va` (vector addition, CFQ / CLIP baselines): `normalize(img + txt)`.
- `tirg` (Vo et al. 2019): `w0 * sigmoid(G([img, txt])) * img + w1 * R([img, txt])`, the
  weights `[w0, w1, ...]` initialised `[1, 10, 1, 1]` as in the TIRG code, then a
  normalisation with a learned scale initialised 4.0.
- `raf` (residual attention fusion, Dodds et al.): `img + txt + alpha * f_AF(tokens)`,
  `alpha` learned from 0.01; `f_AF` is one transformer block over the image patch tokens
  (and the pooled image), the text tokens (and the pooled text), mean-pooled and projected.

`batch_softmax_loss` (it lives in `agents.learners.losses`, with every retrieval loss):
every query against every target in the batch (the diagonal is the match), softmax
cross-entropy over L2-normalised features times a learned inverse temperature
`exp(log_scale)`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from agents.learners.losses import batch_softmax_loss

__all__ = ["COMPOSERS", "TIRG", "ResidualAttentionFusion", "VectorAddition",
           "batch_softmax_loss", "make_composer"]

COMPOSERS = ("va", "tirg", "raf")


class VectorAddition(nn.Module):
    def forward(self, img: torch.Tensor, txt: torch.Tensor, *unused) -> torch.Tensor:
        return F.normalize(img + txt, dim=-1)


class TIRG(nn.Module):
    """Text-image residual gating."""

    def __init__(self, dim: int, hidden: int | None = None):
        super().__init__()
        h = hidden or 2 * dim
        self.weights = nn.Parameter(torch.tensor([1.0, 10.0, 1.0, 1.0]))
        self.gate = nn.Sequential(nn.BatchNorm1d(2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.residual = nn.Sequential(nn.BatchNorm1d(2 * dim), nn.ReLU(),
                                      nn.Linear(2 * dim, h), nn.ReLU(), nn.Linear(h, dim))
        self.scale = nn.Parameter(torch.tensor(4.0))

    def forward(self, img: torch.Tensor, txt: torch.Tensor, *unused) -> torch.Tensor:
        x = torch.cat([img, txt], dim=-1)
        out = (self.weights[0] * torch.sigmoid(self.gate(x)) * img
               + self.weights[1] * self.residual(x))
        return self.scale * F.normalize(out, dim=-1)


class ResidualAttentionFusion(nn.Module):
    """`img + txt + alpha * f_AF(image patches, text tokens)`."""

    def __init__(self, dim: int, token_dim: int, heads: int = 4, alpha: float = 0.01):
        super().__init__()
        if token_dim % heads:
            raise ValueError(f"raf: token_dim {token_dim} must be divisible by heads {heads}")
        self.alpha = nn.Parameter(torch.tensor(float(alpha)))
        self.pooled = nn.Linear(dim, token_dim)  # the pooled image / text as tokens
        self.kind = nn.Embedding(2, token_dim)  # image vs text token
        self.block = nn.TransformerEncoderLayer(token_dim, heads, 2 * token_dim,
                                                dropout=0.0, batch_first=True)
        self.out = nn.Linear(token_dim, dim)

    def forward(self, img, txt, img_tokens, txt_tokens, txt_mask=None) -> torch.Tensor:
        b = img.shape[0]
        image = torch.cat([self.pooled(img)[:, None], img_tokens], dim=1) + self.kind.weight[0]
        text = torch.cat([self.pooled(txt)[:, None], txt_tokens], dim=1) + self.kind.weight[1]
        tokens = torch.cat([image, text], dim=1)
        keep = torch.ones(tokens.shape[:2], dtype=torch.bool, device=img.device)
        if txt_mask is not None:
            keep[:, image.shape[1] + 1:] = txt_mask.bool()
        h = self.block(tokens, src_key_padding_mask=~keep)
        pooled = (h * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1)
        return img + txt + self.alpha * self.out(pooled).view(b, -1)


def make_composer(name: str, dim: int, token_dim: int | None = None, **kwargs) -> nn.Module:
    if name == "va":
        return VectorAddition()
    if name == "tirg":
        return TIRG(dim, **kwargs)
    if name == "raf":
        if token_dim is None:
            raise ValueError("raf needs token_dim (the width of the image / text tokens)")
        return ResidualAttentionFusion(dim, token_dim, **kwargs)
    raise ValueError(f"unknown composer {name!r}; expected one of {COMPOSERS}")
