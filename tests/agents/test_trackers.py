import pytest
import torch

from agents.model import seeded_init
from agents.response import ResponseEncoder
from agents.text import make_text_encoder
from agents.trackers import make_tracker


@pytest.mark.parametrize("kind,out", [("mean", 6), ("ewma", 6), ("lstm", 5), ("gru", 5),
                                       ("cmntm", 6)])
def test_tracker_shapes_and_masking(kind, out):
    with seeded_init(0):
        tr = make_tracker(kind, 6, 5, memories=2, slots=3, width=4, controller=5).eval()
    g = torch.Generator().manual_seed(0)
    state = tr.initial_state(4, "cpu")
    e = torch.randn(4, 6, generator=g)
    h, s1 = tr.step(e, state)
    assert h.shape == (4, out)
    mask = torch.tensor([True, False, True, False])
    h2, s2 = tr.step(torch.randn(4, 6, generator=g), s1, mask)

    def flat(s):
        return [s] if torch.is_tensor(s) else [x for y in s for x in flat(y)]

    for new, old in zip(flat(s2), flat(s1)):
        assert torch.equal(new[1], old[1]) and torch.equal(new[3], old[3])


def test_mean_and_ewma_by_hand():
    tr = make_tracker("mean", 2, 2)
    s = tr.initial_state(1, "cpu")
    for v in ([1.0, 2.0], [3.0, 6.0]):
        h, s = tr.step(torch.tensor([v]), s)
    assert h.tolist() == [[2.0, 4.0]]
    ew = make_tracker("ewma", 1, 1)
    a = torch.sigmoid(ew.logit).item()
    s = ew.initial_state(1, "cpu")
    h, s = ew.step(torch.tensor([[1.0]]), s)
    h, s = ew.step(torch.tensor([[3.0]]), s)
    assert h.item() == pytest.approx(a * 3 + (1 - a) * 1)


@pytest.mark.parametrize("kind", ["gru", "lstm", "cnn"])
def test_text_encoders_ignore_padding(kind):
    with seeded_init(0):
        enc = make_text_encoder(kind, 30, 8, 8, 4).eval()
    a = torch.tensor([[5, 6, 7, 0, 0, 0]])
    b = torch.tensor([[5, 6, 7, 0, 0, 0, 0, 0, 0]])
    assert torch.allclose(enc(a), enc(b), atol=1e-6)
    empty = enc(torch.zeros(1, 6, dtype=torch.long))
    assert torch.isfinite(empty).all()


@pytest.mark.parametrize("kind", ["image", "concat", "attention"])
def test_response_encoders(kind):
    with seeded_init(0):
        enc = ResponseEncoder(kind, 5, 7, 4, 6, type_index=[[0, 1], [2, 3, 4], [5, 6]])
    g = torch.Generator().manual_seed(0)
    e = enc(torch.randn(3, 5, generator=g), torch.rand(3, 7, generator=g),
            torch.randn(3, 4, generator=g))
    assert e.shape == (3, 6) and (e >= 0).all()
    with pytest.raises(ValueError):
        ResponseEncoder("attention", 5, 7, 4, 6, type_index=[])
