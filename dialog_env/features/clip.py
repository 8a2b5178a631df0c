"""CLIP image and text features through `transformers`, from a local model directory.

    enc = CLIPEncoder("models/clip-vit-base-patch32")      # never downloads
    img = enc.encode_images(catalog.images(idx))          # (n, D) L2-normalised
    txt = enc.encode_texts(["is darker", "has sleeves"])  # (n, D) L2-normalised
    patches = enc.image_tokens(images)                     # (n, 1 + P, H) for attention fusion
    tokens, mask = enc.text_tokens(texts)                  # (n, L, H), (n, L)
    feats = extract_features(catalog, CLIPFeatures("models/clip-vit-base-patch32"))

The model and tokenizer are loaded with `local_files_only=True` (a directory written by
`save_pretrained`, e.g. a Hugging Face snapshot copied by the user); a missing directory is
a clear error. Images are preprocessed with Pillow and CLIP's mean and standard deviation
(resize to the model's image size, bicubic; no torchvision). transformers 5.x returns
output objects from `get_image_features` / `get_text_features`; both kinds are handled.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from dialog_env.catalog.catalog import Catalog

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def _tensor(out):
    """The feature tensor of a `get_*_features` result (a tensor, or an output object)."""
    if hasattr(out, "shape"):
        return out
    for name in ("pooler_output", "image_embeds", "text_embeds"):
        value = getattr(out, name, None)
        if value is not None:
            return value
    raise TypeError(f"unexpected CLIP feature output {type(out).__name__}")


def read_config(path: Path) -> dict:
    """The `config.json` of a local CLIP model directory (a clear error when missing)."""
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"CLIP model directory {path} has no config.json: give a "
                                f"directory written by save_pretrained (nothing is "
                                f"downloaded)")
    return json.loads((path / "config.json").read_text())


def config_digest(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def weights_digest(path: Path) -> str:
    """sha256 over the model directory's weight files (`*.safetensors`, `*.bin`), so two
    checkpoints with the same config (a fine-tuned copy) never share cached features;
    remembered per process by file size and modification time."""
    files = sorted(f for pattern in ("*.safetensors", "*.bin") for f in path.glob(pattern))
    if not files:
        raise FileNotFoundError(f"CLIP model directory {path} has no weight file "
                                f"(*.safetensors or *.bin)")
    stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _weights_digest(str(path.resolve()), stamp)


@functools.lru_cache(maxsize=16)
def _weights_digest(path: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for name, _, _ in stamp:
        with open(Path(path) / name, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


class CLIPEncoder:
    """A CLIP model and tokenizer from `model_dir` (see the module docstring)."""

    def __init__(self, model_dir: str | Path, device: str = "cpu", batch: int = 64):
        path = Path(model_dir)
        config = read_config(path)
        import torch
        from transformers import AutoTokenizer, CLIPModel

        self.torch = torch
        self.path, self.device, self.batch = path, torch.device(device), batch
        self.model = CLIPModel.from_pretrained(path, local_files_only=True).to(self.device)
        self.model.eval()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.image_size = int(self.model.config.vision_config.image_size)
        self.dim = int(self.model.config.projection_dim)
        self.digest = hashlib.sha256((config_digest(config) + weights_digest(self.path))
                                     .encode()).hexdigest()

    def pixels(self, images: np.ndarray):
        """`(n, H, W, 3)` uint8 -> `(n, 3, S, S)` float tensor, CLIP-normalised."""
        from PIL import Image

        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 (n, H, W, 3), got {images.dtype} "
                             f"{images.shape}")
        s = self.image_size
        x = np.stack([np.asarray(Image.fromarray(im).resize((s, s), Image.BICUBIC))
                      for im in images]).astype(np.float32) / 255.0
        x = (x - CLIP_MEAN) / CLIP_STD
        return self.torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).to(self.device)

    def _batches(self, n: int):
        return (slice(lo, min(n, lo + self.batch)) for lo in range(0, n, self.batch))

    def encode_images(self, images: np.ndarray) -> np.ndarray:
        out = []
        with self.torch.no_grad():
            for b in self._batches(len(images)):
                f = _tensor(self.model.get_image_features(pixel_values=self.pixels(images[b])))
                out.append(self.torch.nn.functional.normalize(f, dim=-1).cpu().numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim),
                                                                            np.float32)

    def encode_texts(self, texts) -> np.ndarray:
        texts = list(texts)
        out = []
        with self.torch.no_grad():
            for b in self._batches(len(texts)):
                enc = self.tokenizer(texts[b], padding=True, truncation=True,
                                     return_tensors="pt").to(self.device)
                f = _tensor(self.model.get_text_features(**enc))
                out.append(self.torch.nn.functional.normalize(f, dim=-1).cpu().numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim),
                                                                            np.float32)

    def image_tokens(self, images: np.ndarray) -> np.ndarray:
        """`(n, 1 + patches, hidden)`: the vision transformer's last hidden states."""
        with self.torch.no_grad():
            h = self.model.vision_model(pixel_values=self.pixels(images)).last_hidden_state
        return h.cpu().numpy().astype(np.float32)

    def text_tokens(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """`(n, L, hidden)` last hidden states of the text transformer and the `(n, L)`
        attention mask."""
        enc = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        enc = enc.to(self.device)
        with self.torch.no_grad():
            h = self.model.text_model(**enc).last_hidden_state
        return h.cpu().numpy().astype(np.float32), enc["attention_mask"].cpu().numpy()


class CLIPFeatures:
    """A `FeatureExtractor`: CLIP image embeddings of catalog items (cached on disk by
    `extract_features` under a key naming the model directory, its config and its
    weights). The model is loaded only when features are computed: a cached key costs a
    read of `config.json` and of the weight files (once per process)."""

    name = "clip"

    def __init__(self, model_dir: str | Path, device: str = "cpu", batch: int = 64):
        self.path, self.device, self.batch = Path(model_dir), device, batch
        config = read_config(self.path)
        self.digest = hashlib.sha256((config_digest(config) + weights_digest(self.path))
                                     .encode()).hexdigest()
        self._dim = int(config.get("projection_dim", 512))  # CLIPConfig's default
        self._encoder: CLIPEncoder | None = None

    @property
    def encoder(self) -> CLIPEncoder:
        if self._encoder is None:
            self._encoder = CLIPEncoder(self.path, self.device, self.batch)
        return self._encoder

    @property
    def dim(self) -> int:
        return self._dim

    def key(self) -> str:
        return f"clip-{self.path.name}-{self.digest[:12]}"

    def fit(self, catalog: Catalog) -> None:
        """Nothing to learn: CLIP is pretrained."""

    def transform(self, catalog: Catalog, indices: np.ndarray) -> np.ndarray:
        return self.encoder.encode_images(catalog.images(indices))
