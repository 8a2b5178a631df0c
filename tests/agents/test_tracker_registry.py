"""The state-tracker registry: a kind registered in one place is buildable by name, and
CM-NTM's state is a named structure."""

import pytest
import torch
from torch import nn

from agents.cmntm import CMNTM, HeadLayout, StageState
from agents.model import AgentConfig, DialogAgent
from agents.trackers import TRACKERS, keep, make_tracker, register_tracker, tracker_settings


class LastTracker(nn.Module):
    """A toy tracker: the last response, scaled by a per-kind setting."""

    def __init__(self, dim: int, scale: float):
        super().__init__()
        self.out_dim, self.scale = dim, scale

    def initial_state(self, b, device):
        return (torch.zeros(b, self.out_dim, device=device),)

    def step(self, e, state, mask=None):
        h = keep(mask, e * self.scale, state[0])
        return h, (h,)


@pytest.fixture
def toy_kind():
    register_tracker("toy-last", lambda dim, hidden, scale=2.0: LastTracker(dim, scale),
                     settings=("scale",))
    yield "toy-last"
    TRACKERS.pop("toy-last")


def test_registered_kind_is_usable_by_name(toy_kind):
    assert tracker_settings(toy_kind) == ("scale",)
    # settings a kind does not read (cmntm's) are not passed to it
    tr = make_tracker(toy_kind, 3, 7, scale=3.0, memories=2, slots=4)
    assert isinstance(tr, LastTracker) and tr.scale == 3.0
    config = AgentConfig(name="toy", text="gru", response="concat", tracker=toy_kind,
                         vocab_size=20, visual_dim=4, attr_dim=3, embed_dim=8, text_hidden=8,
                         text_dim=8, response_dim=6)
    agent = DialogAgent.from_seed(config, 0)
    assert isinstance(agent.tracker, LastTracker) and agent.tracker.scale == 2.0
    g = torch.Generator().manual_seed(0)
    state = agent.initial_state(2)
    q, state = agent.turn(torch.randint(1, 20, (2, 5), generator=g),
                          torch.randn(2, 4, generator=g), torch.rand(2, 3, generator=g),
                          state, torch.tensor([True, False]))
    assert q.shape == (2, 7) and torch.equal(state[0][1], torch.zeros(6))


def test_unknown_and_duplicate_kinds(toy_kind):
    with pytest.raises(ValueError, match="unknown state tracker 'nope'.*cmntm"):
        make_tracker("nope", 3, 3)
    with pytest.raises(ValueError, match="already registered"):
        register_tracker(toy_kind, lambda dim, hidden: LastTracker(dim, 1.0))
    assert {"mean", "ewma", "lstm", "gru", "cmntm"} <= set(TRACKERS)


def test_cmntm_state_and_head_layout_are_named():
    m = CMNTM(6, memories=2, slots=3, width=4, hidden=5)
    state = m.initial_state(2, "cpu")
    assert all(isinstance(s, StageState) for s in state) and len(state) == 2
    assert state[0].memory.shape == (2, 3, 4) and state[-1].read_vec.shape == (2, 4)
    at = HeadLayout.of(4)
    assert (at.key, at.beta, at.gate, at.shift, at.gamma) == (
        slice(0, 4), slice(4, 5), slice(5, 6), slice(6, 9), slice(9, 10))
    assert (at.erase, at.add, at.addressing, at.write) == (slice(10, 14), slice(14, 18), 10, 18)
    assert m.stages[0].read_head.out_features == 10
    assert m.stages[0].write_head.out_features == 18
    _, new = m.step(torch.randn(2, 6), state, torch.tensor([False, True]))
    assert all(isinstance(s, StageState) for s in new)
    assert torch.equal(new[1].memory[0], state[1].memory[0])
    # a state rebuilt as plain tuples (e.g. by a learner's detach map) steps the same
    plain = tuple(tuple(s) for s in state)
    out_named, _ = m.step(torch.ones(2, 6), state)
    out_plain, again = m.step(torch.ones(2, 6), plain)
    assert torch.equal(out_named, out_plain) and isinstance(again[0], StageState)
