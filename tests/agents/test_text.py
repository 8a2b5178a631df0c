"""Token ids beyond an agent's vocabulary read as <unk> (an agent trained with the template
shopper meets the real-language shopper, whose vocabulary extends the template's)."""

from __future__ import annotations

import pytest
import torch

from agents.text import UNK, make_text_encoder


@pytest.mark.parametrize("kind", ["gru", "lstm", "cnn"])
def test_unknown_ids_read_as_unk(kind):
    torch.manual_seed(0)
    enc = make_text_encoder(kind, vocab_size=10, embed_dim=4, hidden=6, out_dim=3)
    tokens = torch.tensor([[2, 3, 57, 4000, 0], [2, 3, UNK, UNK, 0]])
    out = enc(tokens)
    assert torch.equal(out[0], out[1]) and torch.isfinite(out).all()
