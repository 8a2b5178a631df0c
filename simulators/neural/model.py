"""The relative captioner (Fashion IQ's user simulator, Figure 9) as one `nn.Module`.

Inputs per pair: the shown item's and the target's image features `v` `(Dv)` and attribute
features `a` `(V)` (the world's AttrNet embedding x and predictions phi(x)). Output: the
caption's word ids in the data source's vocabulary; id 0 (`<pad>`) doubles as END, and a
start token `bos = n_words` exists only as a decoder input.

    image      (#1) show-and-tell: `x = W (v_t - v_s)` is the LSTM's first input, then BOS
               and the words.
    attribute  (#2) `f(i) = [v_i ; W_a a_i]` (attributes projected to the decoder size and
               concatenated with the image features), `x = W (f(t) - f(s))`, as in #1.
    attention  (#3) five feature vectors projected to the decoder size, each plus a learned
               slot embedding: target image, target attributes, shown image, shown
               attributes and the difference `[v_t - v_s ; a_t - a_s]`; at each step the
               previous state attends over them (additive attention) and the attended
               vector is concatenated with the previous word's embedding. The initial
               state comes from their mean.

`loss` is teacher-forced cross-entropy over the words and the END that follows them;
`decode` runs greedy, beam or sampling decoding (see `simulators.neural.decode`) for a batch
on whatever device the module is on.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from simulators.neural.config import VARIANTS
from simulators.neural.decode import State, beam_search, greedy, row_uniforms, sample

N_SLOTS = 5  # target image, target attributes, shown image, shown attributes, difference
IGNORE = -100


class Captioner(nn.Module):
    """A relative captioner of `n_words` output ids (0 = END) over `visual_dim` image and
    `attr_dim` attribute features."""

    def __init__(self, variant: str, n_words: int, visual_dim: int, attr_dim: int,
                 embed: int = 512, hidden: int = 512):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown captioner variant {variant!r}; expected one of "
                             f"{VARIANTS}")
        if n_words < 2:
            raise ValueError(f"a captioner needs at least 2 word ids (END and a word), got "
                             f"{n_words}")
        self.variant, self.n_words = variant, n_words
        self.visual_dim, self.attr_dim = visual_dim, attr_dim
        self.embed_dim, self.hidden_dim = embed, hidden
        self.bos = n_words
        self.embed = nn.Embedding(n_words + 1, embed)
        ctx = 0
        if variant == "image":
            self.project = nn.Linear(visual_dim, embed)
        elif variant == "attribute":
            self.attr = nn.Linear(attr_dim, hidden)  # attributes to the decoder size
            self.project = nn.Linear(visual_dim + hidden, embed)
        else:
            self.visual_in = nn.Linear(visual_dim, hidden)
            self.attr_in = nn.Linear(attr_dim, hidden)
            self.diff_in = nn.Linear(visual_dim + attr_dim, hidden)
            self.slots = nn.Parameter(torch.randn(N_SLOTS, hidden) * 0.02)
            self.att_feat = nn.Linear(hidden, hidden)
            self.att_state = nn.Linear(hidden, hidden, bias=False)
            self.att_score = nn.Linear(hidden, 1, bias=False)
            self.init_h = nn.Linear(hidden, hidden)
            self.init_c = nn.Linear(hidden, hidden)
            ctx = hidden
        self.cell = nn.LSTMCell(embed + ctx, hidden)
        self.out = nn.Linear(hidden, n_words)

    def sizes(self) -> dict:
        """What the weights' shapes depend on (recorded in checkpoints)."""
        return {"variant": self.variant, "n_words": self.n_words,
                "visual_dim": self.visual_dim, "attr_dim": self.attr_dim,
                "embed": self.embed_dim, "hidden": self.hidden_dim}

    # -- encoder and one decoder step ---------------------------------------------------
    def encode(self, v_s: torch.Tensor, a_s: torch.Tensor, v_t: torch.Tensor,
               a_t: torch.Tensor) -> State:
        """The decoder's state before BOS for pairs (shown s, target t): `v_*` (B, Dv),
        `a_*` (B, V)."""
        b = v_s.shape[0]
        zeros = v_s.new_zeros(b, self.hidden_dim)
        if self.variant == "image":
            x = self.project(v_t - v_s)  # (B, E)
            return self.cell(x, (zeros, zeros))
        if self.variant == "attribute":
            f_t = torch.cat([v_t, self.attr(a_t)], 1)  # (B, Dv + H)
            f_s = torch.cat([v_s, self.attr(a_s)], 1)
            return self.cell(self.project(f_t - f_s), (zeros, zeros))
        feats = torch.stack([self.visual_in(v_t), self.attr_in(a_t), self.visual_in(v_s),
                             self.attr_in(a_s),
                             self.diff_in(torch.cat([v_t - v_s, a_t - a_s], 1))], 1)
        feats = feats + self.slots  # (B, 5, H)
        mean = feats.mean(1)  # (B, H)
        h, c = torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))
        return h, c, feats, self.att_feat(feats)

    def step(self, state: State, prev: torch.Tensor) -> tuple[torch.Tensor, State]:
        """Logits `(B, n_words)` of the next word after `prev` `(B,)`, and the new state."""
        h, c = state[0], state[1]
        e = self.embed(prev)  # (B, E)
        if self.variant == "attention":
            feats, keys = state[2], state[3]  # (B, 5, H) each
            score = self.att_score(torch.tanh(keys + self.att_state(h)[:, None]))  # (B, 5, 1)
            ctx = (torch.softmax(score, 1) * feats).sum(1)  # (B, H)
            e = torch.cat([e, ctx], 1)
        h, c = self.cell(e, (h, c))
        return self.out(h), (h, c, *state[2:])

    # -- training ----------------------------------------------------------------------
    def forward(self, v_s: torch.Tensor, a_s: torch.Tensor, v_t: torch.Tensor,
                a_t: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits `(B, L + 1, n_words)` for captions `tokens` `(B, L)`
        (0-padded): inputs BOS, w_1 .. w_L; outputs predict w_1 .. w_L, END."""
        state = self.encode(v_s, a_s, v_t, a_t)
        prev = torch.full((tokens.shape[0],), self.bos, dtype=torch.long, device=tokens.device)
        out = []
        for t in range(tokens.shape[1] + 1):
            logits, state = self.step(state, prev)
            out.append(logits)
            if t < tokens.shape[1]:
                prev = tokens[:, t]
        return torch.stack(out, 1)

    def loss(self, v_s: torch.Tensor, a_s: torch.Tensor, v_t: torch.Tensor,
             a_t: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the words and the END after them (padding ignored)."""
        tokens = tokens[:, :int((tokens != 0).sum(1).max().clamp(min=0))]  # drop all-pad
        logits = self.forward(v_s, a_s, v_t, a_t, tokens)  # (B, L + 1, W)
        return F.cross_entropy(logits.flatten(0, 1), caption_targets(tokens).flatten(),
                               ignore_index=IGNORE)

    # -- decoding ----------------------------------------------------------------------
    @torch.no_grad()
    def decode(self, v_s: torch.Tensor, a_s: torch.Tensor, v_t: torch.Tensor,
               a_t: torch.Tensor, max_len: int, decoding: str = "greedy",
               beam_size: int = 3, temperature: float = 1.0,
               seeds: Sequence[int] | None = None, seed: int | None = None,
               min_len: int = 1) -> torch.Tensor:
        """`(B, max_len)` int64 word ids (0 after the caption's end; at least `min_len`
        words) for a batch of pairs.
        `sample` draws row k's words from a generator seeded with `seeds[k]` (or, with
        `seed`, one generator for the call whose draws go to the rows in order); the
        results do not depend on the device or, with `seeds`, on the other rows."""
        was_training = self.training
        self.eval()
        try:
            n = v_s.shape[0]
            state = self.encode(v_s, a_s, v_t, a_t)
            if decoding == "greedy":
                return greedy(self.step, state, n, max_len, self.bos, min_len)
            if decoding == "beam":
                return beam_search(self.step, state, n, max_len, self.bos, beam_size,
                                   min_len)
            if decoding == "sample":
                if seeds is None:
                    if seed is None:
                        raise ValueError("sampling needs seeds (one per row) or a seed")
                    g = torch.Generator().manual_seed(int(seed))
                    u = torch.rand(n, max_len, generator=g).to(v_s.device)
                else:
                    if len(seeds) != n:
                        raise ValueError(f"sampling: {len(seeds)} seeds for {n} rows")
                    u = row_uniforms(seeds, max_len, v_s.device)
                return sample(self.step, state, n, max_len, self.bos, temperature, u,
                              min_len)
            raise ValueError(f"unknown decoding {decoding!r}; expected greedy, beam or sample")
        finally:
            self.train(was_training)


def caption_targets(tokens: torch.Tensor) -> torch.Tensor:
    """`(B, L + 1)` targets of captions `tokens` `(B, L)` (0-padded, no inner zeros): the
    words, then END (0) right after them, then IGNORE."""
    b, length = tokens.shape
    lengths = (tokens != 0).sum(1, keepdim=True)  # (B, 1)
    pos = torch.arange(length + 1, device=tokens.device)[None]  # (1, L + 1)
    words = F.pad(tokens, (0, 1))
    return torch.where(pos < lengths, words,
                       torch.where(pos == lengths, torch.zeros_like(words),
                                   torch.full_like(words, IGNORE)))
