"""Train a dialog agent in FashionDialog-v0 and evaluate it on the fixed protocol.

    python -m experiments.train --agent fashionntm --learners supervised reinforce \
        --steps 500 200 --out runs/fashionntm
    python -m experiments.train --agent fiq-gru --env.shopper.template.wrong-rate 0.1 \
        --env.items.attribute-weight 0

`--env.*` is the whole environment configuration (`dialog_env.config.EnvConfig`: catalog,
item space, database, shopper and its noise rates, episode, reward); training dialogs come
from the train split, evaluation from the test split, both with `--env.episode.max-turns`
turns. `args.json` and `train_result.json` record the full configuration (layouts:
`experiments/schemas/train-args.schema.json` and `training.schema.json`).

Learners run in sequence; each has its own step budget. Checkpoints (safetensors + JSON)
are written atomically to `<out>/stage<k>-<learner>/checkpoint/`; running the same command
again resumes from the last checkpoint. A resume must ask for the same training (agent,
learners, steps, batch, lr, loss, memories, seed, env) as `<out>/args.json` records; a
differing command is refused (use another --out) so the files never claim a training that
did not happen. Device, evaluation and checkpoint spacing may change. TensorBoard scalars
go to `<out>/tb/`. The trained agent is `<out>/final/`; its evaluation is
`<out>/eval/<agent>.json`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import tyro

from agents.checkpoint import find_checkpoint
from agents.learners import LEARNERS, LearnerConfig, learner_settings, train
from agents.model import LEARNED_AGENTS, DialogAgent
from agents.policy import TorchPolicy, config_for_world, resolve_device
from dialog_env.config import EnvConfig
from dialog_env.factory import make_world
from experiments.common import memory_size, plain, with_episode, write_results
from experiments.evaluate import Args as EvalArgs
from experiments.evaluate import evaluate


@dataclass
class Args:
    """Training of one agent."""

    agent: str = "fashionntm"
    """Agent: guo-gru, fiq-gru, fiq-gru-attention, fiq-gru-minilm, st-avg, st-ewma, st-lstm,
    fashionntm, vanilla-ntm."""
    learners: list[str] = field(default_factory=lambda: ["supervised"])
    """Learner stages in order: supervised, reinforce, rollout."""
    steps: list[int] = field(default_factory=lambda: [500])
    """Optimizer steps per learner stage (one number per stage)."""
    batch: int = 64
    """Dialogs per training batch."""
    lr: float = 1e-3
    """Adam learning rate."""
    loss: str = "sampled_ce"
    """Supervised loss: sampled_ce, catalog_ce, batch_ce (FashionNTM), triplet (Guo)."""
    memories: int | None = None
    """fashionntm: number of memories C (default 4; 1 = vanilla NTM)."""
    memory_size: str | None = None
    """fashionntm: memory size NxM, e.g. 8x64."""
    seed: int = 0
    """Training seed (dialogs, initialisation, sampling)."""
    device: str = "auto"
    """auto (CUDA when available), cpu or cuda."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The environment (turns per dialog: env.episode.max_turns)."""
    eval_episodes: int = 1000
    """Evaluation dialogs per seed on the test split (0: no evaluation)."""
    eval_seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """Evaluation seeds."""
    checkpoint_every: int = 50
    """Steps between checkpoints."""
    out: Path = Path("runs/train")
    """Output folder."""
    quiet: bool = False
    """No progress bars."""


def build_agent(args: Args, world) -> DialogAgent:
    overrides = {}
    if args.memories is not None:
        overrides["memories"] = args.memories
    if args.memory_size is not None:
        n, m = memory_size(args.memory_size)
        overrides.update(slots=n, width=m)
    return DialogAgent.from_seed(config_for_world(args.agent, world, **overrides), args.seed)


def learner_stages(args: Args, turns: int) -> list[tuple[str, LearnerConfig]]:
    """One stage per `--learners` entry: the shared budgets, and the learner's own settings
    (its defaults; `--loss` goes to the learners whose settings have a loss)."""
    stages = []
    for name, s in zip(args.learners, args.steps):
        own = {f.name for f in fields(learner_settings(name))}
        knobs = {"loss": args.loss} if "loss" in own else {}
        stages.append((name, LearnerConfig(steps=s, batch=args.batch, turns=turns, lr=args.lr,
                                           checkpoint_every=args.checkpoint_every,
                                           **knobs).bind(name)))
    return stages


