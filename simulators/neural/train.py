"""Training the relative captioner: teacher-forced cross-entropy, Adam, from (shown, target,
caption) triples and per-item features; and the first-use captioner of a catalog, cached.

`train_captioner` is deterministic on the CPU for a seed: the initial weights come from
`config.seed` under `torch.random.fork_rng` (no global random state is read or changed)
and the batches from a `torch.Generator` seeded with it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from tqdm.auto import tqdm

from dialog_env.catalog.catalog import Catalog
from dialog_env.seeding import seeded_init
from simulators.base import Vocab
from simulators.caption_sources import caption_source
from simulators.neural.checkpoint import (
    Checkpoint,
    CheckpointError,
    cache_path,
    load_checkpoint,
    paths,
    save_checkpoint,
)
from simulators.neural.config import NeuralConfig
from simulators.neural.data import CaptionSource
from simulators.neural.model import Captioner

GRAD_CLIP = 5.0


def build_captioner(config: NeuralConfig, n_words: int, visual_dim: int,
                    attr_dim: int) -> Captioner:
    """An untrained captioner initialised from `config.seed` (global RNG untouched)."""
    with seeded_init(config.seed):
        return Captioner(config.variant, n_words, visual_dim, attr_dim, config.embed,
                         config.hidden)


def encode_captions(texts: Sequence[str], vocab: Vocab, max_len: int) -> np.ndarray:
    """`(n, max_len)` int64 word ids of `texts`, 0-padded, cut at `max_len` words."""
    return np.stack([vocab.encode(t, max_len) for t in texts]) if len(texts) else \
        np.zeros((0, max_len), dtype=np.int64)


def _device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def train_captioner(shown: np.ndarray, target: np.ndarray, texts: Sequence[str],
                    visual: np.ndarray, attributes: np.ndarray, vocab: Vocab,
                    config: NeuralConfig, progress: bool = True,
                    device: str | torch.device | None = "cpu"
                    ) -> tuple[Captioner, list[float]]:
    """Train a `config.variant` captioner on caption triples (`shown[k]`, `target[k]`,
    `texts[k]`) with per-item image features `visual` `(N, Dv)` and attribute features
    `attributes` `(N, V)`, for `config.steps` Adam steps of `config.batch` triples drawn
    with replacement. Returns the model (CPU, eval mode) and the loss of every step.
    `device=None`: CUDA when available."""
    shown = np.asarray(shown, dtype=np.int64)
    target = np.asarray(target, dtype=np.int64)
    if not (len(shown) == len(target) == len(texts)):
        raise ValueError(f"train_captioner: {len(shown)} shown, {len(target)} targets, "
                         f"{len(texts)} texts")
    n_items = len(visual)
    if len(attributes) != n_items:
        raise ValueError(f"train_captioner: {n_items} visual rows, {len(attributes)} "
                         f"attribute rows")
    for name, idx in (("shown", shown), ("target", target)):
        if len(idx) and (idx.min() < 0 or idx.max() >= n_items):
            raise ValueError(f"train_captioner: {name} indices outside 0..{n_items - 1}")
    tokens = encode_captions(texts, vocab, config.max_len)
    keep = (tokens != 0).any(1)
    if not keep.any():
        raise ValueError("train_captioner: no caption has a word of the vocabulary")
    dev = _device(device)
    model = build_captioner(config, len(vocab), visual.shape[1], attributes.shape[1]).to(dev)
    v = torch.as_tensor(np.asarray(visual, dtype=np.float32), device=dev)  # (N, Dv)
    a = torch.as_tensor(np.asarray(attributes, dtype=np.float32), device=dev)  # (N, V)
    s_idx = torch.as_tensor(shown[keep], device=dev)
    t_idx = torch.as_tensor(target[keep], device=dev)
    tok = torch.as_tensor(tokens[keep], device=dev)  # (n, max_len)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    losses: list[float] = []
    model.train()
    bar = tqdm(range(config.steps), desc=f"captioner {config.variant}", unit="step",
               disable=not progress)
    for _ in bar:
        b = torch.randint(len(tok), (config.batch,), generator=gen).to(dev)
        s, t = s_idx[b], t_idx[b]
        loss = model.loss(v[s], a[s], v[t], a[t], tok[b])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        losses.append(float(loss.detach()))
        if progress:
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    return model.cpu().eval(), losses


def catalog_source(catalog: Catalog, source: CaptionSource, features: str) -> dict:
    """What a captioner trained on `catalog` depends on besides its settings."""
    return {"data": source.name, "catalog": catalog.name,
            "content_hash": catalog.meta.get("content_hash"), "features": features}


def train_on_catalog(catalog: Catalog, config: NeuralConfig, visual: np.ndarray,
                     attributes: np.ndarray, features: str,
                     source: CaptionSource | None = None, progress: bool = True,
                     device: str | torch.device | None = "cpu") -> tuple[Checkpoint, list[float]]:
    """Train on `config.pairs` caption pairs of `catalog`'s train split from `source`
    (default `caption_source(catalog)`); the checkpoint's record says where and how."""
    source = source or caption_source(catalog)
    vocab = source.vocabulary()
    start = time.perf_counter()
    data = source.pairs(catalog, config.pairs, config.seed, split="train")
    model, losses = train_captioner(data.shown, data.target, data.texts, visual, attributes,
                                    vocab, config, progress=progress, device=device)
    seconds = time.perf_counter() - start
    meta = {"source": catalog_source(catalog, source, features),
            "training": {**{k: getattr(config, k) for k in
                            ("steps", "batch", "lr", "pairs", "seed")},
                         "seconds": round(seconds, 2), "device": str(_device(device)),
                         "final_loss": losses[-1], "first_loss": losses[0]},
            "decoding": decoding_record(config)}
    return Checkpoint(model, vocab, config.max_len, meta), losses


