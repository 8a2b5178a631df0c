"""Evaluate an agent on the fixed protocol and write per-turn metrics as JSON.

    python -m experiments.evaluate --agent anchor --episodes 1000 --seeds 0 1 2
    python -m experiments.evaluate --agent oracle-attributes --env.items.attribute-weight 0.5 \
        --env.shopper.template.wrong-rate 0.1 --env.episode.split val
    python -m experiments.evaluate --agent mypkg.agents:make --env.shopper.name mypkg.shoppers:make

`--agent` and `--env.shopper.name` also take your own agent or shopper: a name an installed
package declares (entry-point groups `fashion_dialog.agents`, `fashion_dialog.shoppers`) or
`module.path:factory` (importable from PYTHONPATH; `factory(world, seed) -> agent`,
`factory(catalog, config) -> Shopper`); docs/own-agent.md.

`--env.*` is the whole environment configuration (`dialog_env.config.EnvConfig`: catalog,
item space, database, shopper and its noise rates, episode, reward); the split and the turn
budget are `--env.episode.split` (default test) and `--env.episode.max-turns`. Every agent
is evaluated on the same (target, first candidate) pairs: the protocol file is created once
per (catalog, split, episodes, protocol seed), named after all four, and saved next to the
results (a file that does not match them is refused, never reused); the results JSON records
the full configuration, `fashion_dialog_version` and `machine` (its layout:
`experiments/schemas/evaluation.schema.json`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from agents import plugins
from dialog_env.config import EnvConfig, EpisodeConfig
from dialog_env.evaluation import DialogPolicy, run_protocol
from dialog_env.factory import make_world
from dialog_env.metrics import KS, per_turn_metrics
from dialog_env.protocol import load_protocol, make_protocol, protocol_filename, save_protocol
from experiments.common import plain, write_results


@dataclass
class Args:
    """Evaluation of one agent on the fixed protocol."""

    agent: str = "anchor"
    """Agent: random, anchor, oracle-attributes; an installed plugin's name (entry-point
    group fashion_dialog.agents); module.path:factory, your factory(world, seed) -> agent;
    or a label for --checkpoint."""
    checkpoint: Path | None = None
    """A trained agent's checkpoint folder (e.g. runs/train/final); overrides --agent."""
    device: str = "auto"
    """Device of a trained agent: auto, cpu or cuda."""
    env: EnvConfig = field(default_factory=lambda: EnvConfig(episode=EpisodeConfig(
        split="test")))
    """The environment (split and turn budget: env.episode)."""
    episodes: int = 1000
    """Dialogs per seed (the protocol's length)."""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """Simulator/agent seeds; dialogs of all seeds are pooled for the confidence intervals."""
    protocol_seed: int = 0
    """Seed of the (target, first candidate) list."""
    out: Path = Path("results/eval")
    """Output folder: <out>/<agent>.json (characters other than letters, digits, '.', '_'
    and '-' written as '-': mypkg.agents-make.json) and
    <out>/protocol-<catalog>-<split>-....json."""
    quiet: bool = False
    """No progress bars."""


def check_args(args: Args) -> None:
    """Refuse arguments that cannot give a result, before any work starts."""
    if args.episodes < 1:
        raise SystemExit(f"--episodes must be >= 1, got {args.episodes}")
    if not args.seeds:
        raise SystemExit("--seeds is empty; give at least one evaluation seed")


def result_file(agent: str) -> str:
    """The results file name of `agent` (`mypkg.agents:make` -> `mypkg.agents-make.json`)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", agent) + ".json"


def evaluate(args: Args, agent_factory: Callable[[int], DialogPolicy] | None = None) -> dict:
    """Run `args.agent` (a name `agents.plugins.agent_factory` resolves), or the agents
    `agent_factory(seed)` makes, labelled `args.agent`, and write `<out>/<agent>.json`."""
    check_args(args)
    named = None if agent_factory is not None else resolve_agent(args.agent)
    world = make_world(args.env, progress=not args.quiet)
    split, turns = args.env.episode.split, args.env.episode.max_turns
    args.out.mkdir(parents=True, exist_ok=True)
    proto_file = args.out / protocol_filename(world.catalog, split, args.episodes,
                                              args.protocol_seed)
    if proto_file.exists():
        protocol = load_protocol(proto_file, world.catalog, split=split,
                                 n_dialogs=args.episodes)
    else:
        protocol = make_protocol(world.catalog, split, args.episodes, args.protocol_seed)
        save_protocol(protocol, proto_file)
    factory = agent_factory or (lambda seed: plugins.check_agent(named(world, seed), args.agent))
    all_ranks, per_seed, seconds = [], {}, []
    t0 = time.perf_counter()
    for seed in args.seeds:
        run = run_protocol(world, factory(seed), protocol["pairs"], split=split,
                           max_turns=turns, seed=seed, progress=not args.quiet)
        all_ranks.append(run["ranks"])
        seconds.append(run["policy_seconds_per_dialog"])
        m = per_turn_metrics(run["ranks"], world.n_items, n_boot=200, seed=seed)
        per_seed[str(seed)] = {f"recall@{k}": m["per_turn"][f"recall@{k}"]["mean"] for k in KS}
    ranks = np.concatenate(all_ranks)
    result = {
        "agent": args.agent, "split": split, "env": args.env.to_dict(), "seeds": args.seeds,
        "episodes_per_seed": args.episodes, "protocol": str(proto_file),
        "metrics": per_turn_metrics(ranks, world.n_items), "per_seed": per_seed,
        "inference_seconds_per_dialog": float(np.mean(seconds)),
        "wall_seconds": time.perf_counter() - t0,
        "world": world.describe(), "args": plain(args),
    }
    path = args.out / result_file(args.agent)
    result = write_results(path, result, "evaluation")
    last = result["metrics"]["per_turn"]
    print(f"{args.agent}: R@10 at turn {turns} = {last['recall@10']['mean'][-1]:.3f} "
          f"[{last['recall@10']['lo'][-1]:.3f}, {last['recall@10']['hi'][-1]:.3f}] -> {path}")
    return result


def resolve_agent(name: str) -> plugins.AgentFactory:
    """The factory of agent `name`, or `SystemExit` saying what names are known."""
    try:
        return plugins.agent_factory(name)
    except ValueError as e:
        raise SystemExit(f"{e}; or a trained agent's --checkpoint PATH") from None


def checkpoint_factory(path: Path, device: str):
    from agents.checkpoint import load_checkpoint
    from agents.policy import TorchPolicy, resolve_device

    dev = resolve_device(device)
    agent, _ = load_checkpoint(path, dev)
    return agent.config.name, (lambda seed: TorchPolicy(agent, dev))


if __name__ == "__main__":
    args = tyro.cli(Args)
    check_args(args)
    if args.checkpoint is not None:
        name, factory = checkpoint_factory(args.checkpoint, args.device)
        if args.agent == "anchor":  # the default: label results with the trained agent's name
            args.agent = name
        evaluate(args, factory)
    else:
        evaluate(args)
