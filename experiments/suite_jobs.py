"""The suite's jobs: what one (agent, seed) run is (`Job`), what it records (`JobResult`,
written as job.json), running one (`run_job`: train, time, evaluate, other shoppers) and
reading finished ones back (`collect_jobs`). `experiments.suite` plans and runs them."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from dialog_env.config import EnvConfig
from experiments.common import with_episode, write_results
from experiments.cross_shopper import spec_env


@dataclass
class Job:
    """One training run the suite makes: an agent with its overrides and seed, its learner
    stages and where its files go (a worker process runs it: `run_job`)."""

    label: str
    """Its name in the results (the agent, or the memory study's fashionntm-C<c>-<size>)."""
    agent: str
    """A learned agent preset (`agents.model.AGENT_PRESETS`)."""
    seed: int
    overrides: dict[str, int]
    """AgentConfig fields set over the preset."""
    learners: list[str]
    steps: list[int]
    """Steps of each learner stage."""
    batch: int
    turns: int
    device: str
    env: EnvConfig
    """The training environment (its train split)."""
    protocol: str
    """The test protocol's file."""
    threads: int
    eval_shoppers: list[str]
    run_dir: str

    def cost(self) -> float:
        """Relative training cost (a cmntm tracker's memory reads dominate), from the
        agent's own config, so jobs can start longest first."""
        from agents.model import agent_config

        cfg = agent_config(self.agent, 0, 0, 0, [], **self.overrides)
        if cfg.tracker != "cmntm":
            return 1.0
        return 1.0 + cfg.memories * (cfg.slots * cfg.width) ** 0.5 / 16


@dataclass
class JobResult:
    """What a finished job records (`<run_dir>/job.json`, layout suite-job)."""

    label: str
    agent: str
    seed: int
    overrides: dict[str, int]
    train_seconds: float
    train_steps_timed: int
    device: str
    timing_device: str
    inference_seconds_per_dialog: float
    latency_seconds_per_dialog: float
    parameters: int
    ranks: str
    """The .npy file of the test ranks."""
    cross: dict[str, str]
    """Shopper spec -> the .npy file of the test ranks with that shopper."""

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def write(self) -> None:
        write_results(Path(self.ranks).parent / "job.json", self.to_dict(), "suite-job")

    @classmethod
    def read(cls, run_dir: Path, world, pairs, turns: int) -> JobResult:
        """A finished run's job.json; a file written before the timings were recorded gets
        them measured on this machine (`measure_timing`)."""
        data = json.loads((run_dir / "job.json").read_text())
        data["ranks"] = str(run_dir / "test_ranks.npy")
        if "latency_seconds_per_dialog" not in data:
            data.update(measure_timing(data["agent"], data["overrides"], world, pairs, turns))
        data.setdefault("cross", {})
        data.setdefault("timing_device", data["device"])
        return cls(**{f.name: data[f.name] for f in fields(cls)})


def run_job(job: Job) -> JobResult:
    """Train one agent and evaluate it; runs in a worker process."""
    import torch

    torch.set_num_threads(job.threads)
    from agents.learners import LearnerConfig, train
    from agents.model import DialogAgent
    from agents.policy import TorchPolicy, config_for_world, resolve_device
    from dialog_env.evaluation import run_protocol
    from dialog_env.factory import make_world

    device = resolve_device(job.device)
    world = make_world(job.env, progress=False)
    agent = DialogAgent.from_seed(config_for_world(job.agent, world, **job.overrides),
                                  job.seed)
    stages = [(name, LearnerConfig(steps=s, batch=job.batch, turns=job.turns,
                                   checkpoint_every=max(50, s // 4)))
              for name, s in zip(job.learners, job.steps)]
    t0 = time.perf_counter()
    train(agent, world, stages, job.run_dir, seed=job.seed, device=device, progress=False)
    train_seconds = time.perf_counter() - t0
    pairs = json.loads(Path(job.protocol).read_text())["pairs"]
    run = run_protocol(world, TorchPolicy(agent, device), pairs, split="test",
                       max_turns=job.turns, seed=job.seed, progress=False)
    # Latency of one dialog alone (batch 1), as FashionNTM's time per transaction.
    solo = run_protocol(world, TorchPolicy(agent, device), pairs[:50], split="test",
                        max_turns=job.turns, seed=job.seed, batch_size=1, progress=False)
    ranks_file = Path(job.run_dir) / "test_ranks.npy"
    np.save(ranks_file, run["ranks"])
    # The same agent meets other shoppers.
    cross = evaluate_with_shoppers(agent, device, job.env, job.eval_shoppers, pairs,
                                   job.turns, job.seed, Path(job.run_dir))
    result = JobResult(
        label=job.label, agent=job.agent, seed=job.seed, overrides=job.overrides,
        train_seconds=train_seconds, train_steps_timed=sum(job.steps),
        device=device_name(device), timing_device=device_name(device),
        inference_seconds_per_dialog=run["policy_seconds_per_dialog"],
        latency_seconds_per_dialog=solo["policy_seconds_per_dialog"],
        parameters=sum(p.numel() for p in agent.parameters()),
        ranks=str(ranks_file), cross=cross)
    result.write()
    return result


def device_name(device) -> str:
    import torch

    if str(device).startswith("cuda"):
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({os.cpu_count()} cores)"


def measure_timing(agent_name: str, overrides: dict, world, pairs, turns: int) -> dict:
    """Inference time of a job's architecture on this machine's CPU (weights do not
    change the compute), for runs whose files do not record it."""
    import torch

    from agents.model import DialogAgent
    from agents.policy import TorchPolicy, config_for_world
    from dialog_env.evaluation import run_protocol

    agent = DialogAgent(config_for_world(agent_name, world, **overrides))
    policy = TorchPolicy(agent, torch.device("cpu"))
    solo = run_protocol(world, policy, pairs[:50], "test", turns, batch_size=1, progress=False)
    full = run_protocol(world, policy, pairs, "test", turns, progress=False)
    return {"latency_seconds_per_dialog": solo["policy_seconds_per_dialog"],
            "inference_seconds_per_dialog": full["policy_seconds_per_dialog"],
            "parameters": sum(p.numel() for p in agent.parameters()),
            "timing_device": device_name("cpu")}


def collect_jobs(out: Path, world, pairs, turns: int, env: EnvConfig | None = None,
                 eval_shoppers: tuple[str, ...] = ()) -> list[JobResult]:
    """Jobs of every finished run under `out/runs` (those with test ranks); evaluations with
    `eval_shoppers` that a run lacks are made from its final checkpoint (in `env` with each
    shopper)."""
    jobs = []
    for run_dir in sorted((out / "runs").iterdir()):
        if not (run_dir / "test_ranks.npy").exists() or not (run_dir / "job.json").exists():
            continue
        job = JobResult.read(run_dir, world, pairs, turns)
        missing = [x for x in eval_shoppers if x not in job.cross]
        if missing:
            job.cross = {**job.cross,
                         **cross_from_checkpoint(run_dir, job.seed, env, missing, pairs, turns)}
            job.write()
        jobs.append(job)
    return jobs


def cross_from_checkpoint(run_dir: Path, seed: int, env: EnvConfig, specs: list[str],
                          pairs, turns: int) -> dict[str, str]:
    """Test ranks of a run's final agent with each shopper spec (files next to the run)."""
    from agents.checkpoint import load_checkpoint

    agent, _ = load_checkpoint(run_dir / "final", "cpu")
    return evaluate_with_shoppers(agent, "cpu", with_episode(env, split="train"), specs, pairs,
                                  turns, seed, run_dir)


def evaluate_with_shoppers(agent, device, env: EnvConfig, specs, pairs, turns: int,
                           seed: int, run_dir: Path) -> dict[str, str]:
    """`agent` on the test protocol `pairs` in `env` with each shopper spec in place of its
    own; the ranks go to `run_dir/test_ranks-<spec>.npy` (spec -> file)."""
    from agents.policy import TorchPolicy
    from dialog_env.evaluation import run_protocol
    from dialog_env.factory import make_world

    out = {}
    for spec in specs:
        world = make_world(spec_env(env, spec), progress=False)
        r = run_protocol(world, TorchPolicy(agent, device), pairs, split="test",
                         max_turns=turns, seed=seed, progress=False)
        out[spec] = str(run_dir / f"test_ranks-{spec.replace(':', '-')}.npy")
        np.save(out[spec], r["ranks"])
    return out
