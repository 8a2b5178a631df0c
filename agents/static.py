"""FashionNTM's static multi-turn protocol: the model parts (Pal et al. ICCV 2023, sec. 4).

A recorded dialog (`dialog_env.recorded.RecordedDialogs`) shows reference image `I_n` and
says caption `U_n` at turn n. Frozen encoders give features; learned linear projections
`g_I` (images, shared with the gallery: `f_tar = g_I(item)`) and `g_T` (texts) map them to
a common width D (identity at the start where input and output widths agree, so CLIP's
aligned spaces give zero-shot VA). A single-turn composer (`agents.composers`: va, tirg,
raf) gives `f_qry(n)` per turn, and an aggregator turns them into `f'_qry(n)`:

    st        the final turn's query only (the single-turn baseline)
    st+avg    the mean of f_qry over the turns
    st+cat    one composer query from the last reference and the concatenation of all
              captions so far (the texts are concatenated by `turn_texts`)
    st+ewma   exponentially weighted moving average (learned rate, from 0.5)
    st+lstm   LSTM (hidden 100, as FashionNTM's baseline) and a linear projection to D
    cfir-gru  a GRU (hidden D) over the per-turn queries and a linear projection to D: the
              recurrent history encoding of CFIR (Yuan & Lam 2021) on our composers; not
              a reimplementation of CFIR's own model
    cm-ntm    FashionNTM's cascaded-memory NTM (`agents.cmntm`, C memories)

`window = w > 0` aggregates only the last w turns (FashionNTM Table 4; for st+cat the last
w captions), `0` all of them. Dialogs shorter than the batch's longest are padded by
repeating their last turn; aggregation is masked, so a padded turn's output is the last
real turn's. Training is turn-wise: `L = 1/N sum_n L^n`, the batch softmax loss of every
turn's `f'_qry(n)` against the final target with a learned temperature (Adam).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from agents.composers import COMPOSERS, make_composer
from agents.learners.losses import batch_softmax_loss
from agents.trackers import make_tracker
from dialog_env.seeding import seeded_init

AGGREGATORS = ("st", "st+avg", "st+cat", "st+ewma", "st+lstm", "cfir-gru", "cm-ntm")
TRACKER_OF = {"st+avg": "mean", "st+ewma": "ewma", "st+lstm": "lstm", "cfir-gru": "gru",
              "cm-ntm": "cmntm"}


@dataclass(frozen=True)
class StaticConfig:
    """One static-protocol model: composer x aggregator over given feature widths."""

    composer: str = "va"
    aggregator: str = "st+avg"
    image_dim: int = 512  # frozen image features
    text_dim: int = 512  # frozen text features
    dim: int = 512  # D, the common width of queries and gallery features
    token_dim: int = 0  # width of the text tokens (raf needs them)
    window: int = 0  # aggregate the last `window` turns (0: all)
    lstm_hidden: int = 100
    memories: int = 4  # cm-ntm's C
    slots: int = 8
    width: int = 64
    controller: int = 128
    identity_init: bool = True
    temperature: float = 10.0  # initial inverse temperature of the loss

    def __post_init__(self) -> None:
        if self.composer not in COMPOSERS:
            raise ValueError(f"unknown composer {self.composer!r}; expected one of "
                             f"{COMPOSERS}")
        if self.aggregator not in AGGREGATORS:
            raise ValueError(f"unknown aggregator {self.aggregator!r}; expected one of "
                             f"{AGGREGATORS}")
        for name in ("image_dim", "text_dim", "dim", "lstm_hidden", "memories", "slots",
                     "width", "controller"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 0 or self.token_dim < 0:
            raise ValueError(f"window and token_dim must be >= 0, got {self.window}, "
                             f"{self.token_dim}")
        if self.composer == "raf" and self.token_dim < 1:
            raise ValueError("composer raf needs text tokens: give token_dim >= 1")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@dataclass
class StaticBatch:
    """B dialogs of at most T turns, padded by repeating the last turn."""

    images: torch.Tensor  # (B, T, Dv) reference image features
    texts: torch.Tensor  # (B, T, Dt) caption features
    turns: torch.Tensor  # (B,) int64, 1..T
    tokens: torch.Tensor | None = None  # (B, T, L, Dtok) text tokens (raf)
    token_mask: torch.Tensor | None = None  # (B, T, L) bool


def projection(n_in: int, n_out: int, identity: bool) -> nn.Linear:
    layer = nn.Linear(n_in, n_out, bias=False)
    if identity and n_in == n_out:
        with torch.no_grad():
            layer.weight.copy_(torch.eye(n_in))
    return layer


class StaticModel(nn.Module):
    """`g_I`, `g_T`, a composer and an aggregator (see the module docstring)."""

    def __init__(self, config: StaticConfig):
        super().__init__()
        c = self.config = config
        self.g_image = projection(c.image_dim, c.dim, c.identity_init)
        self.g_text = projection(c.text_dim, c.dim, c.identity_init)
        self.composer = make_composer(c.composer, c.dim, c.token_dim or None)
        kind = TRACKER_OF.get(c.aggregator)
        hidden = c.lstm_hidden if kind == "lstm" else c.dim
        self.tracker = None if kind is None else make_tracker(
            kind, c.dim, hidden, memories=c.memories, slots=c.slots, width=c.width,
            controller=c.controller)
        self.readout = (nn.Linear(hidden, c.dim) if kind in ("lstm", "gru")
                        else nn.Identity())
        self.log_scale = nn.Parameter(torch.tensor(math.log(c.temperature)))

    @classmethod
    def from_seed(cls, config: StaticConfig, seed: int) -> StaticModel:
        with seeded_init(seed):
            return cls(config)

    def targets(self, features: torch.Tensor) -> torch.Tensor:
        """`f_tar = g_I(x)`: (N, Dv) -> (N, D)."""
        return self.g_image(features)

    def compose(self, batch: StaticBatch, valid: torch.Tensor) -> torch.Tensor:
        """`f_qry` of the real turns: (number of True in `valid`, D)."""
        img, txt = self.g_image(batch.images[valid]), self.g_text(batch.texts[valid])
        if self.config.composer != "raf":
            return self.composer(img, txt)
        tokens, mask = batch.tokens[valid], batch.token_mask[valid]
        # No image patch tokens here: RAF's image side is the pooled feature.
        patches = tokens.new_zeros(len(tokens), 0, tokens.shape[-1])
        return self.composer(img, txt, patches, tokens, mask)

    def forward(self, batch: StaticBatch) -> torch.Tensor:
        """`f'_qry(n)` at every turn: (B, T, D); a padded turn repeats the last real one."""
        b, t = batch.images.shape[:2]
        if batch.images.shape[-1] != self.config.image_dim or \
                batch.texts.shape[-1] != self.config.text_dim:
            raise ValueError(f"features of width {batch.images.shape[-1]} (images) and "
                             f"{batch.texts.shape[-1]} (texts); the model expects "
                             f"{self.config.image_dim} and {self.config.text_dim}")
        steps = torch.arange(t, device=batch.turns.device)
        valid = steps[None] < batch.turns[:, None]  # (B, T)
        real = self.compose(batch, valid)
        q = real.new_zeros(b, t, real.shape[-1])
        q = q.index_put((valid.nonzero(as_tuple=True)), real)
        last = torch.minimum(steps[None], batch.turns[:, None] - 1)  # (B, T)
        q = q.gather(1, last[..., None].expand(-1, -1, q.shape[-1]))  # pads repeat
        return self.aggregate(q, batch.turns, valid, last)

    def aggregate(self, q: torch.Tensor, turns: torch.Tensor, valid: torch.Tensor,
                  last: torch.Tensor) -> torch.Tensor:
        if self.tracker is None:  # st, st+cat: the turn's own query
            return q
        b, t = q.shape[:2]
        w = self.config.window
        if w == 0 or w >= t:  # one pass; padded turns keep the state
            return self.readout(self.run(q, valid))
        # One window per real turn (M of them), ending there; padded turns then repeat.
        rows, turn = valid.nonzero(as_tuple=True)  # (M,), (M,)
        pos = turn[:, None] - w + 1 + torch.arange(w, device=q.device)  # (M, w)
        out = self.readout(self.run(q[rows[:, None], pos.clamp(min=0)], pos >= 0)[:, -1])
        full = out.new_zeros(b, t, out.shape[-1]).index_put((rows, turn), out)
        return full.gather(1, last[..., None].expand(-1, -1, full.shape[-1]))

    def run(self, seq: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The tracker's output after every step: (n, L, D) -> (n, L, H)."""
        state = self.tracker.initial_state(len(seq), seq.device)
        outs = []
        for i in range(seq.shape[1]):
            out, state = self.tracker.step(seq[:, i], state, mask[:, i])
            outs.append(out)
        return torch.stack(outs, dim=1)


