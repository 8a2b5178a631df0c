"""Markdown tables from evaluation result files (used by the demo and the suite)."""

from __future__ import annotations

from collections.abc import Sequence


def ci_cell(m: dict, t: int) -> str:
    """`mean [lo, hi]` in percent of a per-turn metric with CIs at turn `t`."""
    return f"{100 * m['mean'][t]:.1f} [{100 * m['lo'][t]:.1f}, {100 * m['hi'][t]:.1f}]"


def recall_table(results: Sequence[dict], turns: Sequence[int] = (1, 3, 5, 10),
                 ks: Sequence[int] = (5, 10)) -> str:
    """One row per agent: recall@K at the given turns with 95% CIs, final percentile."""
    head = ["agent"] + [f"R@{k} t{t}" for t in turns for k in ks] + ["percentile (last)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in results:
        per_turn = r["metrics"]["per_turn"]
        cells = [r["agent"]]
        for t in turns:
            for k in ks:
                m = per_turn[f"recall@{k}"]
                if t >= len(m["mean"]):
                    cells.append("")
                    continue
                cells.append(ci_cell(m, t))
        cells.append(f"{100 * per_turn['rank_percentile']['mean'][-1]:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
