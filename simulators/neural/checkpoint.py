"""Captioner checkpoints: `<name>.safetensors` (the weights) + `<name>.json` (everything
else), one format for training and for use; never unpickled.

The JSON records the architecture (`sizes`: variant, number of word ids, feature dims,
embedding and LSTM sizes), `max_len`, the vocabulary's word list (token id = position),
where the captioner was trained (`source`: data source, catalog name and content hash,
features such as `attrnet-<AttrNet key>`), the training run and the decoding it was
configured with, and the SHA-256 of the weights file. `load_checkpoint` raises a
`CheckpointError` naming the file and what is wrong: a missing or unreadable file, a
truncated or half-written one (the weights do not match the recorded SHA-256), a
configuration whose sizes do not match the weights, a word list of the wrong size, or
feature dims other than the world's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dialog_env.cache import atomic_write, atomic_write_json, cache_root, file_sha256
from dialog_env.catalog.catalog import Catalog
from simulators.vocab import PAD, Vocabulary

FORMAT = "fashion-dialog-captioner/1"
SIZE_KEYS = ("variant", "n_words", "visual_dim", "attr_dim", "embed", "hidden")


class CheckpointError(ValueError):
    """A captioner checkpoint that cannot be used (the message names the file)."""


class WordList(Vocabulary):
    """A `Vocabulary` whose token ids are the positions in a saved word list (as the
    captioner was trained), whatever order the list is in; `words[0]` is `<pad>`."""

    def __init__(self, words: Sequence[str]):  # no sorting, unlike the parent
        self.words = tuple(words)
        self._ids = {w: i for i, w in enumerate(self.words)}


@dataclass
class Checkpoint:
    """A loaded captioner, its vocabulary and its JSON record."""

    model: object  # simulators.neural.model.Captioner
    vocab: WordList
    max_len: int
    meta: dict = field(default_factory=dict)


def paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, config) of checkpoint `path` (either file's name, or the common stem)."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return Path(f"{stem}.safetensors"), Path(f"{stem}.json")


def save_checkpoint(path: str | Path, model, vocab, max_len: int, source: dict,
                    training: dict | None = None, decoding: dict | None = None) -> Path:
    """Write `model` (a `Captioner`) and its record atomically; returns the weights path.
    The weights go first and the JSON (with their SHA-256) last, so an interrupted save
    leaves a checkpoint that fails to load rather than a mismatched one."""
    from safetensors.torch import save_file

    weights, config = paths(path)
    words = list(vocab.words)
    if len(words) != model.n_words:
        raise ValueError(f"{weights}: vocabulary of {len(words)} words for a captioner of "
                         f"{model.n_words} word ids")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(weights, lambda p: save_file(state, str(p), metadata={"format": FORMAT}))
    atomic_write_json(config, {
        "format": FORMAT, "sizes": model.sizes(), "max_len": int(max_len), "words": words,
        "source": source, "training": training or {}, "decoding": decoding or {},
        "weights": {"file": weights.name, "sha256": file_sha256(weights),
                    "bytes": weights.stat().st_size}})
    return weights


def read_record(path: str | Path) -> dict:
    """The JSON record of checkpoint `path`, checked for the fields a load needs."""
    weights, config = paths(path)
    for f in (weights, config):
        if not f.exists():
            raise CheckpointError(f"captioner checkpoint {f} does not exist (a checkpoint is "
                                  f"{weights.name} + {config.name})")
    try:
        record = json.loads(config.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{config}: not valid JSON ({e}); truncated or half-written? "
                              f"Delete it to retrain") from e
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{config}: not a captioner checkpoint record (format "
                              f"{record.get('format') if isinstance(record, dict) else None!r}"
                              f", expected {FORMAT!r})")
    missing = [k for k in ("sizes", "max_len", "words", "weights") if k not in record]
    missing += [f"sizes.{k}" for k in SIZE_KEYS if k not in record.get("sizes", {})]
    if missing:
        raise CheckpointError(f"{config}: record lacks {missing}")
    words, n_words = record["words"], record["sizes"]["n_words"]
    if not words or words[0] != "<pad>":
        raise CheckpointError(f"{config}: the word list must start with '<pad>' (id {PAD}, "
                              f"END), got {words[:1]}")
    if len(words) != n_words:
        raise CheckpointError(f"{config}: vocabulary size mismatch: {len(words)} words in "
                              f"the list, sizes.n_words = {n_words}")
    return record


def load_checkpoint(path: str | Path, visual_dim: int | None = None,
                    attr_dim: int | None = None, vocab_size: int | None = None,
                    device: str = "cpu") -> Checkpoint:
    """The captioner of checkpoint `path` in eval mode, checked against the world's feature
    dims and an expected vocabulary size when given (`CheckpointError` otherwise)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from simulators.neural.model import Captioner

    weights, config = paths(path)
    record = read_record(path)
    sizes = record["sizes"]
    if vocab_size is not None and sizes["n_words"] != vocab_size:
        raise CheckpointError(f"{config}: vocabulary size mismatch: the captioner speaks "
                              f"{sizes['n_words']} word ids, the vocabulary has {vocab_size}")
    for name, want in (("visual_dim", visual_dim), ("attr_dim", attr_dim)):
        if want is not None and sizes[name] != want:
            raise CheckpointError(f"{config}: trained on features with {name} = "
                                  f"{sizes[name]}, the world's features have {want}")
    rec = record["weights"]
    if weights.stat().st_size != rec.get("bytes") or file_sha256(weights) != rec.get("sha256"):
        raise CheckpointError(f"{weights}: {weights.stat().st_size} bytes that do not match "
                              f"the SHA-256 / size recorded in {config.name} (truncated, "
                              f"half-written or replaced)")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights}: not a readable safetensors file ({e})") from e
    try:
        model = Captioner(sizes["variant"], sizes["n_words"], sizes["visual_dim"],
                          sizes["attr_dim"], sizes["embed"], sizes["hidden"])
    except (ValueError, TypeError, RuntimeError) as e:
        raise CheckpointError(f"{config}: bad sizes {sizes} ({e})") from e
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected.keys() != got.keys():
        raise CheckpointError(f"{weights}: tensors {sorted(got.keys() - expected.keys())} "
                              f"unexpected and {sorted(expected.keys() - got.keys())} "
                              f"missing for a {sizes['variant']!r} captioner ({config.name})")
    bad = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    if bad:
        k, (g, e) = next(iter(bad.items()))
        raise CheckpointError(f"{config}: sizes {sizes} do not match the weights in "
                              f"{weights.name}: {k} has shape {g}, the sizes make {e} "
                              f"({len(bad)} tensors differ)")
    model.load_state_dict(state)
    return Checkpoint(model.to(device).eval(), WordList(record["words"]),
                      int(record["max_len"]), record)


def cache_path(catalog: Catalog, key: str) -> Path:
    """Where the first-use captioner of `catalog` for settings `key` is cached: next to
    the catalog (like AttrNet's weights), else under the cache root by content hash."""
    folder = catalog.meta.get("cache_dir")
    if folder:
        return Path(folder) / f"captioner-{key}.safetensors"
    digest = str(catalog.meta.get("content_hash", "nohash"))[:16]
    return cache_root() / "captioners" / f"{catalog.name}-{digest}" / f"captioner-{key}.safetensors"
