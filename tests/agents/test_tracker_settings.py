"""Per-kind tracker settings: cmntm's settings live in `CMNTMSettings` (registered with the
kind) held by `AgentConfig.tracker_settings`; flat names are mapped (or refused for a kind
without them); checkpoints of the old flat layout still load."""

import json
from dataclasses import replace

import pytest
import torch

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.cmntm import CMNTMSettings
from agents.model import AgentConfig, DialogAgent
from agents.policy import config_for_world
from agents.trackers import TRACKERS, tracker_settings

TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16,
            slots=4, width=8, controller=16)
OLD_FLAT_CMNTM = dict(memories=4, slots=8, width=64, controller=128)


def test_cmntm_settings_are_its_own():
    assert TRACKERS["cmntm"].settings_class is CMNTMSettings
    assert tracker_settings("cmntm") == ("memories", "slots", "width", "controller")
    c = AgentConfig(name="x", tracker="cmntm", slots=4, memories=2)
    assert c.tracker_settings == CMNTMSettings(memories=2, slots=4)
    assert (c.memories, c.slots, c.width, c.controller) == (2, 4, 64, 128)
    assert replace(c, width=8).tracker_settings == CMNTMSettings(memories=2, slots=4, width=8)
    assert c.to_dict()["tracker_settings"] == dict(memories=2, slots=4, width=64,
                                                   controller=128)
    assert "slots" not in c.to_dict() and AgentConfig.from_dict(c.to_dict()) == c
    assert AgentConfig(name="g", tracker="gru").tracker_settings == {}


def test_flat_setting_of_another_kind_is_refused():
    with pytest.raises(TypeError, match="tracker 'gru' has no setting slots.*slots is a "
                                        "setting of cmntm"):
        AgentConfig(name="g", tracker="gru", slots=4)
    with pytest.raises(TypeError, match="unknown field.*nope"):
        AgentConfig(name="g", tracker="cmntm", nope=1)
    with pytest.raises(TypeError, match="takes CMNTMSettings"):
        AgentConfig(name="g", tracker="cmntm", tracker_settings=object())


def test_presets_take_flat_overrides(small_world):
    ntm = config_for_world("fashionntm", small_world, **TINY, memories=2)
    assert ntm.tracker_settings == CMNTMSettings(memories=2, slots=4, width=8, controller=16)
    assert config_for_world("vanilla-ntm", small_world).memories == 1
    # one set of overrides fits every preset: other kinds' settings are dropped
    assert config_for_world("fiq-gru", small_world, **TINY).tracker_settings == {}


@pytest.mark.parametrize("name", ["fashionntm", "st-avg"])
def test_old_flat_checkpoint_loads(tmp_path, small_world, name):
    agent = DialogAgent.from_seed(config_for_world(name, small_world, **TINY), 0)
    save_checkpoint(tmp_path / "ck", agent)
    meta_file = tmp_path / "ck" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    cfg = meta["config"]
    settings = cfg.pop("tracker_settings")
    cfg.update({**OLD_FLAT_CMNTM, **settings})  # the old layout: every cmntm field, flat
    meta_file.write_text(json.dumps(meta))
    loaded, _ = load_checkpoint(tmp_path / "ck", expect=agent.config)
    assert loaded.config == agent.config
    for k, v in agent.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
