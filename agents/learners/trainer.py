"""Run learner stages in sequence (e.g. supervised then REINFORCE) with checkpoints,
resume, a progress bar with the running recall and TensorBoard scalars.

Layout of `out`:
  stage<k>-<learner>/checkpoint/   the stage's latest checkpoint (safetensors + JSON)
  final/                           the trained agent after the last stage
  tb/                              TensorBoard event files
A stage whose checkpoint reached its step budget is skipped on resume; a partial one
continues from its last checkpoint; batches depend only on (seed, stage, step), so a
resumed run trains on exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm.auto import tqdm

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.learners.base import LearnerConfig
from agents.learners.reinforce import Reinforce
from agents.learners.rollout import RolloutImprovement
from agents.learners.supervised import supervised_step
from agents.model import DialogAgent
from dialog_env.world import DialogWorld

LEARNERS = ("supervised", "reinforce", "rollout")


class StopTraining(Exception):
    """Raised by a `stop_after` hook (tests use it to simulate a killed run)."""


def _learner(name: str, turns: int):
    if name == "supervised":
        return None
    if name == "reinforce":
        return Reinforce(turns)
    if name == "rollout":
        return RolloutImprovement()
    raise ValueError(f"unknown learner {name!r}; expected one of {LEARNERS}")


def train(agent: DialogAgent, world: DialogWorld, stages: list[tuple[str, LearnerConfig]],
          out: str | Path, seed: int = 0, device: str | torch.device = "cpu",
          progress: bool = True, stop_after: int | None = None) -> DialogAgent:
    """Train `agent` through `stages` = [(learner name, config), ...]; returns the agent
    (also saved to `out/final`). `stop_after` raises `StopTraining` after that many
    optimizer steps in this call (a simulated kill)."""
    from torch.utils.tensorboard import SummaryWriter

    out = Path(out)
    device = torch.device(device)
    torch.manual_seed(seed)
    agent.to(device)
    items = torch.as_tensor(world.db.items, device=device)
    writer = SummaryWriter(str(out / "tb"))
    done_here = 0
    global_step = 0
    try:
        for k, (name, cfg) in enumerate(stages):
            learner = _learner(name, cfg.turns)
            ckpt = out / f"stage{k}-{name}" / "checkpoint"
            opt = torch.optim.Adam(agent.parameters(), lr=cfg.lr)
            start, history, prior_seconds = 0, [], 0.0
            if (ckpt / "checkpoint.json").exists():
                loaded, extra = load_checkpoint(ckpt, device, opt)
                agent.load_state_dict(loaded.state_dict())
                start, history = extra["step"], extra.get("history", [])
                prior_seconds = extra.get("seconds", 0.0)
                if learner is not None and "learner" in extra:
                    learner_state = extra["learner"]
                    if isinstance(learner, Reinforce):
                        learner.load_state_dict(learner_state)
            if isinstance(learner, RolloutImprovement):
                learner.refresh(agent)
            if start >= cfg.steps:
                global_step += cfg.steps
                continue
            agent.train()
            bar = tqdm(range(start, cfg.steps), desc=f"{agent.config.name} {name}",
                       unit="step", disable=not progress, initial=start, total=cfg.steps)
            running = None
            t0 = time.perf_counter()
            for step in bar:
                if learner is None:
                    loss, stats = supervised_step(agent, world, items, cfg, seed, k, step)
                else:
                    loss, stats = learner.step(agent, world, items, cfg, seed, k, step)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"{name} step {step}: non-finite loss {loss}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.grad_clip)
                opt.step()
                r = stats["recall@10"]
                running = r if running is None else 0.95 * running + 0.05 * r
                bar.set_postfix(loss=f"{stats['loss']:.3f}", R10=f"{running:.3f}")
                gs = global_step + step
                for key, v in stats.items():
                    writer.add_scalar(f"{name}/{key}", v, gs)
                history.append({"step": step + 1, **stats})
                done_here += 1
                last = step + 1 == cfg.steps
                if (step + 1) % cfg.checkpoint_every == 0 or last:
                    extra = {"step": step + 1, "stage": k, "learner_name": name,
                             "history": history, "config": asdict(cfg),
                             "seconds": prior_seconds + time.perf_counter() - t0}
                    if isinstance(learner, Reinforce):
                        extra["learner"] = learner.state_dict()
                    save_checkpoint(ckpt, agent, opt, extra)
                    if isinstance(learner, RolloutImprovement):
                        learner.refresh(agent)
                if stop_after is not None and done_here >= stop_after and not last:
                    raise StopTraining(f"stopped after {done_here} steps")
            bar.close()
            global_step += cfg.steps
    finally:
        writer.close()
    agent.eval()
    save_checkpoint(out / "final", agent, extra={"stages": [
        {"learner": n, **asdict(c)} for n, c in stages], "seed": seed})
    return agent
