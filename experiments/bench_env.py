"""Dialog-turns per second of the single env and the batched core, next to the bare
GEMM + rank bound measured in the same run on the same arrays.

    python -m experiments.bench_env            # 10k and 100k items, D = 256, B = 256

The bound is `scores = Q @ X.T; rank = (scores > target_score).sum(1)`: what any
implementation must at least do per turn. The core also finds the best unshown item,
re-decides near-ties exactly, runs the shopper (one caption per dialog) and builds
observations; "batched core" is measured as learners use it (no per-turn info dicts),
"vector env" is the Gymnasium vector env (info dicts, autoreset).
Measurements are interleaved (in alternating order) and repeated; medians are reported,
and each ratio is the median of the ratios measured side by side in one repetition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.batched import BatchedDialogs
from dialog_env.cache import atomic_write_text
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import EpisodeConfig
from dialog_env.database import RetrievalDB
from dialog_env.env import FashionDialogEnv
from dialog_env.item_space import ItemSpace
from dialog_env.vector import FashionDialogVectorEnv
from dialog_env.world import DialogWorld
from experiments.common import machine, write_results
from simulators.registry import ShopperConfig, make_shopper


@dataclass
class Args:
    """Environment throughput benchmark."""

    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    """Catalog sizes."""
    dim: int = 256
    """Item-space dimension D (random visual part + the catalog's attribute vector)."""
    batch: int = 256
    """Dialogs per batch for the batched core."""
    seconds: float = 1.0
    """Approximate time per measurement."""
    repeats: int = 6
    """Interleaved repetitions (medians reported; ratios are medians of per-repetition
    ratios)."""
    shopper: str = ShopperConfig().name
    """Registered shopper that answers (default: the environment's default shopper)."""
    compare: str | None = "template"
    """Another shopper whose vector env is measured in the same interleaved runs (the
    table gives the ratio of the two vector envs); None to skip."""
    out: Path = Path("results/bench")
    """Output folder (bench_env.md, bench_env.json)."""


def make_world(n: int, dim: int, shopper: str = "template", other: str | None = None
               ) -> DialogWorld | tuple[DialogWorld, DialogWorld]:
    """The benchmark world (random visual part + true attributes); with `other`, also the
    same world with that shopper."""
    catalog = load_synthetic(n, seed=0, render=False, progress=False)
    att = catalog.attributes.astype(np.float32)
    v_dim = dim - att.shape[1]
    if v_dim < 1:
        raise ValueError(f"dim {dim} must exceed the {att.shape[1]} attribute dimensions")
    rng = np.random.default_rng(0)
    vis = rng.normal(size=(n, v_dim)).astype(np.float32)
    vis /= np.linalg.norm(vis, axis=1, keepdims=True)
    space = ItemSpace(vis, att, 1.0, "random")
    db = RetrievalDB(space.matrix)
    world = DialogWorld(catalog, space, db, make_shopper(catalog, ShopperConfig(name=shopper)))
    if other is None:
        return world
    return world, DialogWorld(catalog, space, db,
                              make_shopper(catalog, ShopperConfig(name=other)))


def timed(fn, seconds: float) -> float:
    """Units of work per second of `fn() -> units` run for about `seconds`."""
    units, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        units += fn()
    return units / (time.perf_counter() - t0)


def bench_size(world: DialogWorld, batch: int, seconds: float, repeats: int,
               other: DialogWorld | None = None) -> dict:
    x = world.db.items
    rng = np.random.default_rng(1)
    q = rng.normal(size=(batch, x.shape[1])).astype(np.float32)
    t = rng.integers(0, x.shape[0], size=batch)

    def bound() -> int:
        scores = q @ x.T
        ts = scores[np.arange(batch), t]
        (scores > ts[:, None]).sum(1)
        return batch

    q1, t1 = q[:1], t[:1]

    def bound_single() -> int:
        scores = q1 @ x.T
        (scores > scores[0, t1[0]]).sum(1)
        return 1

    core = BatchedDialogs(world, batch, EpisodeConfig(info=None))  # as learners use it
    core.reset(seeds=list(range(batch)))

    def batched() -> int:
        if core.done.any():
            core.reset(rows=np.flatnonzero(core.done))
        core.step(q)
        return batch

    venv = FashionDialogVectorEnv(batch, world=world)
    venv.reset(seed=0)

    def vector() -> int:
        venv.step(q)
        return batch

    env = FashionDialogEnv(world=world)
    env.reset(seed=0)
    a = q[0].clip(-1, 1)
    state = {"done": False}

    def single() -> int:
        if state["done"]:
            env.reset()
        _, _, term, trunc, _ = env.step(a)
        state["done"] = term or trunc
        return 1

    fns = {"bound": bound, "batched": batched, "vector": vector, "bound_single": bound_single,
           "single": single}
    if other is not None:
        venv_other = FashionDialogVectorEnv(batch, world=other)
        venv_other.reset(seed=0)

        def vector_other() -> int:
            venv_other.step(q)
            return batch

        fns["vector_other"] = vector_other
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for rep in range(repeats):
        # Alternate the order so that slow drifts of the machine's speed cancel out.
        for name in (list(fns) if rep % 2 == 0 else list(fns)[::-1]):
            runs[name].append(timed(fns[name], seconds))
    med = {k: float(np.median(v)) for k, v in runs.items()}
    # Ratios per repetition (measured side by side), then their median.
    pairs = [("batched", "bound"), ("vector", "bound"), ("single", "bound_single")]
    if other is not None:
        pairs.append(("vector", "vector_other"))
    for name, ref in pairs:
        ratios = np.array(runs[name]) / np.array(runs[ref])
        med[f"{name}_over_{ref}"] = float(np.median(ratios))
        med[f"{name}_over_{ref}_range"] = [float(ratios.min()), float(ratios.max())]
    return med


def main(args: Args) -> dict:
    rows = {}
    for n in args.sizes:
        if args.compare:
            world, other = make_world(n, args.dim, args.shopper, args.compare)
        else:
            world, other = make_world(n, args.dim, args.shopper), None
        rows[n] = bench_size(world, args.batch, args.seconds, args.repeats, other)
        print(n, rows[n], flush=True)
    lines = [
        f"Dialog-turns/s, D = {args.dim}, batch B = {args.batch}, median of {args.repeats} "
        f"interleaved runs of {args.seconds:g} s "
        f"({machine()['processor'] or machine()['machine']}, {machine()['device']}); "
        f"ratios are medians of the per-run ratios (min–max in brackets). Shopper "
        f"`{args.shopper}`" + (f"; the last two columns: the vector env with shopper "
                               f"`{args.compare}` in the same runs, and the ratio." if
                               args.compare else "."),
        "",
        "| items | bound GEMM+rank (B) | batched core (B) | core / bound | vector env (B) | "
        "vector / bound | bound (B=1) | single env | single / bound |"
        + (f" vector env, {args.compare} (B) | {args.shopper} / {args.compare} |"
           if args.compare else ""),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.compare
                                                           else ""),
    ]
    def ratio(r: dict, key: str) -> str:
        lo, hi = r[f"{key}_range"]
        return f"{r[key]:.0%} ({lo:.0%}–{hi:.0%})"

    for n, r in rows.items():
        lines.append(f"| {n:,} | {r['bound']:,.0f} | {r['batched']:,.0f} | "
                     f"{ratio(r, 'batched_over_bound')} | {r['vector']:,.0f} | "
                     f"{ratio(r, 'vector_over_bound')} | {r['bound_single']:,.0f} | "
                     f"{r['single']:,.0f} | {ratio(r, 'single_over_bound_single')} |"
                     + (f" {r['vector_other']:,.0f} | {ratio(r, 'vector_over_vector_other')} |"
                        if args.compare else ""))
    table = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "bench_env.md", table)
    write_results(args.out / "bench_env.json", {"args": vars(args) | {"out": str(args.out)},
                                                "results": rows}, "report")
    print(table)
    return rows


if __name__ == "__main__":
    main(tyro.cli(Args))
