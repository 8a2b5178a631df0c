"""`make demo`: the main job on the embedded default.

1. builds the default catalog, its features and database; saves a gallery and catalog
   statistics under results/demo/;
2. evaluates the reference agents (random, anchor, oracle-attributes) on the test split's
   fixed protocol;
3. trains a small but honest suite — guo-gru, st-lstm, fashionntm, supervised on-policy
   for `--train-steps` batches each (checkpoints under runs/demo/) — evaluates them on the
   same protocol, and writes results/demo/recall_vs_turn.png and results/demo/summary.md.
Full budgets and every agent are `experiments.suite`'s job.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from agents import REFERENCE_AGENTS
from dialog_env.cache import atomic_write_text
from dialog_env.catalog import load_synthetic, save_gallery
from dialog_env.config import EnvConfig
from dialog_env.factory import make_world
from experiments.common import machine, read_results, with_episode, write_results
from experiments.evaluate import Args as EvalArgs
from experiments.evaluate import evaluate
from experiments.plot import plot
from experiments.summary import recall_table
from experiments.train import Args as TrainArgs
from experiments.train import main as train_main

T_START = time.perf_counter()


@dataclass
class Args:
    """Arguments of the demo."""

    env: EnvConfig = field(default_factory=EnvConfig)
    """The environment (the default embedded catalog unless changed)."""
    out: Path = Path("results/demo")
    """Output folder."""
    episodes: int = 500
    """Evaluation dialogs per seed."""
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    """Evaluation seeds."""
    agents: list[str] = field(default_factory=lambda: ["guo-gru", "st-lstm", "fashionntm"])
    """Learned agents to train ([] to skip training)."""
    train_steps: int = 150
    """Supervised training batches per agent."""
    batch: int = 32
    """Dialogs per training batch."""
    device: str = "auto"
    """Training device: auto (CUDA when available), cpu or cuda."""
    runs: Path = Path("runs/demo")
    """Checkpoints of the trained agents."""
    quiet: bool = False
    """No progress bars."""


def main(args: Args) -> dict:
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    c = args.env.catalog
    catalog = load_synthetic(c.n_items, c.seed, c.image_size)
    t_catalog = time.perf_counter() - t0
    world = make_world(args.env)  # features, item space, database and shopper
    space = world.space
    t_features = time.perf_counter() - t0 - t_catalog
    t_total = time.perf_counter() - t0
    rng = np.random.default_rng(c.seed)
    picks = np.concatenate([rng.choice(catalog.indices("train", c), 8, replace=False)
                            for c in catalog.categories])
    gallery = save_gallery(catalog, picks, args.out / "gallery.png")
    stats = catalog.statistics()
    summary = {k: v for k, v in stats.items() if k != "value_counts"}
    counts = sorted(stats["value_counts"].items(), key=lambda kv: -kv[1])
    summary.update({
        "most_frequent_values": counts[:10], "least_frequent_values": counts[-10:],
        "item_space_dim": space.dim, "seconds_catalog": round(t_catalog, 2),
        "seconds_features": round(t_features, 2), "seconds_total": round(t_total, 2),
        "cache_dir": catalog.meta["cache_dir"],
    })
    write_results(args.out / "catalog_stats.json", summary, "report")
    if t_total > 2:  # freshly built (not loaded from the cache): record the build time
        atomic_write_text(args.out / "catalog.md", (
            f"Default catalog: {summary['items']:,} items "
            f"({', '.join(f'{k} {v:,}' for k, v in summary['categories'].items())}), "
            f"{summary['attribute_values']} attribute values in "
            f"{len(summary['attribute_types'])} types, "
            f"{summary['mean_attributes_per_item']:.1f} values per item; splits "
            f"{', '.join(f'{k} {v:,}' for k, v in summary['splits'].items())}. "
            f"Built from scratch in **{t_total:.1f} s** ({t_catalog:.1f} s attributes + "
            f"{c.image_size}px images, {t_features:.1f} s features + database) on "
            f"{machine()['machine']} with {os.cpu_count()} cores.\n"))
    print(f"catalog: {summary['items']} items, {summary['attribute_values']} attribute values, "
          f"splits {summary['splits']}, categories {summary['categories']}")
    print(f"built in {t_catalog:.1f} s (catalog) + {t_features:.1f} s (features, database)"
          + (" [loaded from cache]" if t_total < 2 else ""))
    print(f"gallery: {gallery}; statistics: {args.out / 'catalog_stats.json'}")
    results = evaluate_reference_agents(args)
    results += train_agents(args)
    names = [r["agent"] for r in results]
    plot([args.out / "eval" / f"{a}.json" for a in names], args.out / "recall_vs_turn.png",
         k=10, title="make demo: test split")
    table = recall_table(results)
    trained = [r for r in results if "train_seconds" in r]
    train_lines = "".join(
        f"- `{r['agent']}`: {args.train_steps} supervised batches of {args.batch} dialogs in "
        f"{r['train_seconds']:.0f} s on {r['device']}\n" for r in trained)
    text = (f"# make demo: FashionDialog-v0, test split\n\n"
            f"{args.episodes} dialogs x {len(args.seeds)} seeds, "
            f"{args.env.episode.max_turns} turns, {c.n_items:,} "
            f"items. Recall@K in %, 95% bootstrap CIs; t1 is after the first query.\n"
            f"`oracle-attributes` cheats (reads the structured mentions). The learned agents "
            f"are trained briefly (demo budgets); `experiments.suite` has full budgets.\n\n"
            f"{table}\n{train_lines}")
    atomic_write_text(args.out / "summary.md", text)
    print(text)
    print(f"make demo finished in {time.perf_counter() - T_START:.0f} s "
          f"(this process; results in {args.out})")
    return summary


def evaluate_reference_agents(args: Args) -> list[dict]:
    return [evaluate(EvalArgs(agent=agent, env=with_episode(args.env, split="test"),
                              episodes=args.episodes, seeds=args.seeds, out=args.out / "eval"))
            for agent in REFERENCE_AGENTS]


def train_agents(args: Args) -> list[dict]:
    """Train each demo agent briefly and evaluate it on the reference agents' protocol."""
    results = []
    for name in args.agents:
        res = train_main(TrainArgs(
            agent=name, learners=["supervised"], steps=[args.train_steps], batch=args.batch,
            device=args.device, env=with_episode(args.env, split="train"),
            eval_episodes=args.episodes, eval_seeds=args.seeds,
            checkpoint_every=max(25, args.train_steps // 3), out=args.runs / name,
            quiet=args.quiet))
        ev = read_results(res["eval"])
        ev["train_seconds"], ev["device"] = res["train_seconds"], res["device"]
        ev = write_results(args.out / "eval" / f"{name}.json", ev, "evaluation")
        results.append(ev)
    return results


if __name__ == "__main__":
    main(tyro.cli(Args))
