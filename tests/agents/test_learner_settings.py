"""Each learner owns its settings class; `LearnerConfig` keeps the shared budgets. Flat knob
names still work (mapped onto the learner's settings, refused for a learner without the
knob), checkpoints record the learner's own settings, and checkpoints written in the old
flat layout still resume (or are refused naming the difference)."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from agents.learners import (
    LEARNERS,
    LearnerConfig,
    ReinforceSettings,
    RolloutSettings,
    SupervisedSettings,
    learner_settings,
    make_learner,
    train,
)
from agents.model import DialogAgent
from agents.policy import config_for_world

TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16,
            slots=4, width=8, controller=16)

# The flat LearnerConfig every checkpoint recorded before the learners owned their settings.
OLD_FLAT = dict(steps=2, batch=4, turns=2, lr=1e-3, grad_clip=5.0, loss="sampled_ce",
                top_k=8, temperature=0.2, baseline_decay=0.9, supervised_weight=1.0,
                rollout_k=4, checkpoint_every=1)


def tiny_agent(world, name="st-avg"):
    return DialogAgent.from_seed(config_for_world(name, world, **TINY), 0)


def cfg(**kw):
    return LearnerConfig(**{"steps": 2, "batch": 4, "turns": 2, "checkpoint_every": 1, **kw})


def test_each_learner_registers_its_settings():
    assert {n: learner_settings(n) for n in LEARNERS} == {
        "supervised": SupervisedSettings, "reinforce": ReinforceSettings,
        "rollout": RolloutSettings}
    shared = {"steps", "batch", "turns", "lr", "grad_clip", "checkpoint_every"}
    for cls in (SupervisedSettings, ReinforceSettings, RolloutSettings):
        assert not shared & {f.name for f in fields(cls)}
    # The old defaults, now per learner.
    assert ReinforceSettings() == ReinforceSettings(loss="sampled_ce", top_k=8,
                                                    temperature=0.2, baseline_decay=0.9,
                                                    supervised_weight=1.0)
    assert RolloutSettings() == RolloutSettings(rollout_k=4, temperature=0.2)


def test_flat_names_map_onto_the_learners_settings():
    learner = make_learner("reinforce", cfg(top_k=3, loss="triplet"))
    assert learner.settings == ReinforceSettings(top_k=3, loss="triplet")
    assert make_learner("rollout", cfg(rollout_k=2)).settings == RolloutSettings(rollout_k=2)
    assert make_learner("supervised", cfg()).settings == SupervisedSettings()
    given = cfg(settings=RolloutSettings(temperature=0.5), rollout_k=2).bind("rollout")
    assert given.settings == RolloutSettings(rollout_k=2, temperature=0.5)


def test_a_knob_of_another_learner_is_refused(small_world, tmp_path):
    with pytest.raises(ValueError, match=r"learner 'supervised' has no setting 'top_k' "
                                         r"\(it belongs to 'reinforce'\)"):
        make_learner("supervised", cfg(top_k=3))
    with pytest.raises(ValueError, match=r"learner 'rollout' has no setting 'loss'"):
        train(tiny_agent(small_world), small_world, [("rollout", cfg(loss="triplet"))],
              tmp_path, progress=False)
    assert not (tmp_path / "final").exists()
    with pytest.raises(TypeError, match=r"unknown learner settings \['topk'\]"):
        cfg(topk=3)
    with pytest.raises(TypeError, match="learner 'rollout' takes RolloutSettings, got "
                                        "SupervisedSettings"):
        cfg(settings=SupervisedSettings()).bind("rollout")


def test_checkpoints_record_the_learners_own_settings(small_world, tmp_path):
    train(tiny_agent(small_world), small_world, [("supervised", cfg(loss="triplet"))],
          tmp_path, progress=False)
    meta = json.loads((tmp_path / "stage0-supervised" / "checkpoint" / "checkpoint.json")
                      .read_text())
    assert meta["extra"]["config"] == dict(steps=2, batch=4, turns=2, lr=1e-3, grad_clip=5.0,
                                           checkpoint_every=1,
                                           settings={"loss": "triplet"})


def _write_old_layout(out, stage, step=None):
    file = out / stage / "checkpoint" / "checkpoint.json"
    meta = json.loads(file.read_text())
    meta["extra"]["config"] = dict(OLD_FLAT)
    if step is not None:
        meta["extra"]["step"] = step
        meta["extra"]["history"] = meta["extra"]["history"][:step]
    file.write_text(json.dumps(meta, indent=2, sort_keys=True))


def test_old_flat_layout_checkpoint_resumes(small_world, tmp_path):
    train(tiny_agent(small_world), small_world, [("supervised", cfg())], tmp_path,
          progress=False)
    _write_old_layout(tmp_path, "stage0-supervised", step=1)  # as if killed after step 1
    train(tiny_agent(small_world), small_world, [("supervised", cfg())], tmp_path,
          progress=False)
    meta = json.loads((tmp_path / "stage0-supervised" / "checkpoint" / "checkpoint.json")
                      .read_text())
    assert meta["extra"]["step"] == 2
    assert meta["extra"]["config"]["settings"] == {"loss": "sampled_ce"}


@pytest.mark.parametrize("changes, named", [
    (dict(lr=0.01), r"lr: 0\.001 \(checkpoint\) vs 0\.01 \(requested\)"),
    (dict(loss="triplet"), r"loss: 'sampled_ce' \(checkpoint\) vs 'triplet' \(requested\)"),
])
def test_old_flat_layout_checkpoint_is_refused_naming_differences(small_world, tmp_path,
                                                                  changes, named):
    train(tiny_agent(small_world), small_world, [("supervised", cfg())], tmp_path,
          progress=False)
    _write_old_layout(tmp_path, "stage0-supervised")
    with pytest.raises(ValueError, match=r"checkpoint\.json: cannot resume this stage with "
                                         r"other settings \(.*" + named):
        train(tiny_agent(small_world), small_world, [("supervised", cfg(**changes))],
              tmp_path, progress=False)
