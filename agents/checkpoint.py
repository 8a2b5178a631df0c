"""Checkpoints: weights (and optimizer state) as safetensors plus a JSON config, written
atomically so a killed process never leaves a half-written checkpoint. Never unpickles."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from agents.model import AgentConfig, DialogAgent
from dialog_env.cache import atomic_write, atomic_write_json


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict, dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{pid}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars["state"].setdefault(str(pid), {})[k] = v
    return tensors, scalars


def _unflatten_optimizer(tensors: dict, scalars: dict) -> dict:
    state: dict = {}
    for key, v in tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = v
    for pid, st in scalars["state"].items():
        state.setdefault(int(pid), {}).update(st)
    return {"state": state, "param_groups": scalars["param_groups"]}


def save_checkpoint(folder: str | Path, agent: DialogAgent,
                    optimizer: torch.optim.Optimizer | None = None, extra: dict | None = None
                    ) -> Path:
    """`folder/model.safetensors`, `folder/optimizer.safetensors`, `folder/checkpoint.json`;
    the JSON (written last) is what makes a checkpoint complete."""
    folder = Path(folder)
    state = {k: v.detach().cpu().contiguous() for k, v in agent.state_dict().items()}
    atomic_write(folder / "model.safetensors", lambda p: save_file(state, str(p)))
    meta = {"config": agent.config.to_dict(), "extra": extra or {}}
    if optimizer is not None:
        tensors, scalars = _flatten_optimizer(optimizer)
        atomic_write(folder / "optimizer.safetensors", lambda p: save_file(tensors, str(p)))
        meta["optimizer"] = scalars
    atomic_write_json(folder / "checkpoint.json", meta)
    return folder


def load_checkpoint(folder: str | Path, device: str | torch.device = "cpu",
                    optimizer: torch.optim.Optimizer | None = None
                    ) -> tuple[DialogAgent, dict]:
    """Rebuild the agent from `checkpoint.json` and load its weights (and the optimizer's
    state when given). Errors name the file and what is wrong."""
    folder = Path(folder)
    meta_file = folder / "checkpoint.json"
    if not meta_file.exists():
        raise FileNotFoundError(f"{meta_file}: no complete checkpoint here (a checkpoint is "
                                f"complete once its checkpoint.json is written)")
    try:
        meta = json.loads(meta_file.read_text())
        cfg = meta["config"]
        cfg["type_index"] = [list(x) for x in cfg.get("type_index", [])]
        config = AgentConfig(**cfg)
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f"{meta_file}: malformed checkpoint metadata ({e})") from e
    agent = DialogAgent(config)
    weights_file = folder / "model.safetensors"
    try:
        state = load_file(str(weights_file), device="cpu")
    except Exception as e:  # safetensors raises its own error types
        raise ValueError(f"{weights_file}: unreadable weights ({e})") from e
    missing, unexpected = agent.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{weights_file}: weights do not match the config "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]})")
    agent.to(device)
    if optimizer is not None and "optimizer" in meta:
        tensors = load_file(str(folder / "optimizer.safetensors"), device=str(device))
        optimizer.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
    return agent, meta.get("extra", {})
