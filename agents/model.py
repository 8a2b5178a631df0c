"""`DialogAgent`: text encoder + response encoder + state tracker + candidate generator.

Per turn: `e_t = response(x_t, phi(x_t), text(o_t))`, `h_t = tracker(e_t, h_{t-1})`,
`q_t = W_q h_t` — a query in the database's item space (the env's action). Any linear item
embedding `W_e z` is folded into the query exactly (`<q', W_e z> = <W_e^T q', z>`), so the
agent ranks the catalog exactly as the environment does.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import torch
from torch import nn

from agents.response import ResponseEncoder
from agents.text import make_text_encoder
from agents.trackers import (
    bind_settings,
    make_tracker,
    setting_owners,
    settings_values,
    tracker_settings,
)
from dialog_env.seeding import seeded_init


@dataclass
class AgentConfig:
    """Everything needed to rebuild an agent (saved as JSON next to its weights).

    `tracker_settings` is the tracker kind's own settings object (cmntm: `CMNTMSettings`),
    built by `agents.trackers.bind_settings`. A kind's settings may also be passed flat,
    `AgentConfig(tracker="cmntm", slots=8)`, and read flat, `config.slots`; a flat name
    the kind has no setting of is refused (TypeError naming the kinds that have it)."""

    name: str
    text: str = "gru"  # gru | lstm | cnn | minilm (frozen sentence embedding)
    response: str = "concat"  # image | concat | attention
    tracker: str = "gru"  # a registered kind (agents.trackers): mean | ewma | lstm | gru | cmntm
    vocab_size: int = 0
    visual_dim: int = 0
    attr_dim: int = 0
    type_index: list[list[int]] = field(default_factory=list)  # attribute columns per type
    embed_dim: int = 128
    text_hidden: int = 128
    text_dim: int = 256
    response_dim: int = 256
    hidden: int = 256  # gru / lstm tracker hidden size
    tracker_settings: Any = None  # the tracker kind's settings (see the class docstring)

    @property
    def item_dim(self) -> int:
        return self.visual_dim + self.attr_dim

    def __getattr__(self, name: str):
        # only reached for names that are not fields: a tracker setting, read flat
        if not name.startswith("_") and name != "tracker_settings":
            values = settings_values(self.__dict__.get("tracker_settings"))
            if name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tracker_settings"] = settings_values(self.tracker_settings)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> AgentConfig:
        """The config `to_dict` wrote, or one of the old flat layout (every kind's settings
        as top-level fields, before `tracker_settings`): of those, the ones the agent's
        tracker kind has are mapped onto its settings, the others dropped."""
        d = dict(d)
        if "tracker_settings" not in d:
            kind = d.get("tracker", "gru")
            own = set(tracker_settings(kind))
            for k in [k for k in d if k not in _FIELDS and setting_owners(k)]:
                if k not in own:
                    d.pop(k)
        return cls(**d)


_FIELDS = frozenset(f.name for f in fields(AgentConfig))
_dataclass_init = AgentConfig.__init__


@functools.wraps(_dataclass_init)
def _init(self, *args, **kwargs) -> None:
    flat = {k: kwargs.pop(k) for k in list(kwargs) if k not in _FIELDS}
    unknown = [k for k in flat if not setting_owners(k)]
    if unknown:
        raise TypeError(f"AgentConfig: unknown field(s) {', '.join(unknown)}")
    _dataclass_init(self, *args, **kwargs)
    self.tracker_settings = bind_settings(self.tracker, self.tracker_settings, flat)


AgentConfig.__init__ = _init


# The agents of the seed papers, by name (sizes scaled to the embedded catalog).
AGENT_PRESETS: dict[str, dict] = {
    "guo-gru": dict(text="cnn", response="image", tracker="gru", hidden=256),
    "fiq-gru": dict(text="lstm", response="concat", tracker="gru", hidden=256),
    "fiq-gru-attention": dict(text="lstm", response="attention", tracker="gru", hidden=256),
    "fiq-gru-minilm": dict(text="minilm", response="concat", tracker="gru", hidden=256),
    "st-avg": dict(text="gru", response="concat", tracker="mean"),
    "st-ewma": dict(text="gru", response="concat", tracker="ewma"),
    "st-lstm": dict(text="gru", response="concat", tracker="lstm", hidden=100),
    "fashionntm": dict(text="gru", response="concat", tracker="cmntm", memories=4),
    "vanilla-ntm": dict(text="gru", response="concat", tracker="cmntm", memories=1),
}
LEARNED_AGENTS = tuple(AGENT_PRESETS)


def agent_config(name: str, vocab_size: int, visual_dim: int, attr_dim: int,
                 type_index: list[list[int]], **overrides) -> AgentConfig:
    if name not in AGENT_PRESETS:
        raise ValueError(f"unknown learned agent {name!r}; expected one of {LEARNED_AGENTS}")
    """The preset agent `name` with `overrides` (fields, or tracker settings by their flat
    names). A flat setting of another tracker kind than the preset's is dropped, so one
    set of overrides (e.g. `slots=4`) fits every preset."""
    cfg = AgentConfig(name=name, vocab_size=vocab_size, visual_dim=visual_dim,
                      attr_dim=attr_dim, type_index=type_index, **AGENT_PRESETS[name])
    kind = overrides.get("tracker", cfg.tracker)
    own = set(tracker_settings(kind))
    overrides = {k: v for k, v in overrides.items()
                 if k in _FIELDS or k in own or not setting_owners(k)}
    return replace(cfg, **overrides)


class DialogAgent(nn.Module):
    @classmethod
    def from_seed(cls, config: AgentConfig, seed: int) -> DialogAgent:
        """The agent with parameters initialised from `seed`: the same weights as
        `torch.manual_seed(seed); DialogAgent(config)`, but built under
        `torch.random.fork_rng` (see `seeded_init`), so torch's global random state is
        neither read nor changed."""
        with seeded_init(seed):
            return cls(config)

    def __init__(self, config: AgentConfig):
        super().__init__()
        c = config
        self.config = c
        self.text = make_text_encoder(c.text, c.vocab_size, c.embed_dim, c.text_hidden,
                                      c.text_dim)
        self.response = ResponseEncoder(c.response, c.visual_dim, c.attr_dim, c.text_dim,
                                        c.response_dim, c.type_index)
        self.tracker = make_tracker(c.tracker, c.response_dim, c.hidden,
                                    **settings_values(c.tracker_settings))
        self.query = nn.Linear(self.tracker.out_dim, c.item_dim)
        # Learned inverse temperature of the training losses (not used for ranking).
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def scale(self) -> torch.Tensor:
        """Inverse temperature of the training losses, capped at 100 (as in CLIP)."""
        return self.logit_scale.clamp(max=math.log(100.0)).exp()

    @property
    def needs_embedding(self) -> bool:
        """Whether the agent reads the env's `feedback_embedding` observation."""
        return self.config.text == "minilm"

    def initial_state(self, b: int, device=None):
        return self.tracker.initial_state(b, device or self.query.weight.device)

    def turn(self, tokens: torch.Tensor, visual: torch.Tensor, attrs: torch.Tensor, state,
             mask: torch.Tensor | None = None):
        """One turn: the caption (`(B, L)` token ids, or `(B, 384)` sentence embeddings for
        `text="minilm"`), `(B, Dv)` and `(B, V)` features of the shown item -> `(B, D)`
        query and the new state (unchanged where `mask` is False)."""
        e = self.response(visual, attrs, self.text(tokens))
        h, state = self.tracker.step(e, state, mask)
        return self.query(h), state