def final_turn(q: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Each dialog's query at its last real turn: (B, T, D) -> (B, D)."""
    return q[torch.arange(len(q), device=q.device), turns - 1]


def turnwise_loss(model: StaticModel, batch: StaticBatch, targets: torch.Tensor
                  ) -> torch.Tensor:
    """`1/T sum_n L^n` over the batch's turns (a padded turn counts its last real one);
    `targets` (B, Dv) are the final targets' image features."""
    q = model(batch)
    f_tar = model.targets(targets)
    return torch.stack([batch_softmax_loss(q[:, n], f_tar, model.log_scale)
                        for n in range(q.shape[1])]).mean()


# A concatenation of captions keeps its last this many words: text encoders truncate at
# the end (CLIP at 77 tokens), which would drop the newest captions, the ones that speak
# of the target.
CAT_MAX_WORDS = 48


def newest_words(text: str, max_words: int = CAT_MAX_WORDS) -> str:
    words = text.split()
    return text if len(words) <= max_words else " ".join(words[-max_words:])


def turn_texts(texts: list[list[str]], max_turns: int, concatenate: bool = False,
               window: int = 0, join: str = " and ") -> list[list[str]]:
    """Per dialog `max_turns` strings, padded by repeating the last: the turn's caption,
    or (`concatenate`) all captions so far joined with `join` (the last `window`, if > 0),
    of which the last `CAT_MAX_WORDS` words are kept (`newest_words`)."""
    out = []
    for k, said in enumerate(texts):
        if not 1 <= len(said) <= max_turns:
            raise ValueError(f"dialog {k} has {len(said)} texts; expected 1..{max_turns}")
        row = [newest_words(join.join(said[max(0, j - window + 1) if window else 0:j + 1]))
               if concatenate else said[j] for j in range(len(said))]
        out.append(row + [row[-1]] * (max_turns - len(row)))
    return out


def gallery_ranks(queries: np.ndarray, gallery: np.ndarray, items: np.ndarray,
                  targets: np.ndarray, exclude: np.ndarray | None = None,
                  metric: str = "cosine") -> np.ndarray:
    """0-based rank of each target among the gallery by cosine similarity (or, with
    `metric="ip"`, the inner product: an env item space's own ranking): the number of
    gallery items scoring strictly higher, leaving out `exclude[k]` (item ids, -1 for
    none; never the target itself). A target outside the gallery gets rank `len(items)`.

    queries (n, D), gallery (G, D) features of the gallery's item ids `items` (G,)."""
    if queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"queries of width {queries.shape[1]}, gallery {gallery.shape[1]}")
    if metric not in ("cosine", "ip"):
        raise ValueError(f"metric must be 'cosine' or 'ip', got {metric!r}")
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    g = gallery if metric == "ip" else \
        gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
    where = {int(i): r for r, i in enumerate(items.tolist())}
    ranks = np.full(len(q), len(items), dtype=np.int64)
    for lo in range(0, len(q), 1024):
        s = q[lo:lo + 1024] @ g.T  # (b, G)
        for r, k in enumerate(range(lo, min(len(q), lo + 1024))):
            col = where.get(int(targets[k]))
            if col is None:
                continue
            above = s[r] > s[r, col]
            if exclude is not None:
                for i in exclude[k].tolist():
                    if i >= 0 and i != targets[k] and i in where:
                        above[where[i]] = False
            ranks[k] = int(above.sum())
    return ranks


