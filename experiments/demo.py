"""`make demo`: the main job on the embedded default.

1. builds the default catalog, its features and database; saves a gallery and catalog
   statistics under results/demo/;
2. evaluates the reference agents (random, anchor, oracle-attributes) on the test split's
   fixed protocol and writes results/demo/recall_vs_turn.png and results/demo/summary.md.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from agents import REFERENCE_AGENTS
from dialog_env.cache import atomic_write_json, atomic_write_text
from dialog_env.catalog import load_synthetic, save_gallery
from dialog_env.database import RetrievalDB
from dialog_env.item_space import build_item_space
from experiments.common import machine
from experiments.evaluate import Args as EvalArgs
from experiments.evaluate import evaluate
from experiments.plot import plot
from experiments.summary import recall_table


@dataclass
class Args:
    """Arguments of the demo."""

    n_items: int = 10_000
    """Catalog size."""
    seed: int = 0
    """Catalog seed."""
    image_size: int = 64
    """Rendered image size in pixels."""
    out: Path = Path("results/demo")
    """Output folder."""
    episodes: int = 500
    """Evaluation dialogs per seed."""
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    """Evaluation seeds."""


def main(args: Args) -> dict:
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    catalog = load_synthetic(args.n_items, args.seed, args.image_size)
    t_catalog = time.perf_counter() - t0
    space = build_item_space(catalog)
    t_features = time.perf_counter() - t0 - t_catalog
    db = RetrievalDB(space.matrix)
    db.save(Path(catalog.meta["cache_dir"]) / "db-pixels128-attributes-flat")
    t_total = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
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
    atomic_write_json(args.out / "catalog_stats.json", summary)
    if t_total > 2:  # freshly built (not loaded from the cache): record the build time
        atomic_write_text(args.out / "catalog.md", (
            f"Default catalog: {summary['items']:,} items "
            f"({', '.join(f'{k} {v:,}' for k, v in summary['categories'].items())}), "
            f"{summary['attribute_values']} attribute values in "
            f"{len(summary['attribute_types'])} types, "
            f"{summary['mean_attributes_per_item']:.1f} values per item; splits "
            f"{', '.join(f'{k} {v:,}' for k, v in summary['splits'].items())}. "
            f"Built from scratch in **{t_total:.1f} s** ({t_catalog:.1f} s attributes + "
            f"{args.image_size}px images, {t_features:.1f} s features + database) on "
            f"{machine()['machine']} with {os.cpu_count()} cores.\n"))
    print(f"catalog: {summary['items']} items, {summary['attribute_values']} attribute values, "
          f"splits {summary['splits']}, categories {summary['categories']}")
    print(f"built in {t_catalog:.1f} s (catalog) + {t_features:.1f} s (features, database)"
          + (" [loaded from cache]" if t_total < 2 else ""))
    print(f"gallery: {gallery}; statistics: {args.out / 'catalog_stats.json'}")
    evaluate_reference_agents(args)
    return summary


def evaluate_reference_agents(args: Args) -> list[dict]:
    results = []
    for agent in REFERENCE_AGENTS:
        results.append(evaluate(EvalArgs(agent=agent, split="test", episodes=args.episodes,
                                         seeds=args.seeds, n_items=args.n_items,
                                         catalog_seed=args.seed, out=args.out / "eval")))
    plot([args.out / "eval" / f"{a}.json" for a in REFERENCE_AGENTS],
         args.out / "recall_vs_turn.png", k=10, title="Reference agents, test split")
    table = recall_table(results)
    text = (f"# Demo: reference agents on FashionDialog-v0 (test split)\n\n"
            f"{args.episodes} dialogs x {len(args.seeds)} seeds, 10 turns, {args.n_items:,} "
            f"items. Recall@K in %, 95% bootstrap CIs; t0 is before the first query.\n"
            f"`oracle-attributes` cheats (reads the structured mentions).\n\n{table}")
    atomic_write_text(args.out / "summary.md", text)
    print(text)
    return results


if __name__ == "__main__":
    main(tyro.cli(Args))
