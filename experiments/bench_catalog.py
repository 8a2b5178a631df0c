"""Catalog build times: the default 10k catalog from scratch (attributes, rendered images,
features, database) and attributes + all titles at larger sizes (no images).

    python -m experiments.bench_catalog --sizes 100000 1000000
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.catalog import load_synthetic
from dialog_env.database import RetrievalDB
from dialog_env.item_space import build_item_space
from experiments.common import machine


@dataclass
class Args:
    """Catalog build-time benchmark."""

    base_items: int = 10_000
    """Size of the catalog built with images, features and database."""
    sizes: list[int] = field(default_factory=lambda: [100_000, 1_000_000])
    """Catalog sizes for attributes + titles (no images)."""
    out: Path = Path("results/bench")
    """Output folder (bench_catalog.md)."""


def main(args: Args) -> str:
    old_cache = os.environ.get("FASHION_DIALOG_CACHE")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["FASHION_DIALOG_CACHE"] = tmp  # from scratch, never the user's cache
            t0 = time.perf_counter()
            catalog = load_synthetic(args.base_items, seed=0, image_size=64, progress=False)
            t_cat = time.perf_counter() - t0
            space = build_item_space(catalog, progress=False)
            RetrievalDB(space.matrix)
            t_all = time.perf_counter() - t0
            lines = [f"Catalog build times on {machine()['machine']} with {os.cpu_count()} cores "
                     f"(empty cache).", "",
                     "| catalog | what | seconds |", "|---|---|---:|",
                     f"| {args.base_items:,} items | attributes + 64px images | {t_cat:.1f} |",
                     f"| {args.base_items:,} items | + pixel features + database | {t_all:.1f} |"]
            for n in args.sizes:
                t0 = time.perf_counter()
                big = load_synthetic(n, seed=0, render=False, progress=False)
                t_attr = time.perf_counter() - t0
                t0 = time.perf_counter()
                for _ in big.titles:
                    pass
                t_titles = time.perf_counter() - t0
                lines += [f"| {n:,} items | attributes | {t_attr:.1f} |",
                          f"| {n:,} items | all titles | {t_titles:.1f} |"]
    finally:  # restore the caller's cache
        if old_cache is None:
            os.environ.pop("FASHION_DIALOG_CACHE", None)
        else:
            os.environ["FASHION_DIALOG_CACHE"] = old_cache
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "bench_catalog.md", text)
    print(text)
    return text


if __name__ == "__main__":
    main(tyro.cli(Args))
