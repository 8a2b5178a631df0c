"""`NeuralConfig`: the neural relative captioner's architecture, training and decoding
settings (no torch import here: `simulators.config` imports it with the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dialog_env.checks import as_int, as_real, one_of
from dialog_env.features.attrnet import AttrNetConfig

# Fashion IQ's three user-simulator variants (Figure 9).
VARIANTS = ("image", "attribute", "attention")
VARIANT_LABELS = {"image": "#1 image-only", "attribute": "#2 attribute-aware",
                  "attention": "#3 attribute-aware attention"}
DECODINGS = ("greedy", "beam", "sample")


@dataclass(frozen=True)
class NeuralConfig:
    """The neural shopper: which captioner, how it is trained on first use, how it speaks."""

    variant: str = "attention"
    """image (#1: show-and-tell on the difference of the image features), attribute (#2:
    attribute features projected and concatenated before the difference) or attention (#3:
    the decoder attends over the image and attribute features of both items)."""
    embed: int = 512
    """Word embedding size (Fashion IQ: 512)."""
    hidden: int = 512
    """Decoder LSTM size (Fashion IQ: 512)."""
    steps: int = 300
    """Adam steps of first-use training (about 3 min on a shared 2-core CPU at the
    defaults; see `simulators.neural.shopper`)."""
    batch: int = 64
    """Caption pairs per training step."""
    lr: float = 1e-3
    """Adam learning rate."""
    pairs: int = 20_000
    """Training pairs drawn from the caption data source (train split)."""
    max_len: int = 16
    """Most words per caption (training captions are cut there; it is also the shopper's
    token width)."""
    decoding: str = "greedy"
    """greedy, beam (highest total log-probability in the beam) or sample (with
    `temperature`, a generator seeded per dialog turn)."""
    beam_size: int = 3
    """Beams kept by beam search."""
    temperature: float = 1.0
    """Sampling temperature (> 0; towards 0 sampling becomes greedy)."""
    seed: int = 0
    """Seeds the parameter initialisation, the batch order and the training pairs."""
    checkpoint: str | None = None
    """A trained captioner (`<name>.safetensors` + `<name>.json`; a path, stored as a
    string); None: train on first use on the catalog's train split and cache it next to
    the catalog."""
    attrnet: AttrNetConfig = field(default_factory=AttrNetConfig)
    """The AttrNet whose features (image embedding x, attributes phi(x)) the captioner
    reads: the world's default perception."""

    def __post_init__(self) -> None:
        put = object.__setattr__
        one_of(self.variant, "neural.variant", VARIANTS)
        for name in ("embed", "hidden", "steps", "batch", "pairs", "max_len", "beam_size"):
            put(self, name, as_int(getattr(self, name), f"neural.{name}", lo=1))
        put(self, "seed", as_int(self.seed, "neural.seed", lo=0))
        put(self, "lr", as_real(self.lr, "neural.lr", lo=0.0))
        if self.lr == 0:
            raise ValueError("neural.lr must be > 0, got 0")
        one_of(self.decoding, "neural.decoding", DECODINGS)
        put(self, "temperature", as_real(self.temperature, "neural.temperature", lo=0.0))
        if self.temperature == 0:
            raise ValueError("neural.temperature must be > 0, got 0 (use decoding='greedy')")
        if self.checkpoint is not None:
            if not isinstance(self.checkpoint, (str, Path)):
                raise TypeError(f"neural.checkpoint must be a path or None, got "
                                f"{type(self.checkpoint).__name__} {self.checkpoint!r}")
            put(self, "checkpoint", str(self.checkpoint))
        if not isinstance(self.attrnet, AttrNetConfig):
            raise TypeError(f"neural.attrnet must be an AttrNetConfig, got "
                            f"{type(self.attrnet).__name__} {self.attrnet!r}")

    def key(self) -> str:
        """What the trained weights depend on (decoding settings excluded)."""
        return (f"{self.variant}-e{self.embed}-h{self.hidden}-s{self.steps}-b{self.batch}"
                f"-lr{self.lr:g}-p{self.pairs}-l{self.max_len}-seed{self.seed}")
