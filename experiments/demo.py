"""`make demo`: build the embedded catalog, its features and database; save a gallery and
catalog statistics under results/demo/."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_json
from dialog_env.catalog import load_synthetic, save_gallery
from dialog_env.database import RetrievalDB
from dialog_env.item_space import build_item_space


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
    print(json.dumps(summary, indent=1))
    print(f"gallery: {gallery}")
    return summary


if __name__ == "__main__":
    main(tyro.cli(Args))