def check_args(args: Args) -> None:
    """Refuse arguments that cannot give a result, before any work starts."""
    if args.agent not in LEARNED_AGENTS:
        raise SystemExit(f"unknown agent {args.agent!r}; expected one of {LEARNED_AGENTS}")
    if len(args.learners) != len(args.steps):
        raise SystemExit(f"--learners has {len(args.learners)} entries but --steps has "
                         f"{len(args.steps)}; give one step budget per learner")
    bad = [x for x in args.learners if x not in LEARNERS]
    if bad:
        raise SystemExit(f"unknown learners {bad}; expected {list(LEARNERS)}")
    if not args.learners:
        raise SystemExit("--learners is empty; give at least one learner stage")
    if any(s < 1 for s in args.steps):
        raise SystemExit(f"--steps must all be >= 1 (a stage of 0 steps trains nothing), "
                         f"got {args.steps}")
    for name, value in (("--batch", args.batch), ("--checkpoint-every", args.checkpoint_every),
                        ("--memories", 1 if args.memories is None else args.memories)):
        if value < 1:
            raise SystemExit(f"{name} must be >= 1, got {value}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise SystemExit(f"--lr must be a positive number, got {args.lr}")
    if args.memory_size is not None:
        memory_size(args.memory_size)
    if args.eval_episodes < 0:
        raise SystemExit(f"--eval-episodes must be >= 0, got {args.eval_episodes}")
    if args.eval_episodes > 0 and not args.eval_seeds:
        raise SystemExit(f"--eval-seeds is empty but --eval-episodes is {args.eval_episodes}; "
                         f"give evaluation seeds or --eval-episodes 0")


def main(args: Args) -> dict:
    check_args(args)
    check_resume(args)
    device = resolve_device(args.device)
    env = with_episode(args.env, split="train")
    turns = env.episode.max_turns
    world = make_world(env, progress=not args.quiet)
    agent = build_agent(args, world)
    stages = learner_stages(args, turns)
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(args.out / "args.json", plain(args), "train-args")
    t0 = time.perf_counter()
    train(agent, world, stages, args.out, seed=args.seed, device=device,
          progress=not args.quiet)
    seconds = time.perf_counter() - t0
    result = {"agent": args.agent, "train_seconds": seconds, "device": str(device),
              "parameters": sum(p.numel() for p in agent.parameters()),
              "config": agent.config.to_dict(), "stages": [c.to_dict() for _, c in stages],
              "env": env.to_dict()}
    if args.eval_episodes > 0:
        agent = agent.to(device)
        ev = evaluate(EvalArgs(agent=args.agent, env=with_episode(env, split="test"),
                               episodes=args.eval_episodes, seeds=args.eval_seeds,
                               out=args.out / "eval", quiet=args.quiet),
                      agent_factory=lambda seed: TorchPolicy(agent, device))
        result["eval"] = str(args.out / "eval" / f"{args.agent}.json")
        result["recall@10_last"] = ev["metrics"]["per_turn"]["recall@10"]["mean"][-1]
    result = write_results(args.out / "train_result.json", result, "training")
    print(f"{args.agent}: trained in {seconds:.0f} s on {device}" +
          (f", R@10 at turn {turns} = {result['recall@10_last']:.3f}"
           if "recall@10_last" in result else ""))
    return result


# Arguments that change what is trained; a resume must repeat them exactly.
TRAINING_ARGS = ("agent", "learners", "steps", "batch", "lr", "loss", "memories",
                 "memory_size", "seed", "env")


def _flat(value, prefix: str) -> dict:
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _flat(sub, f"{prefix}.{key}")
                .items()}
    return {prefix: value}


def check_resume(args: Args) -> None:
    """When `args.out` holds checkpoints, refuse (before anything is written) unless its
    `args.json` records the same training as `args`."""
    folders = [d / "checkpoint" for d in sorted(args.out.glob("stage*-*"))]
    found = [d for d in [*folders, args.out / "final"] if find_checkpoint(d) is not None]
    if not found:
        return
    recorded = args.out / "args.json"
    if not recorded.exists():
        raise SystemExit(f"{args.out} holds checkpoints ({found[0]}) but no args.json, so "
                         f"what they were trained with is unknown; use another --out")
    try:
        old = json.loads(recorded.read_text())
    except json.JSONDecodeError as e:
        raise SystemExit(f"{recorded}: not valid JSON ({e}); use another --out") from None
    new = json.loads(json.dumps(plain(args)))
    old_flat = {k: v for name in TRAINING_ARGS for k, v in _flat(old.get(name), name).items()}
    new_flat = {k: v for name in TRAINING_ARGS for k, v in _flat(new.get(name), name).items()}
    diff = [f"--{k.replace('_', '-')}: {old_flat.get(k, '(not recorded)')!r} -> "
            f"{new_flat.get(k, '(not given)')!r}"
            for k in dict.fromkeys([*old_flat, *new_flat]) if old_flat.get(k) != new_flat.get(k)]
    if diff:
        raise SystemExit(f"{args.out} holds a run trained with other arguments; resuming would "
                         f"mix two trainings. Differences (recorded -> requested): "
                         f"{'; '.join(diff)}. Repeat the recorded arguments or use another "
                         f"--out")


if __name__ == "__main__":
    main(tyro.cli(Args))
