import math

import pytest
import torch

from agents.cmntm import CMNTM, content_weights, interpolate, read, sharpen, shift, write
from agents.model import seeded_init


def test_content_weights_by_hand():
    memory = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    w = content_weights(memory, torch.tensor([[2.0, 0.0]]), torch.tensor([[1.0]]))
    cos = torch.tensor([1.0, 0.0, 1 / math.sqrt(2)])
    assert torch.allclose(w[0], torch.softmax(cos, 0), atol=1e-6)
    sharp = content_weights(memory, torch.tensor([[2.0, 0.0]]), torch.tensor([[50.0]]))
    assert sharp[0, 0] > 0.99
    # a zero key or zero memory row does not produce NaN (epsilon in the cosine)
    z = content_weights(torch.zeros(1, 3, 2), torch.zeros(1, 2), torch.tensor([[1.0]]))
    assert torch.allclose(z, torch.full((1, 3), 1 / 3))


def test_shift_is_circular():
    w = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    assert shift(w, torch.tensor([[0.0, 0.0, 1.0]])).tolist() == [[0.0, 0.0, 1.0, 0.0]]
    assert shift(w, torch.tensor([[1.0, 0.0, 0.0]])).tolist() == [[1.0, 0.0, 0.0, 0.0]]
    edge = torch.tensor([[0.0, 0.0, 0.0, 1.0]])
    assert shift(edge, torch.tensor([[0.0, 0.0, 1.0]])).tolist() == [[1.0, 0.0, 0.0, 0.0]]
    mixed = shift(w, torch.tensor([[0.25, 0.5, 0.25]]))
    assert torch.allclose(mixed, torch.tensor([[0.25, 0.5, 0.25, 0.0]]))


def test_sharpen_interpolate_write_read_by_hand():
    w = sharpen(torch.tensor([[0.5, 0.25, 0.25]]), torch.tensor([[2.0]]))
    assert torch.allclose(w, torch.tensor([[2 / 3, 1 / 6, 1 / 6]]), atol=1e-6)
    g = interpolate(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]),
                    torch.tensor([[0.25]]))
    assert torch.allclose(g, torch.tensor([[0.25, 0.75]]))
    memory = torch.ones(1, 2, 2)
    new = write(memory, torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]]),
                torch.tensor([[0.0, 2.0]]))
    assert new.tolist() == [[[0.0, 3.0], [1.0, 1.0]]]
    r = read(torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]), torch.tensor([[0.25, 0.75]]))
    assert torch.allclose(r, torch.tensor([[0.25, 0.75]]))


@pytest.mark.parametrize("memories", [1, 2, 4])
def test_shapes_masking_and_isolation(memories):
    with seeded_init(0):
        m = CMNTM(16, memories=memories, slots=5, width=8, hidden=12).eval()
    for stage in m.stages:
        assert stage.memory0.abs().sum() > 0
        assert not torch.allclose(stage.memory0[0], stage.memory0[1])
    state = m.initial_state(3, "cpu")
    e = torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    out, new = m.step(e, state)
    assert out.shape == (3, 16) and len(new) == memories
    assert new[0][2].shape == (3, 5, 8)
    # masked rows keep their state
    out2, kept = m.step(e, state, torch.tensor([True, False, True]))
    for a, b in zip(kept[-1], state[-1]):
        assert torch.equal(a[1], b[1])
    # dialogs of a batch do not share memory: changing dialog 2's input leaves 0 and 1
    e2 = e.clone()
    e2[2] = 100.0
    out3, _ = m.step(e2, state)
    assert torch.allclose(out3[:2], out[:2]) and not torch.allclose(out3[2], out[2])


def test_no_nan_after_1000_steps_with_extreme_inputs():
    with seeded_init(0):
        m = CMNTM(8, memories=2, slots=4, width=6, hidden=8, out_dim=4)
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for step in range(1000):
        scale = [1e-6, 1.0, 1e3][step % 3]
        x = torch.randn(4, 3, 8, generator=g) * scale
        if step % 7 == 0:
            x = torch.zeros_like(x)
        state = m.initial_state(4, "cpu")
        loss = 0.0
        for t in range(3):
            out, state = m.step(x[:, t], state)
            loss = loss + ((out - 1.0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        assert torch.isfinite(loss)
    assert all(torch.isfinite(p).all() for p in m.parameters())