def decoding_record(config: NeuralConfig) -> dict:
    return {"decoding": config.decoding, "beam_size": config.beam_size,
            "temperature": config.temperature}


def load_or_train(catalog: Catalog, config: NeuralConfig, visual: np.ndarray,
                  attributes: np.ndarray, features: str, progress: bool = True,
                  cache: bool = True) -> Checkpoint:
    """The captioner of `config` for `catalog`: `config.checkpoint` when given (checked
    against the features' dims; a warning when it was trained on another catalog or
    other features), else the cached first-use captioner when it matches this catalog,
    else trained now on the train split and cached (safetensors + JSON)."""
    dims = {"visual_dim": visual.shape[1], "attr_dim": attributes.shape[1]}
    source = catalog_source(catalog, caption_source(catalog), features)
    if config.checkpoint is not None:
        ckpt = load_checkpoint(config.checkpoint, **dims)
        trained = ckpt.meta.get("source", {})
        differs = {k: (trained.get(k), v) for k, v in source.items()
                   if k != "catalog" and trained.get(k) != v}
        if differs:
            warnings.warn(f"{paths(config.checkpoint)[1]}: trained on {differs} "
                          f"(recorded, here)", stacklevel=3)
        return ckpt
    key = f"{config.key()}-{source['data']}-{features}"
    path = cache_path(catalog, key) if cache else None
    if path is not None and paths(path)[0].exists():
        try:
            ckpt = load_checkpoint(path, **dims)
            if ckpt.meta.get("source") != source:
                raise CheckpointError(f"{path}: trained on {ckpt.meta.get('source')}, "
                                      f"expected {source}")
            return ckpt
        except CheckpointError as e:
            warnings.warn(f"{e}; training the captioner again", stacklevel=3)
    ckpt, _ = train_on_catalog(catalog, config, visual, attributes, features,
                               progress=progress)
    if path is not None:
        save_checkpoint(path, ckpt.model, ckpt.vocab, ckpt.max_len, ckpt.meta["source"],
                        ckpt.meta["training"], ckpt.meta["decoding"])
        ckpt = replace(ckpt, meta={**ckpt.meta, "path": str(path)})
    return ckpt


def config_from_record(config: NeuralConfig, record: dict) -> NeuralConfig:
    """`config` with the architecture a checkpoint was trained with (its decoding kept)."""
    sizes = record.get("sizes", {})
    changes = {k: sizes[k] for k in ("variant", "embed", "hidden") if k in sizes}
    if "max_len" in record:
        changes["max_len"] = record["max_len"]
    return replace(config, **changes)

