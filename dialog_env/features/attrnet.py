"""`attrnet`: a learned attribute network (Fashion IQ appendix A) as a feature extractor.

AttrNet maps an item image to an image embedding `x` (CNN backbone, then a linear
projection + ReLU) and per-type attribute probabilities `phi(x)` (one column of two linear
layers per attribute type, hidden = 2 x the type's number of values, sigmoid outputs). It
is trained with binary cross-entropy and Adam on the catalog's TRAIN items only (val and
test images are never read). Pretrained backbones cannot be downloaded here, so the default
backbone is a small CNN trained from scratch; pass your own `backbone` module (any module
mapping `(B, 3, H, W)` to `(B, C)` with `backbone_dim = C`) to use another.

`AttrNetFeatures` is the extractor: its features are `[x ; phi(x)]`, `(N, dim + V)` float32,
with `phi` in vocabulary order (`split_features` gives the two halves back). The trained
weights are cached next to the catalog as `attrnet-<config key>.safetensors` (plus a JSON
config and a checksum sidecar recording the catalog's name and content hash), and
`extract_features` caches the features as `features-attrnet-<config key>.npy`; a changed
catalog invalidates both (a warning, then retraining / recomputing).

torch is optional for the environment package: it is imported only inside the functions
here, so `import dialog_env` never imports it.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from dialog_env.cache import (
    CacheMismatch,
    atomic_write,
    atomic_write_json,
    cache_lock,
    verify,
    write_checksum,
)
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.render import MAX_IMAGE_SIZE
from dialog_env.checks import as_int, as_real
from dialog_env.seeding import seeded_init

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class AttrNetConfig:
    dim: int = 128
    """Image embedding size (the paper uses 1024 over a pretrained CNN)."""
    channels: tuple[int, ...] = (32, 64, 128)
    """Output channels of the backbone's conv blocks (conv 3x3, ReLU, max-pool 2)."""
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    """Adam learning rate (the paper's 1e-3)."""
    seed: int = 0
    """Seeds parameter initialisation and the batch order."""
    image_size: int = 64
    """Images are resized to this side before the network (adaptive pooling accepts any)."""

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "dim", as_int(self.dim, "attrnet.dim", lo=1))
        if isinstance(self.channels, (str, bytes)) or not hasattr(self.channels, "__len__") \
                or len(self.channels) == 0:
            raise ValueError(f"attrnet.channels must be a non-empty list of channel counts, "
                             f"got {self.channels!r}")
        put(self, "channels", tuple(as_int(c, "attrnet.channels", lo=1) for c in self.channels))
        put(self, "epochs", as_int(self.epochs, "attrnet.epochs", lo=1))
        put(self, "batch_size", as_int(self.batch_size, "attrnet.batch_size", lo=1))
        put(self, "lr", as_real(self.lr, "attrnet.lr", lo=0.0))
        if self.lr == 0:
            raise ValueError("attrnet.lr must be > 0, got 0")
        put(self, "seed", as_int(self.seed, "attrnet.seed", lo=0))
        put(self, "image_size", as_int(self.image_size, "attrnet.image_size", 8, MAX_IMAGE_SIZE))

    def key(self) -> str:
        ch = ".".join(str(c) for c in self.channels)
        return (f"d{self.dim}-c{ch}-e{self.epochs}-b{self.batch_size}-lr{self.lr:g}"
                f"-s{self.seed}-i{self.image_size}")