@dataclass
class FeatureTables:
    """Frozen features the dialogs index: items' images and the distinct turn texts."""

    images: np.ndarray  # (N, Dv) float32
    texts: np.ndarray  # (U, Dt) float32
    tokens: np.ndarray | None = None  # (U, L, Dtok) text tokens (raf)
    token_mask: np.ndarray | None = None  # (U, L) bool

    def check(self, config: StaticConfig) -> None:
        if self.images.ndim != 2 or self.images.shape[1] != config.image_dim:
            raise ValueError(f"image features {self.images.shape}; the model expects width "
                             f"{config.image_dim}")
        if self.texts.ndim != 2 or self.texts.shape[1] != config.text_dim:
            raise ValueError(f"text features {self.texts.shape}; the model expects width "
                             f"{config.text_dim}")
        if config.composer == "raf" and (self.tokens is None or self.token_mask is None
                                         or self.tokens.shape[-1] != config.token_dim):
            raise ValueError(f"composer raf needs text tokens of width {config.token_dim}, "
                             f"got {None if self.tokens is None else self.tokens.shape}")


@dataclass
class DialogIndex:
    """Dialogs as indices into `FeatureTables` (rows padded by repeating the last turn)."""

    references: np.ndarray  # (n, T) int64 item ids
    text_ids: np.ndarray  # (n, T) int64 rows of FeatureTables.texts
    turns: np.ndarray  # (n,) int64
    targets: np.ndarray  # (n,) int64 item ids

    def __len__(self) -> int:
        return len(self.targets)


