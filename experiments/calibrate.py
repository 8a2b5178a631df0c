"""Calibrating the default world: train one agent in a candidate world, evaluate it and the
reference agents on the test split, and keep a table of every candidate measured.

    python -m experiments.calibrate --agent fiq-gru --steps 200 --batch 32 \
        --env.items.perception attrnet --env.items.attribute-weight 0.3

Each run appends one row (the world's settings, the agent's and `anchor`'s and the
oracle's R@10 per turn, the training time) to `<out>/candidates.jsonl` and rewrites
`<out>/candidates.md` from all rows, with the three goals of the default world checked:
the learned agent's R@10 at the last turn at most 90% and at least 3x `anchor`'s, and
rising from turn 5 to the last turn.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.config import EnvConfig
from experiments.common import stamped, with_episode
from experiments.suite_report import goals_met


@dataclass
class Args:
    """One candidate world for the default."""

    agent: str = "fiq-gru"
    """Learned agent to train (supervised)."""
    steps: int = 200
    batch: int = 32
    episodes: int = 500
    """Test dialogs of the fixed protocol."""
    seed: int = 0
    threads: int = 0
    """Torch CPU threads (0: torch's default)."""
    env: EnvConfig = field(default_factory=EnvConfig)
    out: Path = Path("results/calibration")
    """Where the candidates table goes."""
    runs: Path = Path("runs/calibration")
    """Where the training checkpoints go."""
    quiet: bool = False


def recall(ranks: np.ndarray, k: int) -> list[float]:
    """R@k in % at turns 1..T."""
    return [round(100 * float((ranks[:, t] < k).mean()), 1) for t in range(1, ranks.shape[1])]


def goals(row: dict) -> dict[str, bool]:
    """The default world's goals (`experiments.suite_report.goals_met`) for one measured
    candidate."""
    r = row["R@10"]
    return goals_met(r[-1], r[4] if len(r) > 5 else None, row["anchor"][-1])


def table(rows: list[dict]) -> str:
    lines = ["| agent | perception | w | turns | steps x batch | train s | anchor R@10 last | "
             "oracle R@10 last | agent R@10 t5 | agent R@10 last | agent R@5 last | goals |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        met = goals(r)
        said = "all met" if all(met.values()) else "missed: " + ", ".join(
            k for k, v in met.items() if not v)
        t5 = r["R@10"][4] if len(r["R@10"]) > 4 else float("nan")
        lines.append(f"| {r['agent']} | {r['perception']} | {r['w']:g} | {r['turns']} | "
                     f"{r['steps']} x {r['batch']} | {r['train_s']} | {r['anchor'][-1]:.1f} | "
                     f"{r['oracle-attributes'][-1]:.1f} | {t5:.1f} | {r['R@10'][-1]:.1f} | "
                     f"{r['R@5'][-1]:.1f} | {said} |")
    return "\n".join(lines) + "\n"


def main(args: Args) -> dict:
    import torch

    from agents.learners import LearnerConfig, train
    from agents.model import DialogAgent
    from agents.policy import TorchPolicy, config_for_world
    from agents.reference import AnchorAgent, OracleAttributesAgent
    from dialog_env.evaluation import run_protocol
    from dialog_env.factory import make_world
    from dialog_env.protocol import make_protocol

    if args.threads:
        torch.set_num_threads(args.threads)
    turns = args.env.episode.max_turns
    world = make_world(with_episode(args.env, split="train"), progress=not args.quiet)
    pairs = make_protocol(world.catalog, "test", args.episodes, seed=0)["pairs"]
    items = args.env.items
    row: dict = {"agent": args.agent, "steps": args.steps, "batch": args.batch,
                 "turns": turns, "w": items.attribute_weight, "perception": items.perception,
                 "env": args.env.to_dict()}
    for ref in (AnchorAgent(), OracleAttributesAgent()):
        ranks = run_protocol(world, ref, pairs, max_turns=turns, progress=False)["ranks"]
        row[ref.name] = recall(ranks, 10)
    agent = DialogAgent.from_seed(config_for_world(args.agent, world), args.seed)
    t0 = time.perf_counter()
    name = f"{args.agent}-{items.perception}-w{items.attribute_weight:g}-t{turns}"
    train(agent, world, [("supervised", LearnerConfig(steps=args.steps, batch=args.batch,
                                                      turns=turns,
                                                      checkpoint_every=args.steps))],
          args.runs / name, seed=args.seed, device=torch.device("cpu"),
          progress=not args.quiet)
    row["train_s"] = round(time.perf_counter() - t0)
    ranks = run_protocol(world, TorchPolicy(agent, "cpu"), pairs, max_turns=turns,
                         progress=False)["ranks"]
    row["R@10"], row["R@5"] = recall(ranks, 10), recall(ranks, 5)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "candidates.jsonl", "a") as f:
        f.write(json.dumps(stamped(row, "report")) + "\n")
    rows = [json.loads(x) for x in (args.out / "candidates.jsonl").read_text().splitlines()
            if x.strip()]
    atomic_write_text(args.out / "candidates.md", table(rows))
    print(table(rows))
    return row


if __name__ == "__main__":
    main(tyro.cli(Args))
