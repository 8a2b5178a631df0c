"""Checkpoints: one folder — `model.safetensors`, `optimizer.safetensors` (optional) and
`checkpoint.json` (config, optimizer scalars, the trainer's extra state). Never unpickles.

A checkpoint is written as one unit: every file goes into a temporary folder next to the
target (`.<name>.new-*`), which is then renamed into place; an existing checkpoint is first
renamed away (`.<name>.old-*`) and deleted only once the new one is in place. A process
killed at any moment leaves either the previous checkpoint or the new one, never a mix:
a killed write leaves a `.new-*` folder that the next save deletes; a kill between the two
renames leaves only the `.old-*` folder, which `load_checkpoint` reads and the next save puts
back. Every file also carries the checkpoint's id, so a folder whose files come from two
saves (copied by hand, or read while a writer replaced it) is reported, not loaded.

Loading refuses, naming the file and what is wrong: a config other than the one the caller
`expect`s (another agent, other sizes), tensors whose names or shapes do not fit the config,
non-finite (NaN/inf) weights or optimizer state, and optimizer state of other parameters.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from agents.model import AgentConfig, DialogAgent

MODEL = "model.safetensors"
OPTIMIZER = "optimizer.safetensors"
META = "checkpoint.json"


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


def _siblings(folder: Path, kind: str) -> list[Path]:
    """The temporary `.new-*` or renamed-away `.old-*` folders of `folder`."""
    return sorted(folder.parent.glob(f".{folder.name}.{kind}-*"))


def _sync(path: Path) -> None:
    """Flush `path` to disk (a folder too, where the platform allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_files(folder: Path, agent: DialogAgent, optimizer: torch.optim.Optimizer | None,
                 extra: dict | None) -> None:
    """Write a checkpoint's files into the (new, empty) `folder`."""
    ident = {"checkpoint": uuid.uuid4().hex}
    state = {k: v.detach().cpu().contiguous() for k, v in agent.state_dict().items()}
    save_file(state, str(folder / MODEL), metadata=ident)
    meta = {"id": ident["checkpoint"], "config": agent.config.to_dict(), "extra": extra or {}}
    if optimizer is not None:
        tensors, scalars = _flatten_optimizer(optimizer)
        save_file(tensors, str(folder / OPTIMIZER), metadata=ident)
        meta["optimizer"] = scalars
    (folder / META).write_text(json.dumps(meta, indent=2, sort_keys=True))
    for f in folder.iterdir():
        _sync(f)
    _sync(folder)


def _recover(folder: Path) -> None:
    """Clean up after a writer that was killed: drop unfinished `.new-*` folders; put a
    renamed-away `.old-*` folder back when the target is missing (the kill came between
    the two renames), delete it otherwise."""
    for p in _siblings(folder, "new"):
        shutil.rmtree(p, ignore_errors=True)
    old = _siblings(folder, "old")
    if old and not folder.exists():
        os.rename(old.pop(), folder)
    for p in old:
        shutil.rmtree(p, ignore_errors=True)


def save_checkpoint(folder: str | Path, agent: DialogAgent,
                    optimizer: torch.optim.Optimizer | None = None, extra: dict | None = None
                    ) -> Path:
    """Write `agent` (and `optimizer`'s state, and `extra`) to `folder` as one unit,
    replacing the checkpoint there (see the module docstring)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _recover(folder)
    tag = uuid.uuid4().hex[:12]
    new = folder.parent / f".{folder.name}.new-{tag}"
    old = folder.parent / f".{folder.name}.old-{tag}"
    new.mkdir()
    moved = False
    try:
        _write_files(new, agent, optimizer, extra)
        if folder.exists():
            os.rename(folder, old)
            moved = True
        os.rename(new, folder)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        if moved and not folder.exists():
            os.rename(old, folder)
        raise
    if moved:
        shutil.rmtree(old, ignore_errors=True)
    _sync(folder.parent)
    return folder


def find_checkpoint(folder: str | Path) -> Path | None:
    """The folder holding the latest complete checkpoint saved to `folder`: `folder` itself,
    or its renamed-away predecessor when a writer was killed between its two renames; None
    when there is none."""
    folder = Path(folder)
    if (folder / META).exists():
        return folder
    if not folder.exists():
        old = [p for p in _siblings(folder, "old") if (p / META).exists()]
        if old:
            return old[-1]
    return None


def _read_tensors(file: Path, device: str, what: str) -> tuple[dict, str | None]:
    """A safetensors file's tensors and the id of the checkpoint it was saved with."""
    try:
        with safe_open(str(file), framework="pt", device=device) as f:
            ident = (f.metadata() or {}).get("checkpoint")
            return {k: f.get_tensor(k) for k in f.keys()}, ident
    except Exception as e:  # safetensors raises its own error types
        raise ValueError(f"{file}: unreadable {what} ({e})") from e


def _check_same_save(file: Path, found: str | None, ident: str | None) -> None:
    if ident is not None and found != ident:  # no id: written before ids existed
        raise ValueError(f"{file}: belongs to another save (checkpoint id {found}, "
                         f"{META} says {ident}); this folder mixes files of two checkpoints")


def _check_finite(file: Path, tensors: dict, what: str) -> None:
    for name, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise ValueError(f"{file}: {what} tensor {name!r} holds NaN or inf values; "
                             f"refusing a diverged checkpoint")


def _check_config(meta_file: Path, config: AgentConfig, expect: AgentConfig) -> None:
    found, wanted = config.to_dict(), expect.to_dict()
    diff = [f"{k}: {found.get(k)!r} (checkpoint) vs {wanted.get(k)!r} (expected)"
            for k in wanted if json.dumps(found.get(k)) != json.dumps(wanted.get(k))]
    if diff:
        raise ValueError(f"{meta_file}: checkpoint of agent {config.name!r} does not match the "
                         f"requested agent {expect.name!r} ({'; '.join(diff[:6])})")


def _check_shapes(weights_file: Path, agent: DialogAgent, state: dict) -> None:
    own = agent.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise ValueError(f"{weights_file}: weights do not match the config "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]})")
    wrong = [f"{k}: {tuple(state[k].shape)} in the file, {tuple(own[k].shape)} expected"
             for k in own if state[k].shape != own[k].shape]
    if wrong:
        raise ValueError(f"{weights_file}: weight shapes do not match the config "
                         f"({'; '.join(wrong[:5])})")


