"""Observations of the batched core, in the two layouts of `EpisodeConfig.observation`:

    "dict"  a flat `Dict` of `Box`es: `feedback` (caption token ids, int64, 0 = padding),
            `candidate_features`, `candidate_attributes`, `turn` (and `feedback_embedding`
            with `feedback_embedding=True`)
    "flat"  one float32 `Box`, for default MLP policies (SB3 `MlpPolicy`, RLlib, TorchRL):
            [caption ; visual features ; attributes ; turn / max_turns], where the caption
            is, by `EpisodeConfig.flat_text` (`flat_caption`):
              bow        the bag-of-words count vector of its token ids (`vocab - 1`
                         entries: id t counts at t - 1, padding is left out), in [0, L];
              hashed     the signed hashed bag of words (`hashed_width` entries, default
                         256; `dialog_env.hashing`), in [-L, L];
              embedding  its sentence embedding (384 entries), in [-1, 1] (the default
                         with `feedback_embedding=True`).
            `flat_layout(core)` names the slices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np

from dialog_env.config import HASHED_WIDTH
from dialog_env.hashing import hashed_bag_of_words

if TYPE_CHECKING:
    from dialog_env.batched import BatchedDialogs


def dict_space(core: BatchedDialogs) -> gym.spaces.Dict:
    w = core.world
    return gym.spaces.Dict({
        "feedback": gym.spaces.Box(0, len(w.shopper.vocab) - 1, (core.max_tokens,), np.int64),
        "candidate_features": gym.spaces.Box(core.vis_lo, core.vis_hi, (w.space.visual_dim,),
                                             np.float32),
        "candidate_attributes": gym.spaces.Box(0.0, 1.0, (w.attributes.shape[1],),
                                               np.float32),
        "turn": gym.spaces.Box(0.0, float(core.max_turns), (1,), np.float32),
        **({"feedback_embedding": gym.spaces.Box(-1.0, 1.0, (core.encoder.dim,), np.float32)}
           if core.encoder is not None else {}),
    })


def _hashed_width(core: BatchedDialogs) -> int:
    return core.episode.hashed_width or HASHED_WIDTH


def _text_dim(core: BatchedDialogs) -> int:
    kind = core.episode.flat_caption
    if kind == "embedding":
        return core.encoder.dim
    return _hashed_width(core) if kind == "hashed" else len(core.world.shopper.vocab) - 1


def flat_text(core: BatchedDialogs) -> np.ndarray:
    """`(B, text dim)` float32: the caption part of all B flat observations."""
    kind, vocab = core.episode.flat_caption, len(core.world.shopper.vocab)
    if kind == "embedding":
        return core.embedding
    if kind == "hashed":
        return hashed_bag_of_words(core.tokens, vocab, _hashed_width(core))
    return bag_of_words(core.tokens, vocab)


def flat_layout(core: BatchedDialogs) -> dict[str, slice]:
    """Where each part lies in the flat observation: `caption` (bag of words, hashed bag
    of words or embedding), `candidate_features`, `candidate_attributes`, `turn`."""
    sizes = {"caption": _text_dim(core), "candidate_features": core.world.space.visual_dim,
             "candidate_attributes": core.world.attributes.shape[1], "turn": 1}
    out, lo = {}, 0
    for name, n in sizes.items():
        out[name], lo = slice(lo, lo + n), lo + n
    return out


def flat_space(core: BatchedDialogs) -> gym.spaces.Box:
    layout = flat_layout(core)
    n = layout["turn"].stop
    low, high = np.zeros(n, np.float32), np.ones(n, np.float32)
    kind = core.episode.flat_caption
    if kind == "embedding":
        low[layout["caption"]] = -1.0
    else:
        high[layout["caption"]] = core.max_tokens
        if kind == "hashed":
            low[layout["caption"]] = -core.max_tokens
    low[layout["candidate_features"]] = core.vis_lo
    high[layout["candidate_features"]] = core.vis_hi
    return gym.spaces.Box(low, high, (n,), np.float32)


def observation_space(core: BatchedDialogs) -> gym.spaces.Space:
    return flat_space(core) if core.episode.observation == "flat" else dict_space(core)


def bag_of_words(tokens: np.ndarray, vocab: int) -> np.ndarray:
    """`(B, vocab - 1)` float32 counts of the token ids `(B, L)` (id 0, padding, dropped)."""
    b = tokens.shape[0]
    flat = tokens + vocab * np.arange(b)[:, None]
    counts = np.bincount(flat.ravel(), minlength=b * vocab).reshape(b, vocab)
    return counts[:, 1:].astype(np.float32)


def observations(core: BatchedDialogs) -> dict[str, np.ndarray] | np.ndarray:
    """All B dialogs' observations: a dict of `(B, ...)` arrays, or `(B, D)` float32."""
    c = core.candidate
    if core.episode.observation == "flat":
        text = flat_text(core)
        turn = (core.turn / core.max_turns).astype(np.float32)[:, None]
        return np.concatenate([text, core.world.visual[c], core.world.attributes[c], turn],
                              axis=1, dtype=np.float32)
    obs = {"feedback": core.tokens.copy(),
           "candidate_features": core.world.visual[c],
           "candidate_attributes": core.world.attributes[c],
           "turn": core.turn.astype(np.float32)[:, None]}
    if core.encoder is not None:
        obs["feedback_embedding"] = core.embedding.copy()
    return obs
