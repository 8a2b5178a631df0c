"""Text encoders for caption token ids (0 = padding).

rnn  embedding -> GRU or LSTM -> max-pool over the caption's tokens -> linear
     (the VAL / Fashion IQ text encoders)
cnn  embedding -> Conv1d -> ReLU -> max-pool -> linear (Guo et al. 2018's text CNN)
minilm  linear projection of the frozen all-MiniLM-L6-v2 caption embedding that the env
     emits with `feedback_embedding=True` (any free-form text can be embedded)
"""

from __future__ import annotations

import torch
from torch import nn


def _masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over time of `x (B, T, H)` where `mask (B, T)`; all-padding rows give zeros."""
    x = x.masked_fill(~mask[..., None], float("-inf"))
    out = x.max(dim=1).values
    return torch.where(torch.isfinite(out), out, torch.zeros_like(out))


UNK = 1  # simulators.vocab.UNK


def known(tokens: torch.Tensor, embed: nn.Embedding) -> torch.Tensor:
    """`tokens` with ids beyond the embedding table read as `<unk>`: an agent trained with
    one shopper's vocabulary meets a shopper whose vocabulary extends it (the real-language
    shoppers extend the template shopper's, keeping its ids)."""
    return tokens.masked_fill(tokens >= embed.num_embeddings, UNK)


class RNNTextEncoder(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, out_dim: int,
                 cell: str = "gru"):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"unknown recurrent cell {cell!r}; expected 'gru' or 'lstm'")
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(embed_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (B, L) -> (B, out)
        mask = tokens != 0
        h, _ = self.rnn(self.embed(known(tokens, self.embed)))  # (B, L, H)
        return self.out(_masked_max(h, mask))


class CNNTextEncoder(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, out_dim: int,
                 kernel: int = 3):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.conv = nn.Conv1d(embed_dim, hidden, kernel, padding=kernel // 2)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (B, L) -> (B, out)
        mask = tokens != 0
        h = torch.relu(self.conv(self.embed(known(tokens, self.embed)).transpose(1, 2)))
        h = h.transpose(1, 2)
        return self.out(_masked_max(h, mask))


def make_text_encoder(kind: str, vocab_size: int, embed_dim: int, hidden: int,
                      out_dim: int) -> nn.Module:
    if kind in ("gru", "lstm"):
        return RNNTextEncoder(vocab_size, embed_dim, hidden, out_dim, cell=kind)
    if kind == "cnn":
        return CNNTextEncoder(vocab_size, embed_dim, hidden, out_dim)
    if kind == "minilm":
        from dialog_env.features.sentence import EMBEDDING_DIM

        return nn.Linear(EMBEDDING_DIM, out_dim)
    raise ValueError(f"unknown text encoder {kind!r}; expected 'gru', 'lstm', 'cnn' or "
                     f"'minilm'")
