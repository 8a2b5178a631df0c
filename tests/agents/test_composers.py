"""Single-turn composers (VA, TIRG, RAF) and the batch-wise softmax loss."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from agents.composers import ResidualAttentionFusion, batch_softmax_loss, make_composer


def task(n=64, d=16, seed=0):
    """Targets = reference with the attribute the text names switched on."""
    g = torch.Generator().manual_seed(seed)
    words = torch.randn(8, d, generator=g)
    img = torch.randn(n, d, generator=g)
    which = torch.randint(0, 8, (n,), generator=g)
    return img, words[which], img + 2.0 * words[which]


def test_vector_addition_is_the_normalised_sum():
    img, txt, _ = task()
    out = make_composer("va", 16)(img, txt)
    assert torch.allclose(out, F.normalize(img + txt, dim=-1))


def test_tirg_starts_from_the_published_weights_and_learns():
    torch.manual_seed(0)
    tirg = make_composer("tirg", 16)
    assert tirg.weights.tolist() == [1.0, 10.0, 1.0, 1.0] and tirg.scale.item() == 4.0
    img, txt, target = task()
    log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))
    opt = torch.optim.Adam([*tirg.parameters(), log_scale], lr=1e-2)
    losses = []
    for _ in range(60):
        loss = batch_softmax_loss(tirg(img, txt), target, log_scale)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_raf_is_a_small_residual_on_vector_addition_and_learns():
    torch.manual_seed(0)
    raf = make_composer("raf", 16, token_dim=8, heads=2)
    assert isinstance(raf, ResidualAttentionFusion) and abs(raf.alpha.item() - 0.01) < 1e-7
    img, txt, target = task(n=32)
    img_tok, txt_tok = torch.randn(32, 5, 8), torch.randn(32, 4, 8)
    mask = torch.ones(32, 4)
    mask[:, 3] = 0
    out = raf(img, txt, img_tok, txt_tok, mask)
    assert out.shape == (32, 16)
    assert (out - (img + txt)).abs().max() < 0.1  # alpha = 0.01 at the start
    # The masked text token does not change the output.
    txt_tok2 = txt_tok.clone()
    txt_tok2[:, 3] = 100.0
    assert torch.allclose(out, raf(img, txt, img_tok, txt_tok2, mask), atol=1e-5)
    log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))
    opt = torch.optim.Adam([*raf.parameters(), log_scale], lr=1e-2)
    first = None
    for _ in range(40):
        loss = batch_softmax_loss(raf(img, txt, img_tok, txt_tok, mask), target, log_scale)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_batch_softmax_loss_matches_its_definition_and_checks_shapes():
    q, t = torch.randn(5, 4), torch.randn(5, 4)
    s = torch.tensor(math.log(3.0))
    logits = 3.0 * F.normalize(q, dim=-1) @ F.normalize(t, dim=-1).T
    manual = -torch.log_softmax(logits, dim=1).diagonal().mean()
    assert torch.allclose(batch_softmax_loss(q, t, s), manual)
    with pytest.raises(ValueError, match=r"queries \(5, 4\) and targets \(4, 4\)"):
        batch_softmax_loss(q, t[:4], s)
    with pytest.raises(ValueError, match="unknown composer 'sum'"):
        make_composer("sum", 4)
    with pytest.raises(ValueError, match="raf needs token_dim"):
        make_composer("raf", 4)
