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
state. A checkpoint is resumed only when it was written for the same agent config, learner,
stage settings (all but `checkpoint_every`: the shared budgets and the learner's own
settings, read from either the current layout or the old flat one) and seed; otherwise
`train` refuses, naming the checkpoint and the differences, before it loads anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm.auto import tqdm

from agents.checkpoint import META, find_checkpoint, load_checkpoint, save_checkpoint
from agents.learners.base import LearnerConfig, saved_settings
from agents.learners.callbacks import Callback
from agents.learners.registry import make_learner
from agents.model import DialogAgent
from dialog_env.world import DialogWorld


def check_stages(stages: list[tuple[str, LearnerConfig]]) -> None:
    """Budgets that can train something: steps, batch and checkpoint spacing >= 1."""
    if not stages:
        raise ValueError("train: no learner stages given")
    for k, (name, cfg) in enumerate(stages):
        for field in ("steps", "batch", "turns", "checkpoint_every"):
            if getattr(cfg, field) < 1:
                raise ValueError(f"stage {k} ({name}): {field} must be >= 1, got "
                                 f"{getattr(cfg, field)}")


def check_resumable(found: Path, name: str, cfg: LearnerConfig, seed: int) -> None:
    """Refuse a stage checkpoint written by another learner, stage settings or seed."""
    try:
        meta = json.loads((found / META).read_text()).get("extra", {})
    except (OSError, ValueError, AttributeError):
        return  # load_checkpoint reports an unreadable checkpoint.json
    # The saved stage config in either layout: shared budgets + `settings` (the learner's
    # own), or the old flat one that held every learner's knobs (only this learner's count).
    saved = saved_settings(meta.get("config", {}))
    diff = [f"{k}: {saved[k]!r} (checkpoint) vs {v!r} (requested)"
            for k, v in cfg.bind(name).flat().items() if k != "checkpoint_every"
            and k in saved and saved[k] != v]
    if meta.get("learner_name", name) != name:
        diff.insert(0, f"learner: {meta['learner_name']!r} vs {name!r}")
    if meta.get("seed", seed) != seed:
        diff.append(f"seed: {meta['seed']!r} vs {seed!r}")
    if diff:
        raise ValueError(f"{found / META}: cannot resume this stage with other settings "
                         f"({'; '.join(diff)}); train into another folder")


def train(agent: DialogAgent, world: DialogWorld, stages: list[tuple[str, LearnerConfig]],
          out: str | Path, seed: int = 0, device: str | torch.device = "cpu",
          progress: bool = True, callbacks: Sequence[Callback] = ()) -> DialogAgent:
    """Train `agent` through `stages` = [(learner name, config), ...]; returns the agent
    (also saved to `out/final`). Each of `callbacks` sees every step (`on_step`); one that
    raises `StopTraining` stops the run (it propagates to the caller)."""
    from torch.utils.tensorboard import SummaryWriter

    check_stages(stages)
    # Each stage's config bound to its learner: its own settings class, the flat-named knobs
    # mapped onto it (a knob of another learner is refused here, before anything runs).
    stages = [(name, cfg.bind(name)) for name, cfg in stages]
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
            found = find_checkpoint(ckpt)
            if found is not None:
                check_resumable(found, name, cfg, seed)
                loaded, extra = load_checkpoint(ckpt, device, opt, expect=agent.config)
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
                        "history": history, "config": cfg.to_dict(), "seed": seed,
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
        {"learner": n, **c.to_dict()} for n, c in stages], "seed": seed})
    return agent
