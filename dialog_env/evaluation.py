"""Run a policy over the fixed protocol on the batched core and collect ranks per turn."""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from dialog_env.batched import BatchedDialogs
from dialog_env.episodes import RecordedScript
from dialog_env.world import DialogWorld


class DialogPolicy(Protocol):
    """What `run_protocol` needs of an agent."""

    name: str

    def begin(self, core: BatchedDialogs) -> None:
        """A new batch of dialogs has been reset in `core`."""
        ...

    def act(self, obs: dict[str, np.ndarray], infos: list[dict | None],
            core: BatchedDialogs) -> np.ndarray:
        """`(B, D)` queries for the dialogs of `core` (rows of ended dialogs are ignored)."""
        ...


def run_protocol(world: DialogWorld, policy: DialogPolicy, pairs, split: str = "test",
                 max_turns: int = 10, seed: int = 0, batch_size: int = 256,
                 progress: bool = True) -> dict:
    """Dialog `k` uses target/first candidate `pairs[k]` and simulator seed `seed * 1e6 + k`.

    Returns `ranks (E, T+1)` int64 and the policy's mean wall time per dialog."""
    pairs = np.asarray(pairs, dtype=np.int64)
    # The world's episode settings (exclude_shown, max_tokens), on this split and budget.
    episode = world.episode(
        split=split, max_turns=max_turns,
        feedback_embedding=getattr(policy, "needs_embedding", False),
        info="full", observation="dict")  # the oracle reference agent reads the mentions

    def reset(core: BatchedDialogs, lo: int, hi: int):
        return core.reset(
            seeds=[seed * 1_000_000 + k for k in range(lo, hi)],
            options=[{"target": int(t), "first_candidate": int(c)} for t, c in pairs[lo:hi]])

    ranks, act_seconds = _play(world, policy, episode, len(pairs), reset, batch_size,
                               progress, f"eval {policy.name}")
    return {"ranks": ranks, "policy_seconds_per_dialog": act_seconds / max(len(pairs), 1)}


def _play(world: DialogWorld, policy: DialogPolicy, episode, e: int, reset, batch_size: int,
          progress: bool, desc: str, on_act=None) -> tuple[np.ndarray, float]:
    """`e` dialogs of `episode` in batches: `reset(core, lo, hi)` starts dialogs lo..hi-1,
    the policy acts until all are done (`on_act(lo, hi, turn, q)` sees each batch of
    queries). Returns `ranks (e, max_turns + 1)` (padded with the last) and the policy's
    total wall time."""
    ranks = np.zeros((e, episode.max_turns + 1), dtype=np.int64)
    act_seconds = 0.0
    bar = tqdm(total=e, desc=desc, unit="dialog", disable=not progress)
    for lo in range(0, e, batch_size):
        hi = min(e, lo + batch_size)
        core = BatchedDialogs(world, hi - lo, episode)
        obs, infos = reset(core, lo, hi)
        policy.begin(core)
        ranks[lo:hi, 0] = core.rank
        infos_: list[dict | None] = list(infos)
        for turn in range(1, episode.max_turns + 1):
            t0 = time.perf_counter()
            q = policy.act(obs, infos_, core)
            act_seconds += time.perf_counter() - t0
            if on_act is not None:
                on_act(lo, hi, turn, q)
            obs, _, _, _, infos_ = core.step(q)
            ranks[lo:hi, turn] = core.rank
            if core.done.all():
                ranks[lo:hi, turn + 1:] = core.rank[:, None]
                break
        bar.update(hi - lo)
    bar.close()
    return ranks, act_seconds


def run_replay(world: DialogWorld, policy: DialogPolicy, batch_size: int = 256,
               progress: bool = True) -> dict:
    """The static multi-turn evaluation of an interactive agent: every recorded dialog of
    `world`'s recorded script (`dialog_env.episodes.RecordedScript`, a replay world)
    played back (the recording decides the shown items and captions; the agent's query
    after each caption is ranked over all items, shown references excluded when the
    world's episodes exclude shown items).

    Returns `ranks (E, T+1)` int64 (turn 0: the first reference as the query; padded with
    the last), `final (E,)`: the rank of the query made after the dialog's last caption
    (FashionNTM's final turn), and that query, `final_queries (E, D)` float32 (to rank it
    in another gallery)."""
    if not isinstance(world.episodes, RecordedScript):
        raise ValueError(f"run_replay needs a world with a replay shopper "
                         f"(dialog_env.factory.replay_world: a recorded script as its "
                         f"episode source); this one's shopper is {world.shopper.name!r}")
    rec = world.episodes.recorded
    # The world's turn budget (an agent reads turn / max_turns), at least the recording's.
    budget = max(rec.max_turns, world.episode().max_turns)
    episode = world.episode(split=rec.split, max_turns=budget,
                            feedback_embedding=getattr(policy, "needs_embedding", False),
                            info="full", observation="dict")
    e = len(rec)
    queries = np.zeros((e, world.dim), dtype=np.float32)

    def reset(core: BatchedDialogs, lo: int, hi: int):
        return core.reset(seeds=list(range(lo, hi)),
                          options=[{"dialog": k} for k in range(lo, hi)])

    def keep_last(lo: int, hi: int, turn: int, q) -> None:
        last = np.flatnonzero(rec.turns[lo:hi] == turn)
        queries[lo + last] = np.asarray(q, dtype=np.float32)[last]

    ranks, _ = _play(world, policy, episode, e, reset, batch_size, progress,
                     f"replay {policy.name}", keep_last)
    return {"ranks": ranks, "final": ranks[np.arange(e), rec.turns], "final_queries": queries}