def load_checkpoint(folder: str | Path, device: str | torch.device = "cpu",
                    optimizer: torch.optim.Optimizer | None = None,
                    expect: AgentConfig | None = None) -> tuple[DialogAgent, dict]:
    """Rebuild the agent from `checkpoint.json` and load its weights (and the optimizer's
    state when given); returns the agent and the saved `extra`. With `expect`, the saved
    config must equal it (same agent, same sizes). Errors name the file and what is
    wrong."""
    folder = Path(folder)
    found = find_checkpoint(folder)
    if found is None:
        raise FileNotFoundError(f"{folder / META}: no complete checkpoint here (a checkpoint "
                                f"is complete once its {META} is written)")
    meta_file = found / META
    try:
        meta = json.loads(meta_file.read_text())
        cfg = meta["config"]
        cfg["type_index"] = [list(x) for x in cfg.get("type_index", [])]
        config = AgentConfig.from_dict(cfg)  # maps the old flat layout too
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f"{meta_file}: malformed checkpoint metadata ({e})") from e
    if expect is not None:
        _check_config(meta_file, config, expect)
    agent = DialogAgent.from_seed(config, 0)  # initial weights are replaced just below
    weights_file = found / MODEL
    state, weights_id = _read_tensors(weights_file, "cpu", "weights")
    _check_shapes(weights_file, agent, state)
    _check_same_save(weights_file, weights_id, meta.get("id"))
    _check_finite(weights_file, state, "weight")
    agent.load_state_dict(state)
    agent.to(device)
    if optimizer is not None and "optimizer" in meta:
        opt_file = found / OPTIMIZER
        tensors, opt_id = _read_tensors(opt_file, str(device), "optimizer state")
        _check_same_save(opt_file, opt_id, meta.get("id"))
        _check_finite(opt_file, tensors, "optimizer state")
        try:
            optimizer.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
        except (ValueError, KeyError, RuntimeError) as e:
            raise ValueError(f"{opt_file}: optimizer state does not fit the optimizer's "
                             f"parameters ({e})") from e
    return agent, meta.get("extra", {})
