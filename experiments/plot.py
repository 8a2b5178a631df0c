"""Plot recall@K vs turn (with 95% CI bands) for several result files, and recall vs K at
the last turn.

    python -m experiments.plot results/eval/*.json --k 10 --out results/eval/recall.png

Protocol files among the inputs (evaluate writes them next to the results) are skipped with
a note; any other file that is not an evaluation result is an error naming it. The figure
is written in the format its suffix names (png, pdf, svg, ...).
"""

from __future__ import annotations

import sys
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
    """Output figure; its suffix picks the format (png, pdf, svg, ...)."""
    title: str = "FashionDialog-v0"
    """Figure title."""


def figure_format(out: Path) -> str:
    """The matplotlib format named by `out`'s suffix; a ValueError for an unknown one."""
    formats = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in formats:
        raise ValueError(f"--out {out}: unknown figure format {fmt or '(no suffix)'!r}; use "
                         f"one of {sorted(formats)}")
    return fmt


def read_results(results: list[Path]) -> list[dict]:
    """The evaluation results among `results`: protocol files are skipped with a note on
    stderr; anything else that is not a result is a ValueError naming the file."""
    runs = []
    for path in results:
        data = read_json(path)
        if isinstance(data, dict) and "pairs" in data and "metrics" not in data:
            print(f"plot: skipping {path} (an evaluation protocol, not a result)",
                  file=sys.stderr)
            continue
        per_turn = data.get("metrics", {}).get("per_turn") if isinstance(data, dict) else None
        if not isinstance(per_turn, dict):
            got = (f"an object with keys {sorted(data)[:8]}" if isinstance(data, dict)
                   else f"a JSON {type(data).__name__}")
            raise ValueError(f"{path}: not an evaluation result (expected an object with "
                             f"metrics.per_turn, as experiments.evaluate writes; got {got})")
        runs.append({**data, "agent": str(data.get("agent", Path(path).stem)),
                     "file": str(path)})
    if not runs:
        raise ValueError(f"no evaluation result files among {[str(p) for p in results]}")
    return runs


def plot(results: list[Path], out: Path, k: int = 10, title: str = "FashionDialog-v0") -> Path:
    out = Path(out)
    fmt = figure_format(out)
    runs = read_results(results)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run in runs:
        per_turn = run["metrics"]["per_turn"]
        key = f"recall@{k}"
        if key not in per_turn:
            plt.close(fig)
            raise ValueError(f"{run['file']}: result of {run['agent']!r} has no {key}; "
                             f"available: "
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
    atomic_write(out, lambda p: fig.savefig(p, dpi=110, format=fmt))
    plt.close(fig)
    return out


if __name__ == "__main__":
    a = tyro.cli(Args)
    print(plot(a.results, a.out, a.k, a.title))
