"""Batched decoding over any step function: greedy, beam search, sampling.

A decoder is described by a `StepFn`: `step(state, prev) -> (logits, state)` where `state`
is a tuple of batch-first tensors (one row per sequence), `prev` `(n,)` the previous token
ids and `logits` `(n, W)` the scores of the next token. Token 0 is END (it is also the
padding of the returned `(n, max_len)` int64 token matrices); `bos` is the id fed first.
The functions run on the device of the state's tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

State = tuple[torch.Tensor, ...]
StepFn = Callable[[State, torch.Tensor], tuple[torch.Tensor, State]]
END = 0


def _no_end(logits: torch.Tensor, t: int, min_len: int) -> torch.Tensor:
    """`logits` with END barred while fewer than `min_len` words were said."""
    if t >= min_len:
        return logits
    logits = logits.clone()
    logits[:, END] = float("-inf")
    return logits


def index_state(state: State, rows: torch.Tensor) -> State:
    """The state of sequences `rows` (rows may repeat)."""
    return tuple(s.index_select(0, rows) for s in state)


def greedy(step: StepFn, state: State, n: int, max_len: int, bos: int,
           min_len: int = 1) -> torch.Tensor:
    """The most likely next token at every step, until END or `max_len` words."""
    device = state[0].device
    out = torch.zeros(n, max_len, dtype=torch.long, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    prev = torch.full((n,), bos, dtype=torch.long, device=device)
    for t in range(max_len):
        logits, state = step(state, prev)  # (n, W)
        prev = _no_end(logits, t, min_len).argmax(-1)
        out[:, t] = torch.where(done, 0, prev)
        done |= prev == END
        if bool(done.all()):
            break
    return out


def beam_search(step: StepFn, state: State, n: int, max_len: int, bos: int,
                beam_size: int, min_len: int = 1) -> torch.Tensor:
    """Beam search: the hypothesis of highest total log-probability among those the beam
    kept, per row.

    Length handling: a hypothesis's score is the sum of the log-probabilities of its words
    plus that of END when it ended; no length normalisation, so a shorter caption wins
    when its total is higher. A finished hypothesis stays in the beam (its only extension
    is END at log-probability 0) and competes with the open ones; a hypothesis still open
    after `max_len` words is cut there and scored without an END term. The search stops
    early once every row's best finished score is at least its best open score (no open
    hypothesis can overtake it: scores only fall). With `beam_size` at least the number of
    hypotheses of `min_len` to `max_len` words it is exhaustive. (END is barred for the
    first `min_len` words, after the softmax: the other words keep their probabilities.)"""
    device = state[0].device
    k = beam_size
    state = index_state(state, torch.arange(n, device=device).repeat_interleave(k))  # (n*k)
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live hypothesis to start with
    seqs = torch.zeros(n, k, 0, dtype=torch.long, device=device)
    done = torch.zeros(n, k, dtype=torch.bool, device=device)
    prev = torch.full((n * k,), bos, dtype=torch.long, device=device)
    base = (torch.arange(n, device=device) * k)[:, None]  # (n, 1)
    for t in range(max_len):
        logits, state = step(state, prev)
        logp = _no_end(torch.log_softmax(logits.float(), -1), t, min_len)  # (n*k, W)
        w = logp.shape[-1]
        logp = logp.view(n, k, w)
        ended = torch.full((w,), float("-inf"), device=device)
        ended[END] = 0.0
        logp = torch.where(done[..., None], ended, logp)
        cand = (scores[..., None] + logp).view(n, k * w)  # (n, k*W)
        scores, idx = cand.topk(k, dim=1)  # (n, k), best first
        src, word = idx // w, idx % w
        seqs = torch.cat([seqs.gather(1, src[..., None].expand(-1, -1, t)), word[..., None]], 2)
        done = done.gather(1, src) | (word == END)
        state = index_state(state, (src + base).view(-1))
        prev = word.view(-1)
        best_done = torch.where(done, scores, float("-inf")).amax(1)
        best_open = torch.where(done, float("-inf"), scores).amax(1)
        if bool((best_done >= best_open).all()):
            break
    best = scores.argmax(1)  # (n,)
    out = torch.zeros(n, max_len, dtype=torch.long, device=device)
    out[:, :seqs.shape[2]] = seqs[torch.arange(n, device=device), best]
    # Words after END are END already (a finished hypothesis only extends with END).
    return out


def row_uniforms(seeds: Sequence[int], max_len: int, device) -> torch.Tensor:
    """`(n, max_len)` uniforms in [0, 1), row k from a CPU `torch.Generator` seeded with
    `seeds[k]` (the same on every device and whatever else is in the batch)."""
    rows = [torch.rand(max_len, generator=torch.Generator().manual_seed(int(s)))
            for s in seeds]
    u = torch.stack(rows) if rows else torch.zeros(0, max_len)
    return u.to(device)


def sample(step: StepFn, state: State, n: int, max_len: int, bos: int, temperature: float,
           uniforms: torch.Tensor, min_len: int = 1) -> torch.Tensor:
    """Ancestral sampling from `softmax(logits / temperature)`, the token of step t of row k
    drawn by inverting the distribution's CDF at `uniforms[k, t]` (so a row's words depend
    only on its own uniforms). As the temperature goes to 0 this is greedy decoding."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    device = state[0].device
    out = torch.zeros(n, max_len, dtype=torch.long, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    prev = torch.full((n,), bos, dtype=torch.long, device=device)
    for t in range(max_len):
        logits, state = step(state, prev)
        z = _no_end(logits.float(), t, min_len)
        z = (z - z.amax(-1, keepdim=True)) / temperature  # <= 0: no overflow at tiny T
        cdf = torch.softmax(z, -1).cumsum(-1)  # (n, W)
        x = uniforms[:, t:t + 1] * cdf[:, -1:]  # (n, 1), below the total mass
        prev = (cdf <= x).sum(-1).clamp_(max=cdf.shape[-1] - 1)
        out[:, t] = torch.where(done, 0, prev)
        done |= prev == END
        if bool(done.all()):
            break
    return out
