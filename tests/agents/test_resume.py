"""Checkpoints are loaded only when they are what the caller asks for: the same agent and
sizes, finite weights of the right shapes; a stage is resumed only with the settings and
seed it was trained with."""

from __future__ import annotations

import json

import pytest
import torch

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.learners import LearnerConfig, train
from agents.model import DialogAgent
from agents.policy import config_for_world

TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16,
            slots=4, width=8, controller=16)


def tiny_agent(world, name="st-avg", **sizes):
    return DialogAgent.from_seed(config_for_world(name, world, **{**TINY, **sizes}), 0)


def stages(**changes):
    return [("supervised", LearnerConfig(**{**dict(steps=2, batch=4, turns=2,
                                                   checkpoint_every=1), **changes}))]


def test_non_finite_weights_are_refused_naming_file_and_tensor(small_world, tmp_path):
    agent = tiny_agent(small_world)
    with torch.no_grad():
        agent.query.weight[0, 0] = float("nan")
    save_checkpoint(tmp_path / "ck", agent)
    with pytest.raises(ValueError, match=r"ck/model\.safetensors: weight tensor "
                                         r"'query\.weight' holds NaN or inf"):
        load_checkpoint(tmp_path / "ck")
    with torch.no_grad():
        agent.query.weight[0, 0] = float("inf")
    save_checkpoint(tmp_path / "ck", agent)
    with pytest.raises(ValueError, match="'query.weight' holds NaN or inf"):
        load_checkpoint(tmp_path / "ck")


def test_weight_shape_mismatch_names_the_file(small_world, tmp_path):
    save_checkpoint(tmp_path / "ck", tiny_agent(small_world, "st-lstm"))
    meta_file = tmp_path / "ck" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    meta["config"]["hidden"] = 24  # the config now claims other sizes than the weights
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"ck/model\.safetensors: weight shapes do not match "
                                         r"the config \(.*24"):
        load_checkpoint(tmp_path / "ck")


def test_a_checkpoint_of_another_agent_is_not_loaded_silently(small_world, tmp_path):
    save_checkpoint(tmp_path / "ck", tiny_agent(small_world, "st-avg"))
    with pytest.raises(ValueError, match=r"checkpoint\.json: checkpoint of agent 'st-avg' does "
                                         r"not match the requested agent 'st-lstm'"):
        load_checkpoint(tmp_path / "ck", expect=tiny_agent(small_world, "st-lstm").config)
    with pytest.raises(ValueError, match="hidden: 16 .checkpoint. vs 32 .expected."):
        load_checkpoint(tmp_path / "ck",
                        expect=tiny_agent(small_world, "st-avg", hidden=32).config)
    agent, _ = load_checkpoint(tmp_path / "ck",
                               expect=tiny_agent(small_world, "st-avg").config)
    assert agent.config.name == "st-avg"


def test_train_refuses_to_resume_another_agent_before_loading(small_world, tmp_path):
    train(tiny_agent(small_world, "st-avg"), small_world, stages(), tmp_path, progress=False)
    with pytest.raises(ValueError, match=r"stage0-supervised/checkpoint/checkpoint\.json: "
                                         r"checkpoint of agent 'st-avg'"):
        train(tiny_agent(small_world, "st-lstm"), small_world, stages(), tmp_path,
              progress=False)


@pytest.mark.parametrize("changes, seed, named", [
    (dict(lr=0.01), 0, r"lr: 0\.001 \(checkpoint\) vs 0\.01 \(requested\)"),
    (dict(batch=8), 0, r"batch: 4 \(checkpoint\) vs 8"),
    (dict(steps=3), 0, r"steps: 2 \(checkpoint\) vs 3"),
    ({}, 1, r"seed: 0 vs 1"),
])
def test_train_refuses_to_resume_with_other_settings(small_world, tmp_path, changes, seed,
                                                     named):
    train(tiny_agent(small_world), small_world, stages(), tmp_path, progress=False)
    with pytest.raises(ValueError, match=r"checkpoint\.json: cannot resume this stage with "
                                         r"other settings \(.*" + named):
        train(tiny_agent(small_world), small_world, stages(**changes), tmp_path, seed=seed,
              progress=False)
    # Checkpoint spacing is not part of what is trained.
    train(tiny_agent(small_world), small_world, stages(checkpoint_every=2), tmp_path,
          progress=False)


@pytest.mark.parametrize("field", ["steps", "batch", "checkpoint_every"])
def test_train_refuses_empty_budgets(small_world, tmp_path, field):
    with pytest.raises(ValueError, match=f"stage 0 .supervised.: {field} must be >= 1, got 0"):
        train(tiny_agent(small_world), small_world, stages(**{field: 0}), tmp_path,
              progress=False)
    assert not (tmp_path / "final").exists()
