"""The replay shopper: plays recorded dialogs back in the environment.

    rec = record_dialogs(world, 1000, split="test")              # or from_transactions(...)
    env = gym.make("FashionDialog-v0", world=replay_world(world, rec), split="test")
    obs, info = env.reset(seed=0, options={"dialog": 17})        # or a random one

In a replayed dialog the data, not the agent, decides what is shown: the hidden target is
the recording's target, turn j shows the recorded reference j and the shopper says its
recorded caption. The agent's query at each turn is still ranked (rank, recall, reward:
the static multi-turn evaluation of FashionNTM and CFIR), and learners train on the
recorded dialogs as on any other. A dialog of T recorded turns ends (truncated) after T
steps: the last step ranks the query made after all T captions; if it retrieves the target
the dialog terminates with success. After the last recorded turn the shopper says nothing
(an empty caption).

The shopper only says the recorded text, through the ordinary contract. Where a dialog
starts and what it shows is the world's episode source, a
`dialog_env.episodes.RecordedScript` of the same recording: at reset it picks dialog k
uniformly with the dialog's own generator (or `options={"dialog": k}`), tells this shopper
which recorded dialog each row plays (`ReplayShopper.play`, before `start`), and shows
`recorded.references[k, j]` at turn j. `replay_world` (`dialog_env.factory`) wires the
two; the recording's split must be the episode's.
"""

from __future__ import annotations

import numpy as np

from dialog_env.recorded import RecordedDialogs
from simulators.base import DialogsBase, Feedback
from simulators.vocab import Vocabulary


class ReplayShopper:
    """A `Shopper` that says recorded captions (see the module docstring). `vocab` turns
    the texts into token ids (the world's vocabulary, so agents read the token ids they
    were trained on; unknown words are `<unk>`); `width` ids per answer.
    `dialog_env.factory.replay_world` passes the world's shopper's vocabulary."""

    name = "replay"

    def __init__(self, recorded: RecordedDialogs, vocab: Vocabulary | None = None,
                 width: int = 24):
        if not isinstance(recorded, RecordedDialogs):
            raise TypeError(f"ReplayShopper needs a RecordedDialogs, got "
                            f"{type(recorded).__name__}")
        if vocab is None:
            raise TypeError("ReplayShopper needs vocab=: the vocabulary of the world it "
                            "replays in (dialog_env.factory.replay_world passes the world's "
                            "shopper's)")
        self.recorded, self.vocab, self.width = recorded, vocab, int(width)
        n, t = len(recorded), recorded.max_turns
        self.tokens = np.zeros((n, t, self.width), dtype=np.int64)
        for k, texts in enumerate(recorded.texts):
            for j, text in enumerate(texts):
                self.tokens[k, j] = vocab.encode(text, self.width)

    def dialogs(self, batch_size: int, max_turns: int) -> ReplayDialogs:
        return ReplayDialogs(self, batch_size, max_turns)

    def play(self, dialogs: ReplayDialogs, rows: np.ndarray, ks: np.ndarray) -> None:
        """Rows `rows` of `dialogs` (this shopper's) say recorded dialogs `ks`: what the
        recorded script (`dialog_env.episodes.RecordedScript`) that starts them tells this
        shopper before `start`."""
        if not isinstance(dialogs, ReplayDialogs) or dialogs.shopper is not self:
            raise TypeError("ReplayShopper.play takes the dialogs of this replay shopper")
        dialogs.play(rows, ks)


class ReplayDialogs(DialogsBase):
    """The replay shopper's side of B dialogs: which recorded dialog each plays and how
    many turns it has said (`simulators.base.DialogsBase`)."""

    state = ("dialog",)

    def __init__(self, shopper: ReplayShopper, batch_size: int, max_turns: int):
        super().__init__(shopper, batch_size, max_turns)
        self.dialog = np.full(batch_size, -1, dtype=np.int64)

    def play(self, rows: np.ndarray, ks: np.ndarray) -> None:
        """Dialogs `rows` play recorded dialogs `ks` (called before `start`)."""
        ks = np.asarray(ks, dtype=np.int64)
        n = len(self.shopper.recorded)
        if len(ks) != len(rows) or ((ks < 0) | (ks >= n)).any():
            raise ValueError(f"recorded dialogs {ks.tolist()[:5]} for {len(rows)} rows; the "
                             f"recording has {n} (0..{n - 1})")
        self.dialog[rows] = ks

    def start(self, rows, targets, rngs) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        ks = self.dialog[rows]
        rec = self.shopper.recorded
        if (ks < 0).any() or (rec.targets[ks] != np.asarray(targets)).any():
            raise RuntimeError("a replay shopper's dialogs are started by the world's recorded "
                               "script (dialog_env.episodes.RecordedScript, wired by "
                               "dialog_env.factory.replay_world), which names the recorded "
                               f"dialogs first; targets {np.asarray(targets)[:5].tolist()} "
                               f"do not match")
        super().start(rows, targets, rngs)

    def speak(self, rows: np.ndarray, shown: np.ndarray, turn: np.ndarray) -> np.ndarray:
        rec, ks = self.shopper.recorded, self.dialog[rows]
        live = turn < rec.turns[ks]
        expected = rec.references[ks, np.minimum(turn, rec.max_turns - 1)]
        wrong = live & (shown != expected)
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise RuntimeError(f"replay: dialog {int(rows[i])} shows item {int(shown[i])} at "
                               f"turn {int(turn[i])}, the recording (dialog {int(ks[i])}) "
                               f"shows {int(expected[i])}")
        out = np.zeros((len(rows), self.shopper.width), dtype=np.int64)
        out[live] = self.shopper.tokens[ks[live], turn[live]]
        return out

    def describe(self, row: int, k: int) -> Feedback:
        d, rec = int(self.dialog[row]), self.shopper.recorded
        text = rec.texts[d][k] if k < rec.turns[d] else ""
        tokens = tuple(int(t) for t in self.shopper.tokens[d, k] if t) if text else ()
        return Feedback(text, tokens, (), "recorded" if text else "same")


def replay_world(world, recorded: RecordedDialogs, **kwargs):
    """`dialog_env.factory.replay_world` (the wiring lives in the factory; kept here for
    existing imports)."""
    from dialog_env.factory import replay_world as build

    return build(world, recorded, **kwargs)
