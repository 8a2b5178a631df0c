"""The comparison of the seed papers on the embedded catalog.

    python -m experiments.suite --out results/suite --seeds 0 1 2 --steps 400 --batch 32 --workers 2

Trains every agent (guo-gru, fiq-gru, fiq-gru-attention, st-avg, st-ewma, st-lstm,
fashionntm, vanilla-ntm) with several seeds, evaluates each on the test split's fixed
protocol, and writes `<out>/summary.md` + `summary.json` and two plots: recall@10 vs turn
for all agents (with the reference agents) and, as in FashionNTM's Figure 8, recall
(mean of R@5 and R@8 at the last turn) vs inference time per dialog for `fashionntm` with
C in {1, 2, 4, 8} memories and two memory sizes. Jobs run in `--workers` processes.
`--env.*` is the whole environment configuration (`dialog_env.config.EnvConfig`), e.g.
`--env.shopper.template.wrong-rate 0.1 --env.items.perception ground_truth`; agents train on
its train split and are evaluated on its test split, with `--env.episode.max-turns` turns.
`--learners` may list several stages; each needs its own number in `--steps`. Every JSON it
writes names its layout (`results_schema`: suite-summary, suite-agent, suite-job, protocol;
`experiments/schemas/`) and records `fashion_dialog_version` and `machine`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.config import EnvConfig
from experiments.common import memory_size, with_episode, write_results
from experiments.cross_shopper import check_spec, cross_table
from experiments.suite_jobs import (
    Job,
    JobResult,
    collect_jobs,
    run_job,
)
from experiments.suite_report import write_report

AGENTS = ("guo-gru", "fiq-gru", "fiq-gru-attention", "st-avg", "st-ewma", "st-lstm",
          "fashionntm", "vanilla-ntm")


@dataclass
class Args:
    """The agent comparison suite."""

    agents: list[str] = field(default_factory=lambda: list(AGENTS))
    """Learned agents to train."""
    reference: list[str] = field(default_factory=lambda: ["random", "anchor",
                                                          "oracle-attributes"])
    """Reference agents evaluated alongside (also an installed plugin's name or your
    module.path:factory, factory(world, seed) -> agent: docs/own-agent.md)."""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """Training seeds (each trained agent is evaluated with its own seed)."""
    learners: list[str] = field(default_factory=lambda: ["supervised"])
    """Learner stages per agent."""
    steps: list[int] = field(default_factory=lambda: [400])
    """Steps per learner stage (the README's suite: 400 x 32 on a 2-core CPU)."""
    batch: int = 32
    """Dialogs per training batch."""
    episodes: int = 1000
    """Evaluation dialogs (test split protocol)."""
    memories: list[int] = field(default_factory=lambda: [1, 2, 4, 8])
    """fashionntm memory counts C for the recall-vs-time study ([] to skip it)."""
    memory_sizes: list[str] = field(default_factory=lambda: ["8x64", "16x128"])
    """fashionntm memory sizes (slots x width) for the recall-vs-time study."""
    sweep_steps: list[int] | None = None
    """Steps per learner stage for the memory study (default: --steps)."""
    device: str = "auto"
    """auto (CUDA when available), cpu or cuda."""
    workers: int = 1
    """Parallel training processes."""
    threads: int = 0
    """Torch CPU threads per worker (0: cores / workers)."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The environment (dialog turns: env.episode.max_turns)."""
    eval_shoppers: list[str] = field(default_factory=list)
    """Shoppers each trained agent is also evaluated with (name or template:LEXICON, e.g.
    `template template:test`; see experiments.cross_shopper)."""
    out: Path = Path("results/suite")
    """Output folder."""
    title: str = "FashionDialog-v0 suite"
    """Plot title."""
    quiet: bool = False
    """No progress bars."""
    collect: bool = False
    """Train nothing: rebuild the summary from the finished runs under <out>/runs."""


def plan_jobs(args: Args, protocol: Path, threads: int) -> list[Job]:
    """Every agent with every seed, then the memory study's fashionntm variants (first
    seed), longest first (more memories, larger memories), so parallel workers finish
    together."""
    common = dict(batch=args.batch, turns=args.env.episode.max_turns, learners=args.learners,
                  device=args.device, env=with_episode(args.env, split="train"),
                  protocol=str(protocol), threads=threads)
    jobs = [Job(label=agent, agent=agent, seed=seed, overrides={}, steps=args.steps,
                eval_shoppers=args.eval_shoppers,
                run_dir=str(args.out / "runs" / f"{agent}-s{seed}"), **common)
            for agent in args.agents for seed in args.seeds]
    for c in args.memories:
        for size in args.memory_sizes:
            n, m = memory_size(size, "--memory-sizes")
            label = f"fashionntm-C{c}-{size}"
            jobs.append(Job(label=label, agent="fashionntm", seed=args.seeds[0],
                            overrides={"memories": c, "slots": n, "width": m},
                            steps=args.sweep_steps or args.steps, eval_shoppers=[],
                            run_dir=str(args.out / "runs" / f"{label}-s{args.seeds[0]}"),
                            **common))
    return sorted(jobs, key=Job.cost, reverse=True)


def check_args(args: Args) -> None:
    """Refuse arguments that cannot give a result, before any work starts."""
    from agents.learners import LEARNERS
    from agents.model import LEARNED_AGENTS

    if len(args.learners) != len(args.steps) or (
            args.sweep_steps is not None and len(args.sweep_steps) != len(args.learners)):
        raise SystemExit(f"--learners has {len(args.learners)} stages but --steps has "
                         f"{len(args.steps)} (and --sweep-steps "
                         f"{None if args.sweep_steps is None else len(args.sweep_steps)}); "
                         f"give one step budget per stage")
    for name, known, values in (("--agents", LEARNED_AGENTS, args.agents),
                                ("--learners", tuple(LEARNERS), args.learners)):
        bad = [v for v in values if v not in known]
        if bad:
            raise SystemExit(f"{name}: unknown {bad}; expected some of {list(known)}")
    check_reference(args.reference)
    for name, value, least in (("--workers", args.workers, 1), ("--threads", args.threads, 0),
                               ("--batch", args.batch, 1), ("--episodes", args.episodes, 1)):
        if value < least:
            raise SystemExit(f"{name} must be >= {least}, got {value}")
    for name, steps in (("--steps", args.steps), ("--sweep-steps", args.sweep_steps or [])):
        if any(s < 1 for s in steps):
            raise SystemExit(f"{name} must all be >= 1, got {steps}")
    if not args.seeds:
        raise SystemExit("--seeds is empty; give at least one training seed")
    if args.memories and any(c < 1 for c in args.memories):
        raise SystemExit(f"--memories must all be >= 1, got {args.memories}")
    for size in args.memory_sizes:
        memory_size(size, "--memory-sizes")
    for spec in args.eval_shoppers:
        try:
            check_spec(spec)
        except SystemExit as e:
            raise SystemExit(f"--eval-shoppers: {e}") from None


def check_reference(names: list[str]) -> None:
    """Refuse a `--reference` agent that no name resolves (`agents.plugins`)."""
    from agents.plugins import agent_factory

    for name in names:
        try:
            agent_factory(name)
        except ValueError as e:
            raise SystemExit(f"--reference: {e}") from None


def test_protocol(args: Args, world) -> tuple[Path, dict]:
    """The test split's fixed protocol: the one saved in `args.out`, or a new one saved
    there."""
    from dialog_env.protocol import (
        load_protocol,
        make_protocol,
        protocol_filename,
        save_protocol,
    )

    protocol_file = args.out / protocol_filename(world.catalog, "test", args.episodes)
    if protocol_file.exists():
        return protocol_file, load_protocol(protocol_file, world.catalog, split="test",
                                            n_dialogs=args.episodes)
    protocol = make_protocol(world.catalog, "test", args.episodes, seed=0)
    save_protocol(protocol, protocol_file)
    return protocol_file, protocol


def worker_threads(args: Args) -> int:
    """Torch threads per worker; with several workers, also the BLAS/OpenMP threads that
    spawned workers read before importing numpy / faiss."""
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    if args.workers > 1:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
    return threads


def run_jobs(jobs: list[Job], workers: int, quiet: bool) -> list[JobResult]:
    """Run the jobs in `workers` processes (in this one when 1), in order."""
    def report(k: int, res: JobResult) -> None:
        if not quiet:
            print(f"[{k + 1}/{len(jobs)}] {res.label} seed {res.seed}: "
                  f"{res.train_seconds:.0f} s", flush=True)

    results: list[JobResult] = []
    if workers > 1 and jobs:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            for k, res in enumerate(pool.map(run_job, jobs)):
                results.append(res)
                report(k, res)
    else:
        for k, job in enumerate(jobs):
            results.append(run_job(job))
            report(k, results[-1])
    return results


def reference_results(names: list[str], world, pairs, turns: int) -> dict[str, dict]:
    """Each reference agent on the test protocol (seed 0; nothing to train)."""
    from agents.plugins import make_agent
    from dialog_env.evaluation import run_protocol
    from dialog_env.metrics import per_turn_metrics

    results = {}
    for name in names:
        run = run_protocol(world, make_agent(name, world, 0), pairs, "test", turns, seed=0,
                           progress=False)
        results[name] = {"agent": name, "metrics": per_turn_metrics(run["ranks"],
                                                                    world.n_items),
                         "seeds": [0], "train_seconds": 0.0,
                         "inference_seconds_per_dialog": run["policy_seconds_per_dialog"]}
    return results


def trained_results(jobs: list[JobResult], n_items: int,
                    eval_shoppers: list[str]) -> dict[str, dict]:
    """Per label: the metrics of all its seeds' test ranks together, per-seed recall@10 at
    the last turn, mean timings, and the metrics with each other shopper that every seed
    has."""
    from dialog_env.metrics import per_turn_metrics

    results = {}
    for label in dict.fromkeys(j.label for j in jobs):
        group = [j for j in jobs if j.label == label]
        ranks = np.concatenate([np.load(j.ranks) for j in group])
        per_seed_r10 = [float((np.load(j.ranks)[:, -1] < 10).mean()) for j in group]
        results[label] = {
            "agent": label, "metrics": per_turn_metrics(ranks, n_items),
            "seeds": [j.seed for j in group], "recall@10_last_per_seed": per_seed_r10,
            "train_seconds": float(np.mean([j.train_seconds for j in group])),
            "seconds_per_step": float(np.mean([j.train_seconds / j.train_steps_timed
                                               for j in group])),
            "timing_device": group[0].timing_device,
            "inference_seconds_per_dialog": float(np.mean(
                [j.inference_seconds_per_dialog for j in group])),
            "latency_seconds_per_dialog": float(np.mean(
                [j.latency_seconds_per_dialog for j in group])),
            "parameters": group[0].parameters, "device": group[0].device,
            "overrides": group[0].overrides,
            "cross": {x: per_turn_metrics(np.concatenate([np.load(j.cross[x])
                                                          for j in group]), n_items)
                      for x in eval_shoppers if all(x in j.cross for j in group)}}
    return results


def write_outputs(args: Args, results: dict[str, dict], wall: float) -> dict:
    """Each agent's `eval/<agent>.json`, `summary.json`, the report and plots, and (with
    `--eval-shoppers`) `cross_shopper.md`; returns the summary."""
    from experiments.common import plain
    from experiments.evaluate import result_file

    test_env = with_episode(args.env, split="test").to_dict()
    for name, r in results.items():
        write_results(args.out / "eval" / result_file(name),
                      {**r, "split": "test", "env": test_env}, "suite-agent")
    summary = write_results(args.out / "summary.json",
                            {"results": results, "args": plain(args), "wall_seconds": wall},
                            "suite-summary")
    write_report(args, results, wall)
    if args.eval_shoppers:
        atomic_write_text(args.out / "cross_shopper.md", cross_table([summary]))
    return summary


def main(args: Args) -> dict:
    from dialog_env.factory import make_world

    # 1. Arguments, the test world (building the feature cache) and its fixed protocol.
    check_args(args)
    turns = args.env.episode.max_turns
    args.out.mkdir(parents=True, exist_ok=True)
    world = make_world(with_episode(args.env, split="test"), progress=not args.quiet)
    protocol_file, protocol = test_protocol(args, world)
    threads = worker_threads(args)
    # 2. Train and evaluate every job, or (--collect) read the finished runs.
    if args.collect:
        jobs = collect_jobs(args.out, world, protocol["pairs"], turns, args.env,
                            tuple(args.eval_shoppers))
        wall = float("nan")
    else:
        t0 = time.perf_counter()
        jobs = run_jobs(plan_jobs(args, protocol_file, threads), args.workers, args.quiet)
        wall = time.perf_counter() - t0
    # 3. The reference agents, then the trained ones by label.
    results = reference_results(args.reference, world, protocol["pairs"], turns)
    results.update(trained_results(jobs, world.n_items, args.eval_shoppers))
    # 4. The files.
    return write_outputs(args, results, wall)


if __name__ == "__main__":
    main(tyro.cli(Args))
