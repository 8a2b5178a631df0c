"""The datasets of the static multi-turn protocol (`experiments.evaluate_static`): a catalog,
frozen image features of its items, train and evaluation dialogs, and a text encoder.

    embedded             the embedded catalog's world; image features = its item space
                         `[visual ; attributes]` (or visual only), texts = MiniLM sentence
                         embeddings, dialogs recorded with the world's shopper
                         (`dialog_env.recorded.record_dialogs`); train on train, evaluate
                         on `eval_split` (test)
    multiturn-fashioniq  Multi-turn FashionIQ transactions (Yuan & Lam) over the Fashion IQ
                         images; CLIP image / text features; train on train, evaluate on val
    multiturn-shoes      Shoes pairs chained into 2-, 3- and 4-turn transactions (our
                         construction, as FashionNTM describes); CLIP; train / eval
    fashioniq, shoes     the single-turn pairs as 1-turn dialogs; CLIP

Real datasets are read with `dialog_env.catalog.datasets.load_dataset`; their image
features come from the feature cache that `experiments.extract_features` writes (computed
here on a miss) and their texts are encoded with the same local CLIP model (`--model`).
RAF reads per-token text states (MiniLM's or CLIP's text transformer's); no image patch
tokens are kept (a table of them would take ~150 KB per image), so its image side is the
pooled feature only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dialog_env.catalog.catalog import Catalog
from dialog_env.recorded import RecordedDialogs

DATASETS = ("embedded", "multiturn-fashioniq", "multiturn-shoes", "fashioniq", "shoes")
# The split of the catalog whose images make the gallery, per evaluation split name.


@dataclass
class TextEncoder:
    """Frozen text features `encode(strings) -> (n, dim)` and, for RAF, per-token states
    `tokens(strings) -> ((n, L, token_dim), (n, L) mask)` (L may vary per call)."""

    name: str
    dim: int
    token_dim: int
    encode: Callable[[Sequence[str]], np.ndarray]
    tokens: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]


@dataclass
class StaticData:
    dataset: str
    catalog: Catalog
    images: np.ndarray  # (N, Dv) float32, frozen image features of every item
    image_name: str
    train: RecordedDialogs
    eval: RecordedDialogs
    text: TextEncoder
    aligned: bool  # image and text features share one space (CLIP)
    notes: dict = field(default_factory=dict)

    @property
    def gallery_split(self) -> str:
        """The catalog split of the evaluation dialogs (`from_dialogs` maps a dataset's
        split names to it: Shoes' eval is test)."""
        return self.eval.split


def token_table(tokens: Callable, strings: Sequence[str], max_length: int, width: int,
                chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Token states of `strings` in one `(n, max_length, width)` float16 table + mask."""
    states = np.zeros((len(strings), max_length, width), dtype=np.float16)
    mask = np.zeros((len(strings), max_length), dtype=bool)
    for lo in range(0, len(strings), chunk):
        h, m = tokens(list(strings[lo:lo + chunk]))
        n, length = m.shape[0], min(m.shape[1], max_length)
        states[lo:lo + n, :length] = h[:, :length]
        mask[lo:lo + n, :length] = m[:, :length].astype(bool)
    return states, mask


def minilm() -> TextEncoder:
    from dialog_env.features.sentence import EMBEDDING_DIM, sentence_encoder

    enc = sentence_encoder()
    return TextEncoder("all-MiniLM-L6-v2 (frozen, mean-pooled)", EMBEDDING_DIM,
                       EMBEDDING_DIM, enc.encode, enc.token_states)


def load_embedded(env, n_train: int, n_eval: int, eval_split: str, seed: int,
                  image_features: str = "space", progress: bool = True) -> StaticData:
    from dialog_env.factory import make_world
    from dialog_env.recorded import record_dialogs

    if image_features not in ("space", "visual"):
        raise ValueError(f"image features must be 'space' or 'visual', got {image_features!r}")
    world = make_world(env, progress=progress)
    space = world.space
    images = space.matrix if image_features == "space" else space.visual
    name = (f"[visual ; {space.attribute_weight:g} x attributes] ({space.perception})"
            if image_features == "space" else f"visual ({space.perception})")
    train = record_dialogs(world, n_train, split="train", seed=seed)
    evals = record_dialogs(world, n_eval, split=eval_split, seed=seed + 1)
    return StaticData("embedded", world.catalog, np.ascontiguousarray(images, np.float32),
                      name, train, evals, minilm(), aligned=False,
                      notes={"world": world.describe(), "missing_images": 0})


def load_real(dataset: str, root: Path, model: Path, image_size: int = 224,
              device: str = "cpu", join: str = "and", progress: bool = True) -> StaticData:
    """A public dataset on disk (`dialog_env.catalog.datasets.load_dataset`) with CLIP
    image features from the feature cache (computed on a miss) and CLIP text features."""
    from dialog_env.features import extract_features
    from dialog_env.features.clip import CLIPFeatures
    from dialog_env.recorded import from_dialogs
    from experiments.extract_features import load_catalog

    catalog, records = load_catalog(dataset, root, image_size)
    shoes = dataset in ("shoes", "multiturn-shoes")
    train_split, eval_split = ("train", "eval") if shoes else ("train", "val")
    extractor = CLIPFeatures(model, device)
    images = extract_features(catalog, extractor, progress=progress)
    enc = extractor.encoder
    hidden = int(enc.model.config.text_config.hidden_size)
    text = TextEncoder(f"CLIP {model.name} (frozen)", enc.dim, hidden, enc.encode_texts,
                       enc.text_tokens)
    return StaticData(dataset, catalog, images, f"CLIP {model.name} image embedding",
                      from_dialogs(records, train_split, join, f"{dataset} {train_split}"),
                      from_dialogs(records, eval_split, join, f"{dataset} {eval_split}"),
                      text, aligned=True,
                      notes={"missing_images": int(catalog.meta.get("missing_images", 0)),
                             "construction": "Multi-turn Shoes: our construction (chained "
                             "Shoes pairs, 2-4 turns)" if dataset == "multiturn-shoes"
                             else ""})


def gallery_items(data: StaticData, gallery: str) -> tuple[np.ndarray, int]:
    """The gallery's item ids and how many of them were added because an evaluation
    dialog shows or targets them although they are not in the gallery split."""
    if gallery == "all":
        return np.arange(len(data.catalog), dtype=np.int64), 0
    if gallery != "split":
        raise ValueError(f"gallery must be 'split' or 'all', got {gallery!r}")
    own = data.catalog.indices(data.gallery_split)
    used = np.union1d(data.eval.references.ravel(), data.eval.targets)
    items = np.union1d(own, used).astype(np.int64)
    return items, len(items) - len(own)


def describe(data: StaticData, gallery: np.ndarray, added: int) -> dict:
    """What the script found, printed before it works and recorded with the results."""
    return {"dataset": data.dataset, "catalog": data.catalog.name, "items": len(data.catalog),
            "image_features": data.image_name, "image_dim": int(data.images.shape[1]),
            "text_features": data.text.name, "text_dim": data.text.dim,
            "dialogs": {data.train.split: len(data.train), data.eval.split: len(data.eval)},
            "turns": {data.train.split: data.train.counts(), data.eval.split: data.eval.counts()},
            "gallery": {"items": len(gallery), "added_from_dialogs": added,
                        "catalog_split": data.gallery_split},
            "categories": list(data.catalog.categories),
            "missing_images": data.notes.get("missing_images", 0),
            "construction": data.notes.get("construction", "")}


def variant(spec: dict) -> tuple[bool, int]:
    """Which turn texts a run reads: (concatenated captions?, window of the concatenation)."""
    return (True, spec["window"]) if spec["aggregator"] == "st+cat" else (False, 0)


def encode_dialogs(data: StaticData, runs: Sequence[dict], quiet: bool = False,
                   max_tokens: int = 48):
    """The frozen text features of every string the runs read (each distinct string
    encoded once) and the dialogs as `agents.static.DialogIndex` per (variant, split)."""
    from agents.static import DialogIndex, FeatureTables, turn_texts

    position: dict[str, int] = {}
    rows: dict[tuple, list[list[str]]] = {}
    for concat, window in dict.fromkeys(variant(r) for r in runs):
        for rec in (data.train, data.eval):
            texts = turn_texts(rec.texts, rec.max_turns, concat, window)
            rows[(concat, window, rec.split)] = texts
            for row in texts:
                for t in row:
                    position.setdefault(t, len(position))
    strings = list(position)
    if not quiet:
        print(f"encoding {len(strings)} distinct texts with {data.text.name}")
    tables = FeatureTables(data.images, np.ascontiguousarray(data.text.encode(strings),
                                                             np.float32))
    if tables.texts.shape != (len(strings), data.text.dim):
        raise ValueError(f"text encoder gave {tables.texts.shape}, expected "
                         f"({len(strings)}, {data.text.dim})")
    if any(r["composer"] == "raf" for r in runs):
        tables.tokens, tables.token_mask = token_table(data.text.tokens, strings, max_tokens,
                                                       data.text.token_dim)
    index = {}
    for (concat, window, split), texts in rows.items():
        rec = data.train if split == data.train.split else data.eval
        ids = np.array([[position[t] for t in row] for row in texts], np.int64)
        index[(concat, window, split)] = DialogIndex(rec.references, ids, rec.turns,
                                                     rec.targets)
    return tables, index