def _conv_backbone(channels: tuple[int, ...]):
    from torch import nn

    layers: list[nn.Module] = []
    c_in = 3
    for c in channels:
        layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                   nn.MaxPool2d(2)]
        c_in = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def _module_class():
    """AttrNet's nn.Module class, defined on first use so torch is imported lazily."""
    global _ATTRNET_CLS
    if _ATTRNET_CLS is not None:
        return _ATTRNET_CLS
    import torch
    from torch import nn

    class AttrNet(nn.Module):
        def __init__(self, config: AttrNetConfig, type_columns: dict[str, np.ndarray],
                     backbone: nn.Module | None = None, backbone_dim: int | None = None):
            super().__init__()
            self.config = config
            self.backbone = backbone if backbone is not None else _conv_backbone(config.channels)
            feat = backbone_dim if backbone is not None else config.channels[-1]
            if feat is None:
                raise ValueError("AttrNet: a custom backbone needs backbone_dim")
            self.project = nn.Sequential(nn.Linear(feat, config.dim), nn.ReLU())
            self.types = tuple(type_columns)
            self.heads = nn.ModuleDict({
                t: nn.Sequential(nn.Linear(config.dim, 2 * len(c)), nn.ReLU(),
                                 nn.Linear(2 * len(c), len(c)))
                for t, c in type_columns.items()})
            self.vocab_size = int(sum(len(c) for c in type_columns.values()))
            for t, c in type_columns.items():
                self.register_buffer(f"cols_{t}", torch.as_tensor(c, dtype=torch.long),
                                     persistent=False)

        def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """`images` (B, 3, H, W) float in [0, 1] -> `x` (B, dim), logits (B, V)."""
            h = self.backbone(images)  # (B, C)
            x = self.project(h)  # (B, dim)
            logits = x.new_empty(x.shape[0], self.vocab_size)  # (B, V)
            for t in self.types:
                logits[:, getattr(self, f"cols_{t}")] = self.heads[t](x)  # (B, V_t)
            return x, logits

    _ATTRNET_CLS = AttrNet
    return AttrNet


_ATTRNET_CLS = None


def type_columns(catalog: Catalog) -> dict[str, np.ndarray]:
    """Vocabulary columns of each attribute type, in first-seen order."""
    return {t: catalog.vocab.indices_of_type(t) for t in dict.fromkeys(catalog.vocab.types)}


def build_attrnet(config: AttrNetConfig, catalog: Catalog, backbone: Any = None,
                  backbone_dim: int | None = None):
    """An untrained AttrNet for `catalog`'s vocabulary, initialised from `config.seed`
    under `torch.random.fork_rng` (no global random state is read or changed)."""
    with seeded_init(config.seed):
        return _module_class()(config, type_columns(catalog), backbone, backbone_dim)


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _to_tensor(images: np.ndarray, size: int, device) -> torch.Tensor:
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)  # (B, H, W, 3) uint8
    x = x.permute(0, 3, 1, 2).float().div_(255.0)  # (B, 3, H, W)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=True)
    return x


