"""Plot recall@K vs turn (with 95% CI bands) for several result files, and recall vs K at
the last turn.

    python -m experiments.plot results/eval/*.json --k 10 --out results/eval/recall.png

Protocol files among the inputs (evaluate writes them next to the results) are skipped with
a note; any other file that is not an evaluation result is an error naming it. The figure
is written in the format its suffix names (png, pdf, svg, ...).

The title's second line says which world the dialogs were in (perception, shopper, catalog
size, split) and how many dialogs each agent was scored on, from what the result files
record (values that differ between files are listed with " / "). Every agent has one colour
in every plot (`agent_colour`, a function of its name only); the cheating oracle
(`oracle-attributes` reads the hidden target's attributes) is dashed and labelled as such.
The recall-vs-K panel is log-x with ticks at the K the results hold (1, 5, 8, 10, 50).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import tyro  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from dialog_env.cache import atomic_write  # noqa: E402
from dialog_env.metrics import KS  # noqa: E402
from experiments.common import read_results as read_results_file  # noqa: E402

# One fixed colour per agent the project ships, so an agent looks the same in every plot
# whatever else is drawn with it (tab20 colours, none repeated).
AGENT_COLOURS: dict[str, str] = {
    "random": "#7f7f7f", "anchor": "#bcbd22", "oracle-attributes": "#000000",
    "guo-gru": "#1f77b4", "fiq-gru": "#ff7f0e", "fiq-gru-attention": "#2ca02c",
    "fiq-gru-minilm": "#98df8a", "st-avg": "#d62728", "st-ewma": "#9467bd",
    "st-lstm": "#8c564b", "fashionntm": "#e377c2", "vanilla-ntm": "#17becf",
}
# Other agents (plugins, sweeps) get one of these, picked by a hash of the name.
OTHER_COLOURS: tuple[str, ...] = ("#aec7e8", "#ffbb78", "#ff9896", "#c5b0d5", "#c49c94",
                                  "#f7b6d2", "#dbdb8d", "#9edae5", "#c7c7c7")
# Agents that read what no deployable agent can (agents.reference.OracleAttributesAgent
# reads the hidden target's attributes): drawn dashed and labelled as cheating.
CHEATING_AGENTS: frozenset[str] = frozenset({"oracle-attributes"})
UNRECORDED = "unrecorded"


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
        data = read_results_file(path)
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


def agent_colour(name: str) -> str:
    """The colour of agent `name` in every plot: its entry in AGENT_COLOURS, else one of
    OTHER_COLOURS chosen by a SHA-256 of the name (the same in every process and plot;
    two unlisted names may share one)."""
    if name in AGENT_COLOURS:
        return AGENT_COLOURS[name]
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return OTHER_COLOURS[int.from_bytes(digest[:4], "big") % len(OTHER_COLOURS)]


def agent_label(name: str) -> str:
    """The legend label: the name, marked when the agent cheats."""
    return f"{name} (cheating oracle)" if name in CHEATING_AGENTS else name


def _values(values: Sequence, fmt=str) -> str:
    """Distinct values in first-seen order joined by " / " (UNRECORDED for None)."""
    seen = list(dict.fromkeys(values))
    return " / ".join(UNRECORDED if v is None else fmt(v) for v in seen)


def world_line(runs: Sequence[dict]) -> str:
    """`perception P · shopper S · N items · SPLIT split · D dialogs per agent` from what
    the results record (`env`, `split`, `world`, `metrics`); UNRECORDED where a file does
    not say (files the suite wrote before it recorded its environment)."""
    rows = []
    for run in runs:
        env, world, metrics = run.get("env") or {}, run.get("world") or {}, run["metrics"]
        rows.append({
            "perception": env.get("items", {}).get("perception", world.get("perception")),
            "shopper": env.get("shopper", {}).get("name", world.get("shopper")),
            "n_items": env.get("catalog", {}).get("n_items", metrics.get("n_items")),
            "split": run.get("split", env.get("episode", {}).get("split")),
            "dialogs": metrics.get("episodes"),
        })

    def col(key: str, fmt=str) -> str:
        return _values([r[key] for r in rows], fmt)

    return (f"perception {col('perception')} · shopper {col('shopper')} · "
            f"{col('n_items', '{:,}'.format)} items · {col('split')} split · "
            f"{col('dialogs', '{:,}'.format)} dialogs per agent")


def recall_figure(runs: Sequence[dict], k: int = 10,
                  title: str = "FashionDialog-v0") -> Figure:
    """recall@k per turn (left) and recall@K at the last turn over K, log-x (right), of the
    evaluation results `runs` (dicts as experiments.evaluate writes; `agent` names each,
    `file` where it came from, for errors). The caller closes the figure."""
    if not runs:
        raise ValueError("no results to plot")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    key = f"recall@{k}"
    ticks: set[int] = set()
    for run in runs:
        per_turn = run["metrics"]["per_turn"]
        name = str(run["agent"])
        if key not in per_turn:
            plt.close(fig)
            raise ValueError(f"{run.get('file', name)}: result of {name!r} has no {key}; "
                             f"available: "
                             f"{sorted(x for x in per_turn if x.startswith('recall'))}")
        style = {"color": agent_colour(name), "label": agent_label(name),
                 "linestyle": "--" if name in CHEATING_AGENTS else "-"}
        r = per_turn[key]
        turns = list(range(len(r["mean"])))
        ax1.plot(turns, r["mean"], marker="o", ms=3, **style)
        ax1.fill_between(turns, r["lo"], r["hi"], alpha=0.2, color=style["color"])
        ks = [kk for kk in KS if f"recall@{kk}" in per_turn]
        ticks.update(ks)
        means = [per_turn[f"recall@{kk}"]["mean"][-1] for kk in ks]
        lo = [per_turn[f"recall@{kk}"]["lo"][-1] for kk in ks]
        hi = [per_turn[f"recall@{kk}"]["hi"][-1] for kk in ks]
        ax2.plot(ks, means, marker="o", ms=3, **style)
        ax2.fill_between(ks, lo, hi, alpha=0.2, color=style["color"])
    ax1.set(xlabel="dialog turn", ylabel=f"recall@{k}", title=f"recall@{k} per turn",
            ylim=(0, 1.02))
    ax2.set(xlabel="K", ylabel="recall@K", title="recall@K at the last turn", xscale="log",
            ylim=(0, 1.02))
    ax2.set_xticks(sorted(ticks), [str(t) for t in sorted(ticks)])
    ax2.xaxis.set_minor_locator(NullLocator())
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    fig.suptitle(f"{title}\n{world_line(runs)}", fontsize=11)
    fig.tight_layout()
    return fig


def plot(results: list[Path], out: Path, k: int = 10, title: str = "FashionDialog-v0") -> Path:
    """Draw the result files `results` (`recall_figure`) into `out`."""
    out = Path(out)
    fmt = figure_format(out)
    fig = recall_figure(read_results(results), k, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(out, lambda p: fig.savefig(p, dpi=110, format=fmt))
    finally:
        plt.close(fig)
    return out


if __name__ == "__main__":
    a = tyro.cli(Args)
    print(plot(a.results, a.out, a.k, a.title))
