"""Run a policy over the fixed protocol on the batched core and collect ranks per turn."""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from dialog_env.batched import BatchedDialogs
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
    e = len(pairs)
    ranks = np.zeros((e, max_turns + 1), dtype=np.int64)
    act_seconds = 0.0
    bar = tqdm(total=e, desc=f"eval {policy.name}", unit="dialog", disable=not progress)
    for lo in range(0, e, batch_size):
        hi = min(e, lo + batch_size)
        core = BatchedDialogs(world, hi - lo, episode)
        obs, infos = core.reset(
            seeds=[seed * 1_000_000 + k for k in range(lo, hi)],
            options=[{"target": int(t), "first_candidate": int(c)} for t, c in pairs[lo:hi]])
        policy.begin(core)
        ranks[lo:hi, 0] = core.rank
        infos_: list[dict | None] = list(infos)
        for turn in range(1, max_turns + 1):
            t0 = time.perf_counter()
            q = policy.act(obs, infos_, core)
            act_seconds += time.perf_counter() - t0
            obs, _, _, _, infos_ = core.step(q)
            ranks[lo:hi, turn] = core.rank
            if core.done.all():
                ranks[lo:hi, turn + 1:] = core.rank[:, None]
                break
        bar.update(hi - lo)
    bar.close()
    return {"ranks": ranks, "policy_seconds_per_dialog": act_seconds / max(e, 1)}