def train_attrnet(catalog: Catalog, config: AttrNetConfig, progress: bool = True,
                  backbone: Any = None, backbone_dim: int | None = None):
    """Train AttrNet on `catalog`'s train items (BCE, Adam); returns the module in eval mode
    on the CPU. Only train images are read."""
    import torch

    train = catalog.indices("train")
    if len(train) == 0:
        raise ValueError(f"attrnet: catalog {catalog.name!r} has no train items")
    device = _device()
    model = build_attrnet(config, catalog, backbone, backbone_dim).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    labels = torch.from_numpy(catalog.attributes.astype(np.float32))  # (N, V)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n_batches = -(-len(train) // config.batch_size)
    bar = tqdm(total=config.epochs * n_batches, desc="attrnet", unit="batch",
               disable=not progress)
    model.train()
    for _ in range(config.epochs):
        order = train[torch.randperm(len(train), generator=gen).numpy()]
        for lo in range(0, len(order), config.batch_size):
            idx = np.sort(order[lo:lo + config.batch_size])
            images = _to_tensor(catalog.images(idx), config.image_size, device)  # (B, 3, S, S)
            _, logits = model(images)  # (B, V)
            loss = loss_fn(logits, labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    return model.cpu().eval()


def _source(catalog: Catalog, config: AttrNetConfig) -> dict:
    return {"catalog": catalog.name, "content_hash": catalog.meta.get("content_hash"),
            "attrnet": config.key()}


def weights_path(catalog: Catalog, config: AttrNetConfig) -> Path | None:
    folder = catalog.meta.get("cache_dir")
    return Path(folder) / f"attrnet-{config.key()}.safetensors" if folder else None


def load_or_train_attrnet(catalog: Catalog, config: AttrNetConfig, cache: bool = True,
                          progress: bool = True):
    """AttrNet for `catalog`: the cached weights when they verify against this catalog's
    content hash and `config`; else the weights shipped with the package for exactly this
    catalog and config (`dialog_env.features.shipped`: the default world's); else trained
    (with a warning when a stale cache existed) and saved as safetensors + JSON config +
    checksum. Training takes the cache lock: a second process waits and loads the weights."""
    from safetensors.torch import load_file, save_file

    from dialog_env.features import shipped

    path = weights_path(catalog, config) if cache else None
    if path is None:
        return train_attrnet(catalog, config, progress=progress)
    source = _source(catalog, config)

    def cached(quiet: bool):
        """The cached weights when they verify, else None (warning unless `quiet`: the look
        without the lock, while another process may be writing them)."""
        if not path.exists():
            return None
        try:
            verify(path, derived_from=source)
        except CacheMismatch as e:
            if not quiet:
                warnings.warn(f"{e}; installing the shipped weights or training AttrNet again",
                              stacklevel=4)
            return None
        model = build_attrnet(config, catalog)
        model.load_state_dict(load_file(str(path)))
        return model.eval()

    model = cached(quiet=True)
    if model is not None:
        return model
    with cache_lock(path, what=f"AttrNet {config.key()} of {catalog.name}"):
        model = cached(quiet=False)
        if model is None and shipped.install(catalog, path, shipped_weights_key(config)):
            shipped.install(catalog, path.with_suffix(".json"),
                            shipped_weights_key(config) + ".json")
            model = cached(quiet=False)
        if model is None:
            model = train_attrnet(catalog, config, progress=progress)
            state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
            atomic_write(path, lambda p: save_file(state, str(p), metadata={"key": config.key()}))
            atomic_write_json(path.with_suffix(".json"), {**asdict(config), **source})
            write_checksum(path, derived_from=source)
    return model


def shipped_weights_key(config: AttrNetConfig) -> str:
    """The key of AttrNet weights of `config` among the shipped artifacts."""
    return f"attrnet-weights-{config.key()}"


def split_features(features: np.ndarray, config: AttrNetConfig) -> tuple[np.ndarray, np.ndarray]:
    """`[x ; phi]` features -> (`x` (N, dim), `phi` (N, V))."""
    return features[:, :config.dim], features[:, config.dim:]


class AttrNetFeatures:
    """`FeatureExtractor` whose features are `[x ; phi(x)]` (image embedding, then the
    attribute probabilities in vocabulary order), `(n, config.dim + vocab_size)` float32."""

    name = "attrnet"

    def __init__(self, vocab_size: int, config: AttrNetConfig | None = None,
                 cache: bool = True, progress: bool = True):
        self.config = config or AttrNetConfig()
        self.vocab_size, self.cache, self.progress = vocab_size, cache, progress
        self.model = None

    @property
    def dim(self) -> int:
        return self.config.dim + self.vocab_size

    def key(self) -> str:
        return f"attrnet-{self.config.key()}-v{self.vocab_size}"

    def fit(self, catalog: Catalog) -> None:
        if len(catalog.vocab) != self.vocab_size:
            raise ValueError(f"attrnet: extractor built for {self.vocab_size} values, catalog "
                             f"{catalog.name!r} has {len(catalog.vocab)}")
        self.model = load_or_train_attrnet(catalog, self.config, cache=self.cache,
                                           progress=self.progress)

    def transform(self, catalog: Catalog, indices: np.ndarray) -> np.ndarray:
        import torch

        if self.model is None:
            raise RuntimeError("attrnet: call fit() before transform()")
        out = np.empty((len(indices), self.dim), dtype=np.float32)
        step = 256
        with torch.no_grad():
            for lo in range(0, len(indices), step):
                idx = np.asarray(indices[lo:lo + step])
                images = _to_tensor(catalog.images(idx), self.config.image_size, "cpu")
                x, logits = self.model(images)  # (B, dim), (B, V)
                out[lo:lo + len(idx)] = torch.cat([x, torch.sigmoid(logits)], 1).numpy()
        return out


def __getattr__(name: str):
    # `AttrNet` (the nn.Module class) is built on first access, so torch loads lazily.
    if name == "AttrNet":
        return _module_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
