"""Plot recall@K vs turn (with 95% CI bands) for several result files, and recall vs K at
the last turn.

    python -m experiments.plot results/eval/*.json --k 10 --out results/eval/recall.png
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import tyro  # noqa: E402

from dialog_env.cache import atomic_write  # noqa: E402
from dialog_env.metrics import KS  # noqa: E402
from experiments.common import read_json  # noqa: E402


@dataclass
class Args:
    """Recall curves from evaluation result files."""

    results: tyro.conf.Positional[list[Path]]
    """Result JSON files written by experiments.evaluate (or suite)."""
    k: int = 10
    """K of the recall@K-vs-turn panel."""
    out: Path = Path("results/recall_vs_turn.png")
    """Output PNG."""
    title: str = "FashionDialog-v0"
    """Figure title."""


def plot(results: list[Path], out: Path, k: int = 10, title: str = "FashionDialog-v0") -> Path:
    runs = [read_json(p) for p in results]
    if not runs:
        raise ValueError("no result files given")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run in runs:
        per_turn = run["metrics"]["per_turn"]
        key = f"recall@{k}"
        if key not in per_turn:
            raise ValueError(f"result of {run.get('agent')!r} has no {key}; available: "
                             f"{sorted(x for x in per_turn if x.startswith('recall'))}")
        r = per_turn[key]
        turns = list(range(len(r["mean"])))
        line, = ax1.plot(turns, r["mean"], marker="o", ms=3, label=run["agent"])
        ax1.fill_between(turns, r["lo"], r["hi"], alpha=0.2, color=line.get_color())
        ks = [kk for kk in KS if f"recall@{kk}" in per_turn]
        means = [per_turn[f"recall@{kk}"]["mean"][-1] for kk in ks]
        lo = [per_turn[f"recall@{kk}"]["lo"][-1] for kk in ks]
        hi = [per_turn[f"recall@{kk}"]["hi"][-1] for kk in ks]
        ax2.plot(ks, means, marker="o", ms=3, color=line.get_color(), label=run["agent"])
        ax2.fill_between(ks, lo, hi, alpha=0.2, color=line.get_color())
    ax1.set(xlabel="dialog turn", ylabel=f"recall@{k}", title=f"recall@{k} per turn",
            ylim=(0, 1.02))
    ax2.set(xlabel="K", ylabel="recall@K", title="recall@K at the last turn", xscale="log",
            ylim=(0, 1.02))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return out


if __name__ == "__main__":
    a = tyro.cli(Args)
    print(plot(a.results, a.out, a.k, a.title))