def make_batch(tables: FeatureTables, dialogs: DialogIndex, rows: np.ndarray,
               device: torch.device | str = "cpu") -> StaticBatch:
    t = int(dialogs.turns[rows].max())  # drop columns that are padding for every row
    refs, ids = dialogs.references[rows, :t], dialogs.text_ids[rows, :t]

    def tensor(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    tokens = mask = None
    if tables.tokens is not None:
        tokens = tensor(tables.tokens[ids].astype(np.float32))
        mask = tensor(tables.token_mask[ids])
    return StaticBatch(tensor(tables.images[refs]), tensor(tables.texts[ids]),
                       tensor(dialogs.turns[rows]), tokens, mask)


def train_static(model: StaticModel, tables: FeatureTables, dialogs: DialogIndex,
                 epochs: int, batch_size: int = 80, lr: float = 1e-3, seed: int = 0,
                 clip: float = 10.0, device: torch.device | str = "cpu") -> list[float]:
    """Adam on the turn-wise loss; batches drawn from `seed`. Returns each epoch's mean
    loss (`epochs = 0`: nothing trained, e.g. zero-shot VA on CLIP)."""
    tables.check(model.config)
    if epochs > 0 and len(dialogs) < 2:
        raise ValueError(f"training needs at least 2 dialogs (in-batch negatives), got "
                         f"{len(dialogs)}")
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    n_batches = max(1, math.ceil(len(dialogs) / batch_size))
    history = []
    for _ in range(epochs):
        total = 0.0
        for rows in np.array_split(rng.permutation(len(dialogs)), n_batches):
            batch = make_batch(tables, dialogs, rows, device)
            target = torch.from_numpy(tables.images[dialogs.targets[rows]]).to(device)
            loss = turnwise_loss(model, batch, target)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += loss.item()
        history.append(total / n_batches)
    return history


@torch.no_grad()
def final_queries(model: StaticModel, tables: FeatureTables, dialogs: DialogIndex,
                  batch_size: int = 512, device: torch.device | str = "cpu") -> np.ndarray:
    """`f'_qry(N)` of every dialog at its last turn: (n, D) float32."""
    tables.check(model.config)
    model.to(device).eval()
    out = [final_turn(model(make_batch(tables, dialogs, rows, device)),
                      torch.from_numpy(dialogs.turns[rows]).to(device)).cpu().numpy()
           for rows in np.array_split(np.arange(len(dialogs)),
                                      max(1, math.ceil(len(dialogs) / batch_size)))]
    return np.concatenate(out).astype(np.float32)


@torch.no_grad()
def gallery_features(model: StaticModel, images: np.ndarray,
                     device: torch.device | str = "cpu") -> np.ndarray:
    """`f_tar = g_I(x)` of gallery items: (G, Dv) -> (G, D) float32."""
    model.to(device).eval()
    return model.targets(torch.from_numpy(images).to(device)).cpu().numpy()
