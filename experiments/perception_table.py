"""How perception alone changes the picture: the same agents' recall in suites run with
different `--env.items.perception`, side by side.

    python -m experiments.perception_table results/suite-template results/suite-ground_truth \
        results/suite-pixels --out results/suite-template/perception.md

Reads each folder's `summary.json` (written by `experiments.suite`) and writes one table:
an agent per row, R@5 and R@10 at the last turn (95% CIs) per world, and the training
seeds behind each number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write_text
from experiments.common import read_results
from experiments.summary import ci_cell


@dataclass
class Args:
    suites: tyro.conf.Positional[list[Path]]
    """Suite output folders (each with summary.json)."""
    out: Path = Path("results/suite-template/perception.md")


def world_name(summary: dict) -> str:
    items = summary["args"]["env"]["items"]
    return f"{items['perception']} (w {items['attribute_weight']:g})"


def perception_table(summaries: list[dict]) -> str:
    worlds = [world_name(s) for s in summaries]
    turns = {s["args"]["env"]["episode"]["max_turns"] for s in summaries}
    if len(turns) != 1:
        raise ValueError(f"the suites have different turn budgets {sorted(turns)}; compare "
                         f"suites run with the same --env.episode.max-turns")
    last = turns.pop()
    agents = list(dict.fromkeys(a for s in summaries for a in s["results"]
                                if "-C" not in a))
    head = ["agent"] + [f"{w}: R@{k} t{last}" for w in worlds for k in (5, 10)] + ["seeds"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for a in agents:
        cells, seeds = [a], []
        for s in summaries:
            r = s["results"].get(a)
            if r is None:
                cells += ["", ""]
                seeds.append("-")
                continue
            p = r["metrics"]["per_turn"]
            cells += [ci_cell(p["recall@5"], last), ci_cell(p["recall@10"], last)]
            seeds.append(str(len(r.get("seeds", [0]))))
        lines.append("| " + " | ".join(cells + [" / ".join(seeds)]) + " |")
    steps = {" + ".join(map(str, s["args"]["steps"])) + f" x {s['args']['batch']}"
             for s in summaries}
    intro = (f"Recall in %, 95% bootstrap CIs, {last} turns; every agent trained with the "
             f"same budget ({', '.join(sorted(steps))} dialogs) in each world; `seeds`: "
             f"training seeds per world ({' / '.join(worlds)}).")
    return intro + "\n\n" + "\n".join(lines) + "\n"


def main(args: Args) -> str:
    text = perception_table([read_results(Path(p) / "summary.json") for p in args.suites])
    atomic_write_text(args.out, text)
    print(text)
    return text


if __name__ == "__main__":
    main(tyro.cli(Args))
