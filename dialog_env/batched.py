"""The batched core: B dialogs at once, on one `DialogWorld`.

`BatchedDialogs` runs B dialogs with exactly the semantics of `FashionDialogEnv` (which is
this core with B = 1): one seeded generator per dialog, with which the world's episode
source (`dialog_env.episodes`) draws where the dialog starts (its target and first item;
a scripted dialog's later shown items come from the source too), is then handed to the
shopper (`simulators.base.Shopper`, the only thing the core knows of it); all B queries
are ranked with one matrix product and the shopper answers all B dialogs at once. Caption
text and mentions are asked of the shopper only when read (`feedback(i)`, `history`, info
dicts). Ranks are exact and independent of batching, so a dialog in a batch equals the
same dialog run alone.

Lower-level calls for learners:
  `show(candidates, queries)`  show an explicit item per dialog (top-k sampling policy
                               gradient, Guo et al.'s rollout policy improvement);
  `clone(indices)`             copy dialog states (generators included) to roll out
                               alternatives.

The Gymnasium vector env over this core is `dialog_env.vector.FashionDialogVectorEnv`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding

from dialog_env import observations as layouts
from dialog_env.checks import as_int
from dialog_env.config import EpisodeConfig
from dialog_env.episodes import Starts
from dialog_env.infos import dialog_infos
from dialog_env.options import indices
from dialog_env.queries import finite_queries, real_array, scale_queries
from dialog_env.rewards import RewardConfig, RewardFn
from dialog_env.world import DialogWorld
from simulators.base import Feedback

PAD = 0


class BatchedDialogs:
    """B dialogs sharing one `DialogWorld`. `episode` sets the split, turn budget,
    observations (`observation="dict"|"flat"`, `dialog_env.observations`) and infos
    (`info="numeric"|"full"|None`, `dialog_env.infos`; with None, reset and step return
    None per dialog: learners read the core's arrays directly); `reward` is the reward
    function (default: `RewardConfig()`, the change of the target's rank percentile plus a
    success bonus)."""

    def __init__(self, world: DialogWorld, batch_size: int,
                 episode: EpisodeConfig | None = None, reward: RewardFn | None = None):
        episode = episode or EpisodeConfig()
        if not isinstance(world, DialogWorld):
            raise TypeError(f"world must be a DialogWorld, got {type(world).__name__} {world!r}")
        if not isinstance(episode, EpisodeConfig):
            raise TypeError(f"episode must be an EpisodeConfig, got {type(episode).__name__}")
        batch_size = as_int(batch_size, "batch_size", lo=1)
        if len(world.split_items[episode.split]) < 1:
            raise ValueError(f"split {episode.split!r} of catalog {world.catalog.name!r} has "
                             f"no items")
        self.world, self.episode = world, episode
        self.reward_fn: RewardFn = reward if reward is not None else RewardConfig()
        self.info = episode.info
        self.B = b = batch_size
        self.split, self.max_turns = episode.split, episode.max_turns
        self.exclude_shown, self.max_tokens = episode.exclude_shown, episode.max_tokens
        self.vis_lo = float(np.floor(world.visual.min()))
        self.vis_hi = float(np.ceil(world.visual.max()))
        self.target = np.full(b, -1, dtype=np.int64)
        self.candidate = np.full(b, -1, dtype=np.int64)
        self.shown = np.full((b, self.max_turns + 1), -1, dtype=np.int64)
        self.turn = np.zeros(b, dtype=np.int64)
        self.rank = np.zeros(b, dtype=np.int64)
        self.done = np.ones(b, dtype=bool)
        self.success = np.zeros(b, dtype=bool)
        self.tokens = np.zeros((b, self.max_tokens), dtype=np.int64)
        self.rngs: list[np.random.Generator | None] = [None] * b
        # The shopper's side of these dialogs (its state is its own).
        self.said = world.shopper.dialogs(b, self.max_turns)
        # Where dialogs start (`dialog_env.episodes`): `script` is the script each row plays
        # (-1: none), `limit` its turns.
        self.episodes = world.episodes
        self.episodes.check(self.split)
        self.limit = np.full(b, self.max_turns, dtype=np.int64)
        self.script = np.full(b, -1, dtype=np.int64)
        # Optional: a frozen sentence encoder's embedding of each dialog's last caption
        # (the `feedback_embedding` observation, or the flat layout's text part).
        self.encoder = None
        if episode.embeds_text:
            from dialog_env.features.sentence import sentence_encoder

            self.encoder = sentence_encoder()
            self.embedding = np.zeros((b, self.encoder.dim), dtype=np.float32)

    # ------------------------------------------------------------------ spaces
    def observation_space(self) -> gym.spaces.Space:
        """A `Dict` of `Box`es, or one float32 `Box` with `observation="flat"`."""
        return layouts.observation_space(self)

    def action_space(self) -> gym.spaces.Box:
        return gym.spaces.Box(-1.0, 1.0, (self.world.dim,), np.float32)

    # ------------------------------------------------------------------ helpers
    def _check_queries(self, queries, rows: np.ndarray) -> np.ndarray:
        """One finite real query per dialog (any scale: the database ranks by direction);
        returns those of dialogs `rows` as the database takes them (`finite_queries`:
        `(len(rows), D)` float32, scaled). The queries of other dialogs are not read."""
        q = real_array(queries, "action")
        if q.ndim == 1 and self.B == 1:
            q = q[None]
        if q.shape != (self.B, self.world.dim):
            raise ValueError(f"action must have shape {(self.B, self.world.dim)} "
                             f"(one query per dialog in the item space), got {q.shape}")
        return finite_queries(q, rows)

    def _speak(self, rows: np.ndarray) -> None:
        """The shopper's answers about the shown items of dialogs `rows`, as one batch."""
        tokens = self.said.answer(rows, self.candidate[rows])
        width = min(tokens.shape[1], self.max_tokens)
        self.tokens[rows] = PAD
        self.tokens[rows, :width] = tokens[:, :width]
        self._embed(rows)

    def feedback(self, i: int) -> list[Feedback]:
        """Dialog `i`'s captions so far (oldest first)."""
        return self.said.feedback(i) if self.target[i] >= 0 else []

    @property
    def history(self) -> list[list[Feedback]]:
        """Every dialog's captions so far (see `feedback`)."""
        return [self.feedback(i) for i in range(self.B)]

    def observations(self) -> dict[str, np.ndarray] | np.ndarray:
        return layouts.observations(self)

    def _embed(self, rows) -> None:
        if self.encoder is not None and len(rows):
            rows = np.asarray(rows, dtype=np.int64)
            self.embedding[rows] = self.encoder.encode([self.feedback(i)[-1].text
                                                        for i in rows])

    def infos(self, rows: Sequence[int] | None = None) -> list[dict | None]:
        """The info dicts of dialogs `rows` (all by default) in the `info` mode (None each
        when it is None)."""
        rows = np.arange(self.B) if rows is None else indices(rows, self.B, "rows",
                                                              unique=False)
        return dialog_infos(self, rows, self.info)

    # ------------------------------------------------------------------ reset
    def reset(self, rows: Sequence[int] | None = None,
              rngs: Sequence[np.random.Generator] | None = None,
              seeds: Sequence[int | None] | None = None,
              options: Sequence[dict | None] | None = None, *,
              infos: bool = True) -> tuple[dict, list[dict | None]]:
        """Start new dialogs in `rows` (all by default). Each dialog uses `rngs[k]`, or a
        generator seeded with `seeds[k]`, or keeps its generator when the seed is None.
        `options[k]` (None or a dict) may give `target` (an item of the split) and
        `first_candidate` (any other item) indices, or with a recorded script `dialog`; see
        `dialog_env.options` (the world's episode source checks and applies them,
        `dialog_env.episodes`). Returns the
        observations of all dialogs and the infos of `rows` (None each with `infos=False`,
        for callers that build their own, like the vector env)."""
        rows = np.arange(self.B) if rows is None else indices(rows, self.B, "rows")
        # Validate everything before changing any dialog.
        options = self.episodes.options(options, rows.tolist(), self.world, self.split)
        for name, given in (("rngs", rngs), ("seeds", seeds)):
            if given is not None and len(given) != len(rows):
                raise ValueError(f"got {len(given)} {name} for {len(rows)} dialogs")
        if rngs is None and seeds is not None:
            seeds = [None if sd is None else as_int(sd, f"seed (dialog {i})", lo=0)
                     for i, sd in zip(rows.tolist(), seeds)]
        for k, i in enumerate(rows.tolist()):
            if rngs is not None:
                self.rngs[i] = rngs[k]
            elif seeds is not None and seeds[k] is not None:
                self.rngs[i] = seeding.np_random(seeds[k])[0]
            elif self.rngs[i] is None:
                self.rngs[i] = seeding.np_random(None)[0]
        own = [self.rngs[i] for i in rows.tolist()]
        starts = self.episodes.start(self.world, self.split, own, options, rows, self.said)
        self._begin(rows, starts, own)
        return self.observations(), dialog_infos(self, rows, self.info if infos else None)

    def _begin(self, rows: np.ndarray, starts: Starts, rngs) -> None:
        """Dialogs `rows` start as `starts` says: the shopper answers the first item; the
        initial rank uses the shown item's own features as the query (no memory, no
        language)."""
        self.target[rows], self.candidate[rows] = starts.target, starts.first
        self.script[rows] = starts.script
        self.limit[rows] = self.max_turns if starts.turns is None else np.minimum(
            self.max_turns, starts.turns)
        self.shown[rows] = -1
        self.shown[rows, 0] = starts.first
        self.turn[rows] = 0
        self.done[rows] = False
        self.success[rows] = False
        self.said.start(rows, self.target[rows], rngs)
        self._speak(rows)
        anchor = scale_queries(self.world.db.items[self.candidate[rows]])  # finite items
        ex = self.shown[rows, :1] if self.exclude_shown else None
        self.rank[rows] = self.world.db._rank_and_best_checked(anchor, self.target[rows], ex,
                                                               best=False)[0]

    # ------------------------------------------------------------------ turns
    def step(self, queries, rows: Sequence[int] | None = None, *, infos: bool = True):
        """One turn for the active dialogs in `rows` (default: all not done): rank all
        items for each query, show the best unshown item, get the shopper's feedback.

        Returns `(obs, reward, terminated, truncated, infos)`; arrays are `(B,)` with zeros
        for dialogs that did not take part; `infos` has one dict per dialog (None for
        dialogs that did not take part, and for all with `info=None` or `infos=False`)."""
        rows = self._active_rows(rows)
        return self._step_checked(self._check_queries(queries, rows), rows, infos=infos)

    def _step_checked(self, q: np.ndarray, rows: np.ndarray, *, infos: bool = True):
        """`step` with the queries checked already (the single env's entry: it checks its
        action itself). `q` is `(len(rows), D)` float32 from `finite_queries`; `rows` are
        distinct active dialogs. Nothing is checked again."""
        ex = self.shown[rows] if self.exclude_shown else None
        scripted = self._scripted(rows)
        if scripted is None:
            ranks, best = self.world.db._rank_and_best_checked(q, self.target[rows], ex)
            return self._advance(rows, ranks, best, infos)
        # The script's items are shown where it has them: no best item is computed there.
        ranks, best = np.zeros(len(rows), dtype=np.int64), scripted.copy()
        for part, want in ((scripted >= 0, False), (scripted < 0, True)):
            if part.any():
                r, got = self.world.db._rank_and_best_checked(
                    q[part], self.target[rows[part]], None if ex is None else ex[part],
                    best=want)
                ranks[part] = r
                if want:
                    best[part] = got
        return self._advance(rows, ranks, best, infos)

    def show(self, candidates, queries, rows: Sequence[int] | None = None, *,
             infos: bool = True):
        """Like `step`, but the learner chooses the shown item of each dialog; the target's
        rank (metrics, reward) is still computed under `queries`."""
        rows = self._active_rows(rows)
        q = self._check_queries(queries, rows)
        cand = np.asarray(candidates)
        if cand.shape != (self.B,):
            raise ValueError(f"candidates must have shape ({self.B},), got {cand.shape}")
        shown = indices(cand[rows], self.world.n_items, "candidates", unique=False)
        ex = self.shown[rows] if self.exclude_shown else None
        ranks, _ = self.world.db._rank_and_best_checked(q, self.target[rows], ex, best=False)
        scripted = self._scripted(rows)  # the script wins over the learner where it has items
        if scripted is not None:
            shown = np.where(scripted >= 0, scripted, shown)
        return self._advance(rows, ranks, shown, infos)

    def _scripted(self, rows: np.ndarray) -> np.ndarray | None:
        """The items the episode source shows at the next turn of dialogs `rows` (-1 where
        the core picks), or None when it scripts none."""
        return self.episodes.shown_at(self.script[rows], self.turn[rows] + 1, self.limit[rows])

    def _active_rows(self, rows) -> np.ndarray:
        if rows is None:
            return np.flatnonzero(~self.done)
        rows = indices(rows, self.B, "rows")
        finished = rows[self.done[rows]]
        if len(finished):
            raise RuntimeError(f"dialogs {finished[:5].tolist()} have ended (terminated or "
                               f"truncated); reset them before stepping")
        return rows

    def _advance(self, rows, ranks, shown_items, infos: bool = True):
        b = self.B
        rew = np.zeros(b)
        term = np.zeros(b, dtype=bool)
        trunc = np.zeros(b, dtype=bool)
        found = shown_items == self.target[rows]
        prev = self.rank[rows]
        # Once the target is shown it has been retrieved: its rank is 0 from then on.
        new_rank = np.where(found, 0, ranks)
        rew[rows] = self.reward_fn(new_rank, prev, found, self.world.n_items)
        self.rank[rows] = new_rank
        self.turn[rows] += 1
        self.candidate[rows] = shown_items
        self.shown[rows, self.turn[rows]] = shown_items
        self.success[rows] = found
        term[rows] = found
        trunc[rows] = (self.turn[rows] >= self.limit[rows]) & ~found
        self.done[rows] = term[rows] | trunc[rows]
        self._speak(rows)
        out: list[dict | None] = [None] * b
        for i, info in zip(rows.tolist(), dialog_infos(self, rows, self.info if infos else None)):
            out[i] = info
        return self.observations(), rew, term, trunc, out

    # ------------------------------------------------------------------ copies
    def clone(self, rows: Sequence[int] | None = None) -> BatchedDialogs:
        """A new core holding copies of dialogs `rows` (may repeat), generators included:
        stepping the copy leaves this batch untouched and, with the same actions, replays
        what this batch would do."""
        rows = np.arange(self.B) if rows is None else indices(rows, self.B, "rows", unique=False)
        new = BatchedDialogs(self.world, len(rows), self.episode, self.reward_fn)
        new.info = self.info
        if self.encoder is not None:
            new.embedding = self.embedding[rows].copy()
        for name in ("target", "candidate", "shown", "turn", "rank", "done", "success",
                     "tokens", "limit", "script"):
            setattr(new, name, getattr(self, name)[rows].copy())
        new.rngs = [copy.deepcopy(self.rngs[i]) for i in rows.tolist()]
        new.said = self.said.select(rows)
        return new

    # ------------------------------------------------------------------ rendering
    def transcript(self, i: int) -> str:
        cat = self.world.catalog
        lines = [f"target: (hidden) | split {self.split} | turn {int(self.turn[i])}/"
                 f"{self.max_turns}"]
        for k, fb in enumerate(self.feedback(i)):
            item = int(self.shown[i, k])
            lines.append(f"turn {k}: shown #{item} {cat.titles[item]}")
            lines.append(f"        shopper: {fb.text}")
        lines.append(f"target rank now: {int(self.rank[i])} of {self.world.n_items}")
        return "\n".join(lines)

    def strip(self, i: int) -> np.ndarray:
        """Shown items' images side by side, `(S, S * (max_turns + 1), 3)` uint8."""
        cat = self.world.catalog
        s = cat.images.image_size
        out = np.full((s, s * (self.max_turns + 1), 3), 255, dtype=np.uint8)
        shown = self.shown[i][self.shown[i] >= 0]
        if len(shown):
            imgs = cat.images(shown)
            for k, img in enumerate(imgs):
                out[:, k * s:(k + 1) * s] = img
        return out
