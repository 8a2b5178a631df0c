"""The neural shopper: Fashion IQ's relative captioner behind the shopper contract.

`NeuralShopper(catalog, config)` reads the world's AttrNet features of every item (the
image embedding x as image features, phi(x) as attribute features; cached on disk after
the first build) and a trained captioner: `config.checkpoint`, or on first use one trained
on the catalog's train split and cached next to the catalog (see
`simulators.neural.train.load_or_train`). First-use training with the defaults
(variant attention, 512/512, 300 Adam steps of 64 of 20,000 real captions re-grounded onto
train pairs, a 4,518-word vocabulary) took 170 s in `gym.make("FashionDialog-v0",
shopper="neural")` on the 2-core CPU this project is developed on (one torch thread,
AttrNet features already cached, other jobs sharing the CPU: load average 2.8); later
makes load the cached captioner in about 0.2 s. Greedy decoding: about 80 captions/s one
at a time, 500/s in batches of 64 (same CPU).

Each `answer` is one batched decoding call for all its rows (greedy, beam or sampling, per
`config.decoding`; at least one word). Captions about the target itself are the caption
source's fixed words for it ("is identical"; the environment ends the dialog there).
Sampling draws the words of dialog `rows[k]` at turn t from a generator seeded with the
t-th of the seeds drawn from `rngs[k]` at `start`, so a dialog says the same whatever else
is in the batch. `feedback` builds the text from the
token ids and, with `simulators.grounding`, the mentions it makes (parsed from the text).
On a real catalog of dataset tags the captioner learns the template shopper's captions
about the tags (`simulators.caption_sources.caption_source`) and its captions carry no
mentions (the parser grounds the embedded schema only).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from dialog_env.catalog.catalog import Catalog
from dialog_env.features.attrnet import AttrNetFeatures
from dialog_env.item_space import ItemSpace
from simulators.base import DialogsBase, Feedback, Mention
from simulators.caption_sources import caption_source
from simulators.modes import caption_mode
from simulators.neural.config import NeuralConfig
from simulators.neural.train import config_from_record, load_or_train
from simulators.tags import follows_schema

FOUND = (Mention("target", "target", "target", "found"),)
SEED_HIGH = 2**63 - 1


def _parser():
    try:
        from simulators.grounding import parse
    except ImportError:  # no grounding parser: mentions stay empty
        return None
    return parse


def attrnet_space(space: ItemSpace | None, catalog: Catalog, config: NeuralConfig) -> bool:
    """Whether `space` holds the AttrNet features of `config.attrnet` for `catalog` (the
    world's default perception with the captioner's AttrNet: the features the neural
    shopper would build itself, from the same feature cache)."""
    if space is None or space.perception != "attrnet" or space.features_key is None:
        return False
    key = AttrNetFeatures(len(catalog.vocab), config.attrnet).key()
    return space.features_key == key and len(space.visual) == len(catalog)


class NeuralShopper:
    """A relative-captioner shopper of one catalog (see the module docstring).
    `features`: `(visual (N, Dv), attributes (N, V))` to use instead of the world's AttrNet
    features (tests, other perceptions), named `features_label` in checkpoints. `space`:
    the world's item space over `catalog`; when its features are AttrNet's of
    `config.attrnet` (`attrnet_space`), they are read from it instead of built again."""

    name = "neural"

    def __init__(self, catalog: Catalog, config: NeuralConfig | None = None,
                 features: tuple[np.ndarray, np.ndarray] | None = None,
                 features_label: str = "given", progress: bool = True,
                 device: str | torch.device = "cpu", space: ItemSpace | None = None):
        cfg = config or NeuralConfig()
        if features is None:
            if not attrnet_space(space, catalog, cfg):
                from dialog_env.item_space import build_item_space

                space = build_item_space(catalog, "attrnet", attrnet=cfg.attrnet,
                                         progress=progress)
            features = (space.visual, space.attributes)
            features_label = f"attrnet-{cfg.attrnet.key()}"
        visual, attributes = (np.asarray(f, dtype=np.float32) for f in features)
        if visual.ndim != 2 or attributes.ndim != 2 or \
                not len(visual) == len(attributes) == len(catalog):
            raise ValueError(f"neural shopper: features of shapes {visual.shape} and "
                             f"{attributes.shape} for a catalog of {len(catalog)} items")
        ckpt = load_or_train(catalog, cfg, visual, attributes, features_label,
                             progress=progress)
        self.config = config_from_record(cfg, ckpt.meta) if cfg.checkpoint else cfg
        self.checkpoint = ckpt.meta
        self.device = torch.device(device)
        self.model = ckpt.model.to(self.device).eval()
        self.vocab = ckpt.vocab
        self.width = ckpt.max_len
        self.visual = torch.as_tensor(visual, device=self.device)  # (N, Dv)
        self.attributes = torch.as_tensor(attributes, device=self.device)  # (N, V)
        self.category_names = [catalog.categories[c] for c in catalog.category.tolist()]
        self.found_tokens = self.vocab.encode(caption_source(catalog).found_text, self.width)
        # The grounding parser names the embedded schema's values: none on a tag catalog.
        self.parse = _parser() if follows_schema(catalog.vocab) else None
        self.n_items = len(catalog)

    def dialogs(self, batch_size: int, max_turns: int) -> NeuralDialogs:
        return NeuralDialogs(self, batch_size, max_turns)

    def speak(self, targets: np.ndarray, shown: np.ndarray,
              seeds: Sequence[int] | None = None) -> np.ndarray:
        """`(n, width)` int64 token ids of the captions about items `shown` for dialogs
        with `targets` (one batched decoding call); `seeds` (one per row) for sampling."""
        targets = np.asarray(targets, dtype=np.int64)
        shown = np.asarray(shown, dtype=np.int64)
        n = len(targets)
        if len(shown) != n:
            raise ValueError(f"neural shopper: {len(shown)} shown items for {n} targets")
        if n == 0:
            return np.zeros((0, self.width), dtype=np.int64)
        for name, idx in (("targets", targets), ("shown", shown)):
            if idx.min() < 0 or idx.max() >= self.n_items:
                raise ValueError(f"neural shopper: {name} outside 0..{self.n_items - 1}")
        c = self.config
        s = torch.as_tensor(shown, device=self.device)
        t = torch.as_tensor(targets, device=self.device)
        if c.decoding == "sample" and seeds is None:
            raise ValueError("neural shopper: sampling needs one seed per row")
        out = self.model.decode(self.visual[s], self.attributes[s], self.visual[t],
                                self.attributes[t], self.width, c.decoding, c.beam_size,
                                c.temperature,
                                seeds=None if seeds is None else [int(x) for x in seeds])
        tokens = out.cpu().numpy().astype(np.int64)
        tokens[targets == shown] = self.found_tokens
        return tokens

    def caption(self, tokens: np.ndarray, target: int, shown: int) -> Feedback:
        """The `Feedback` of token ids said about `shown` with hidden `target`."""
        text = self.vocab.decode(int(i) for i in tokens)
        ids = tuple(int(i) for i in tokens if i != 0)
        if target == shown:
            return Feedback(text, ids, FOUND, "found")
        mentions: tuple[Mention, ...] = ()
        if self.parse is not None:
            try:
                mentions = tuple(self.parse(text, self.category_names[target]).mentions)
            except ValueError:  # a category the parser does not know
                mentions = ()
        return Feedback(text, ids, mentions, caption_mode(mentions))


class NeuralDialogs(DialogsBase):
    """The neural shopper's state of B dialogs (see `simulators.base.DialogsBase`)."""

    state = ("seeds", "shown", "tokens")

    def __init__(self, shopper: NeuralShopper, batch_size: int, max_turns: int):
        super().__init__(shopper, batch_size, max_turns)
        b, t1 = batch_size, max_turns + 1
        self.seeds = np.zeros((b, t1), dtype=np.int64)  # one sampling seed per turn
        self.shown = np.full((b, t1), -1, dtype=np.int64)
        self.tokens = np.zeros((b, t1, shopper.width), dtype=np.int64)

    def begin(self, rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        t1 = self.seeds.shape[1]
        for i, rng in zip(rows.tolist(), rngs):
            self.seeds[i] = rng.integers(0, SEED_HIGH, size=t1)
        self.shown[rows] = -1
        self.tokens[rows] = 0

    def speak(self, rows: np.ndarray, shown: np.ndarray, turn: np.ndarray) -> np.ndarray:
        tokens = self.shopper.speak(self.target[rows], shown, self.seeds[rows, turn])
        self.tokens[rows, turn] = tokens
        self.shown[rows, turn] = shown
        return tokens

    def describe(self, row: int, k: int) -> Feedback:
        return self.shopper.caption(self.tokens[row, k], int(self.target[row]),
                                    int(self.shown[row, k]))
