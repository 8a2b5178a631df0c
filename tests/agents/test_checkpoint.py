import shutil

import pytest
import torch

import agents.checkpoint as checkpoint
from agents.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from agents.learners import LearnerConfig, train
from agents.model import DialogAgent
from agents.policy import config_for_world

TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16,
            slots=4, width=8, controller=16)


def tiny_agent(world, name="st-avg"):
    return DialogAgent.from_seed(config_for_world(name, world, **TINY), 0)


def inputs(world, b=4):
    g = torch.Generator().manual_seed(0)
    return (torch.randint(0, 40, (b, 24), generator=g),
            torch.randn(b, world.space.visual_dim, generator=g),
            torch.rand(b, world.attributes.shape[1], generator=g))


def adam_step(agent, opt, world):
    q, _ = agent.turn(*inputs(world), agent.initial_state(4))
    opt.zero_grad()
    q.pow(2).mean().backward()
    opt.step()


def snapshot(agent, opt):
    weights = {k: v.clone() for k, v in agent.state_dict().items()}
    state = {pid: {k: v.clone() for k, v in st.items()}
             for pid, st in opt.state_dict()["state"].items()}
    return weights, state


def assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            assert_same(a[k], b[k])
        else:
            assert torch.equal(a[k], b[k]), k


def test_checkpoint_roundtrip_gives_identical_outputs(small_world, tmp_path):
    agent = tiny_agent(small_world, "fiq-gru-attention").eval()
    save_checkpoint(tmp_path / "ck", agent)
    back, _ = load_checkpoint(tmp_path / "ck")
    x = inputs(small_world)
    q1, _ = agent.turn(*x, agent.initial_state(4))
    q2, _ = back.turn(*x, back.initial_state(4))
    assert torch.equal(q1, q2)


def test_bad_checkpoints_are_reported(small_world, tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint.json"):
        load_checkpoint(tmp_path)
    agent = tiny_agent(small_world, "st-avg")
    save_checkpoint(tmp_path / "ck", agent)
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"half-written")
    with pytest.raises(ValueError, match="model.safetensors: unreadable weights"):
        load_checkpoint(tmp_path / "ck")
    save_checkpoint(tmp_path / "ck2", tiny_agent(small_world, "st-lstm"))
    (tmp_path / "ck" / "model.safetensors").write_bytes(
        (tmp_path / "ck2" / "model.safetensors").read_bytes())
    with pytest.raises(ValueError, match="model.safetensors: weights do not match"):
        load_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "checkpoint.json").write_text("{")
    with pytest.raises(ValueError, match="checkpoint.json: malformed"):
        load_checkpoint(tmp_path / "ck")


def test_files_of_two_saves_are_not_loaded_together(small_world, tmp_path):
    agent = tiny_agent(small_world)
    opt = torch.optim.Adam(agent.parameters())
    adam_step(agent, opt, small_world)
    save_checkpoint(tmp_path / "a", agent, opt, {"step": 1})
    adam_step(agent, opt, small_world)
    save_checkpoint(tmp_path / "b", agent, opt, {"step": 2})
    for name in ("model.safetensors", "optimizer.safetensors"):
        mixed = shutil.copytree(tmp_path / "a", tmp_path / f"mixed-{name}")
        (mixed / name).write_bytes((tmp_path / "b" / name).read_bytes())
        with pytest.raises(ValueError, match=f"{name}: belongs to another save"):
            load_checkpoint(mixed, optimizer=torch.optim.Adam(agent.parameters()))


def test_a_crash_while_saving_leaves_the_previous_checkpoint(small_world, tmp_path,
                                                              monkeypatch):
    agent = tiny_agent(small_world)
    opt = torch.optim.Adam(agent.parameters(), lr=0.01)
    adam_step(agent, opt, small_world)
    save_checkpoint(tmp_path / "ck", agent, opt, {"step": 1})
    weights1, opt1 = snapshot(agent, opt)
    adam_step(agent, opt, small_world)
    assert not torch.equal(agent.query.weight, weights1["query.weight"])

    real = checkpoint.save_file

    def crash_after_the_weights(tensors, filename, metadata=None):
        real(tensors, filename, metadata=metadata)
        if filename.endswith("model.safetensors"):
            raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "save_file", crash_after_the_weights)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path / "ck", agent, opt, {"step": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temporary left

    fresh = tiny_agent(small_world)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.01)
    back, extra = load_checkpoint(tmp_path / "ck", optimizer=fresh_opt)
    assert extra == {"step": 1}
    assert_same(back.state_dict(), weights1)
    _, opt_back = snapshot(back, fresh_opt)
    assert_same(opt_back, opt1)
    assert all(int(st["step"]) == 1 for st in opt_back.values())


def test_a_crash_between_the_renames_keeps_the_previous_checkpoint(small_world, tmp_path,
                                                                   monkeypatch):
    agent = tiny_agent(small_world)
    save_checkpoint(tmp_path / "ck", agent, extra={"step": 1})
    real, calls = checkpoint.os.rename, []

    def second_rename_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("rename failed")
        real(src, dst)

    monkeypatch.setattr(checkpoint.os, "rename", second_rename_fails)
    with pytest.raises(OSError, match="rename failed"):
        save_checkpoint(tmp_path / "ck", agent, extra={"step": 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
    assert load_checkpoint(tmp_path / "ck")[1] == {"step": 1}


def test_what_a_killed_writer_leaves_is_read_and_cleaned_up(small_world, tmp_path):
    agent = tiny_agent(small_world)
    ck = tmp_path / "ck"
    save_checkpoint(ck, agent, extra={"step": 1})
    # killed between renaming the old folder away and the new one in: only the old one
    # and the new one's (here: unfinished) folder remain
    ck.rename(tmp_path / ".ck.old-x1")
    (tmp_path / ".ck.new-x1").mkdir()
    (tmp_path / ".ck.new-x1" / "model.safetensors").write_bytes(b"partial")
    assert find_checkpoint(ck) == tmp_path / ".ck.old-x1"
    assert load_checkpoint(ck)[1] == {"step": 1}
    save_checkpoint(ck, agent, extra={"step": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
    assert load_checkpoint(ck)[1] == {"step": 2}


def test_training_resumes_after_a_crash_inside_a_checkpoint(small_world, tmp_path,
                                                             monkeypatch):
    stages = [("supervised", LearnerConfig(steps=3, batch=8, turns=3, checkpoint_every=1))]
    whole = tiny_agent(small_world, "st-lstm")
    train(whole, small_world, stages, tmp_path / "a", progress=False)

    real, saved = checkpoint.save_file, []

    def crash_in_the_second_checkpoint(tensors, filename, metadata=None):
        real(tensors, filename, metadata=metadata)
        saved.append(filename)
        if len(saved) == 3:  # step 1: model, optimizer; step 2: model, then the crash
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save_file", crash_in_the_second_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_agent(small_world, "st-lstm"), small_world, stages, tmp_path / "b",
              progress=False)
    monkeypatch.undo()
    ck = tmp_path / "b" / "stage0-supervised" / "checkpoint"
    assert load_checkpoint(ck)[1]["step"] == 1
    resumed = tiny_agent(small_world, "st-lstm")
    train(resumed, small_world, stages, tmp_path / "b", progress=False)
    for (n, a), b in zip(whole.named_parameters(), resumed.parameters()):
        assert torch.equal(a, b), n
