"""Train a dialog agent in FashionDialog-v0 and evaluate it on the fixed protocol.

    python -m experiments.train --agent fashionntm --learners supervised reinforce \
        --steps 500 200 --out runs/fashionntm
    python -m experiments.train --agent fiq-gru --env.shopper.template.wrong-rate 0.1 \
        --env.items.attribute-weight 0

`--env.*` is the whole environment configuration (`dialog_env.config.EnvConfig`: catalog,
item space, database, shopper and its noise rates, episode, reward); training dialogs come
from the train split, evaluation from the test split, both with `--env.episode.max-turns`
turns. `args.json` and `train_result.json` record the full configuration.

Learners run in sequence; each has its own step budget. Checkpoints (safetensors + JSON)
are written atomically to `<out>/stage<k>-<learner>/checkpoint/`; running the same command
again resumes from the last checkpoint. TensorBoard scalars go to `<out>/tb/`. The trained
agent is `<out>/final/`; its evaluation is `<out>/eval/<agent>.json`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tyro

from agents.learners import LEARNERS, LearnerConfig, train
from agents.model import LEARNED_AGENTS, DialogAgent
from agents.policy import TorchPolicy, config_for_world, resolve_device
from dialog_env.cache import atomic_write_json
from dialog_env.config import EnvConfig
from dialog_env.factory import make_world
from experiments.common import machine, plain, with_episode
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
        try:
            n, m = (int(x) for x in args.memory_size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--memory-size must look like 8x64 (slots x width), got "
                             f"{args.memory_size!r}") from None
        overrides.update(slots=n, width=m)
    return DialogAgent.from_seed(config_for_world(args.agent, world, **overrides), args.seed)


def main(args: Args) -> dict:
    if args.agent not in LEARNED_AGENTS:
        raise SystemExit(f"unknown agent {args.agent!r}; expected one of {LEARNED_AGENTS}")
    if len(args.learners) != len(args.steps):
        raise SystemExit(f"--learners has {len(args.learners)} entries but --steps has "
                         f"{len(args.steps)}; give one step budget per learner")
    bad = [x for x in args.learners if x not in LEARNERS]
    if bad:
        raise SystemExit(f"unknown learners {bad}; expected {list(LEARNERS)}")
    device = resolve_device(args.device)
    env = with_episode(args.env, split="train")
    turns = env.episode.max_turns
    world = make_world(env, progress=not args.quiet)
    agent = build_agent(args, world)
    stages = [(name, LearnerConfig(steps=s, batch=args.batch, turns=turns, lr=args.lr,
                                   loss=args.loss, checkpoint_every=args.checkpoint_every))
              for name, s in zip(args.learners, args.steps)]
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out / "args.json", plain(args))
    t0 = time.perf_counter()
    train(agent, world, stages, args.out, seed=args.seed, device=device,
          progress=not args.quiet)
    seconds = time.perf_counter() - t0
    result = {"agent": args.agent, "train_seconds": seconds, "device": str(device),
              "parameters": sum(p.numel() for p in agent.parameters()),
              "config": agent.config.to_dict(), "stages": [asdict(c) for _, c in stages],
              "env": env.to_dict(), "machine": machine()}
    if args.eval_episodes > 0:
        agent = agent.to(device)
        ev = evaluate(EvalArgs(agent=args.agent, env=with_episode(env, split="test"),
                               episodes=args.eval_episodes, seeds=args.eval_seeds,
                               out=args.out / "eval", quiet=args.quiet),
                      agent_factory=lambda seed: TorchPolicy(agent, device))
        result["eval"] = str(args.out / "eval" / f"{args.agent}.json")
        result["recall@10_last"] = ev["metrics"]["per_turn"]["recall@10"]["mean"][-1]
    atomic_write_json(args.out / "train_result.json", result)
    print(f"{args.agent}: trained in {seconds:.0f} s on {device}" +
          (f", R@10 at turn {turns} = {result['recall@10_last']:.3f}"
           if "recall@10_last" in result else ""))
    return result


if __name__ == "__main__":
    main(tyro.cli(Args))
