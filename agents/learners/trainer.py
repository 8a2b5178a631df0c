"""Run learner stages in sequence (e.g. supervised then REINFORCE) with checkpoints,
resume, a progress bar with the running recall and TensorBoard scalars.

Layout of `out`:
  stage<k>-<learner>/checkpoint/   the stage's latest checkpoint (safetensors + JSON)
  final/                           the trained agent after the last stage
  tb/                              TensorBoard event files
A stage whose checkpoint reached its step budget is skipped on resume; a partial one
continues from its last checkpoint; batches depend only on (seed, stage, step), so a
resumed run trains on exactly the batches an uninterrupted run would. Every random draw of
a step comes from that step's own torch generator: `train` never touches global random
state.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm.auto import tqdm

from agents.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from agents.learners.base import LearnerConfig
from agents.learners.callbacks import Callback
from agents.learners.registry import make_learner
from agents.model import DialogAgent
from dialog_env.world import DialogWorld


def train(agent: DialogAgent, world: DialogWorld, stages: list[tuple[str, LearnerConfig]],
          out: str | Path, seed: int = 0, device: str | torch.device = "cpu",
          progress: bool = True, callbacks: Sequence[Callback] = ()) -> DialogAgent:
    """Train `agent` through `stages` = [(learner name, config), ...]; returns the agent
    (also saved to `out/final`). Each of `callbacks` sees every step (`on_step`); one that
    raises `StopTraining` stops the run (it propagates to the caller)."""
    from torch.utils.tensorboard import SummaryWriter

    out = Path(out)
    device = torch.device(device)
    agent.to(device)
    items = torch.as_tensor(world.db.items, device=device)
    writer = SummaryWriter(str(out / "tb"))
    global_step = 0
    try:
        for k, (name, cfg) in enumerate(stages):
            learner = make_learner(name, cfg)
            ckpt = out / f"stage{k}-{name}" / "checkpoint"
            opt = torch.optim.Adam(agent.parameters(), lr=cfg.lr)
            start, history, prior_seconds = 0, [], 0.0
            if find_checkpoint(ckpt) is not None:
                loaded, extra = load_checkpoint(ckpt, device, opt)
                agent.load_state_dict(loaded.state_dict())
                start, history = extra["step"], extra.get("history", [])
                prior_seconds = extra.get("seconds", 0.0)
                if "learner" in extra:
                    learner.load_state_dict(extra["learner"])
            learner.on_stage_start(agent)
            if start >= cfg.steps:
                global_step += cfg.steps
                continue
            agent.train()
            bar = tqdm(range(start, cfg.steps), desc=f"{agent.config.name} {name}",
                       unit="step", disable=not progress, initial=start, total=cfg.steps)
            running = None
            t0 = time.perf_counter()
            for step in bar:
                loss, stats = learner.step_loss(agent, world, items, seed, k, step)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"{name} step {step}: non-finite loss {loss}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.grad_clip)
                opt.step()
                r = stats["recall@10"]
                running = r if running is None else 0.95 * running + 0.05 * r
                bar.set_postfix(loss=f"{stats['loss']:.3f}", R10=f"{running:.3f}")
                for key, v in stats.items():
                    writer.add_scalar(f"{name}/{key}", v, global_step + step)
                history.append({"step": step + 1, **stats})
                if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                    save_checkpoint(ckpt, agent, opt, {
                        "step": step + 1, "stage": k, "learner_name": name,
                        "history": history, "config": asdict(cfg),
                        "seconds": prior_seconds + time.perf_counter() - t0,
                        "learner": learner.state_dict()})
                    learner.on_checkpoint(agent)
                for cb in callbacks:
                    cb.on_step(k, step + 1, stats)
            bar.close()
            global_step += cfg.steps
    finally:
        writer.close()
    agent.eval()
    save_checkpoint(out / "final", agent, extra={"stages": [
        {"learner": n, **asdict(c)} for n, c in stages], "seed": seed})
    return agent
