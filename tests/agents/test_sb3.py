import gymnasium as gym
import numpy as np

import dialog_env  # noqa: F401
from agents.sb3 import FashionDialogVecEnv, policy_kwargs, vec_normalize


def test_ppo_trains_on_the_batched_core(fake_world):
    from stable_baselines3 import PPO

    venv = FashionDialogVecEnv(8, world=fake_world)
    model = PPO("MultiInputPolicy", venv, n_steps=16, batch_size=64, n_epochs=1, seed=0,
                device="cpu", policy_kwargs=policy_kwargs(text_dim=8, embed_dim=8))
    model.learn(total_timesteps=256)
    obs = venv.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (8, fake_world.dim)


def test_seeded_dialogs_equal_the_single_env_and_ended_ones_restart(fake_world):
    venv = FashionDialogVecEnv(4, world=fake_world, max_turns=2)
    venv.seed(10)
    obs = venv.reset()
    for i in range(4):
        single, _ = gym.make("FashionDialog-v0", world=fake_world).reset(seed=10 + i)
        assert all(np.array_equal(single[k], obs[k][i]) for k in single)
    a = np.zeros((4, fake_world.dim), np.float32)
    venv.step(a)
    obs, rew, done, infos = venv.step(a)
    assert done.all() and rew.dtype == np.float32
    for info in infos:
        assert info["terminal_observation"]["turn"][0] >= 1
        assert info["TimeLimit.truncated"] == (not info["success"])
    assert (obs["turn"] == 0).all()  # restarted at once, as SB3 expects


def test_vec_normalize_leaves_token_ids_alone(fake_world):
    venv = vec_normalize(FashionDialogVecEnv(4, world=fake_world))
    obs = venv.reset()
    raw = venv.get_original_obs()
    assert np.array_equal(obs["feedback"], raw["feedback"])
    assert "feedback" not in venv.norm_obs_keys and "candidate_features" in venv.norm_obs_keys


def test_flat_observations_train_a_default_mlp_on_the_batched_core(fake_world):
    from stable_baselines3 import PPO

    venv = vec_normalize(FashionDialogVecEnv(4, world=fake_world, observation="flat",
                                             max_turns=2, info="full"))
    assert isinstance(venv.observation_space, gym.spaces.Box)
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=128)
    obs = venv.reset()
    assert obs.shape == (4, *venv.observation_space.shape)
    _, _, done, infos = venv.step(np.zeros((4, fake_world.dim), np.float32))
    _, _, done, infos = venv.step(np.zeros((4, fake_world.dim), np.float32))
    assert done.all()
    assert all(info["terminal_observation"].shape == obs.shape[1:] for info in infos)


def test_the_caption_extractor_scales_the_turn_by_the_turn_budget(fake_world):
    import torch

    from agents.sb3 import CaptionExtractor

    venv = FashionDialogVecEnv(2, world=fake_world, max_turns=4)
    extractor = CaptionExtractor(venv.observation_space, text_dim=8, embed_dim=8)
    obs = {k: torch.as_tensor(v) for k, v in venv.reset().items()}
    obs["turn"] = torch.tensor([[0.0], [2.0]])
    features = extractor(obs)
    assert features.shape == (2, extractor.features_dim)
    # turn / max_turns = 2 / 4, not the 2 / 10 of a fixed budget of ten turns
    assert torch.allclose(features[:, -1], torch.tensor([0.0, 0.5]))
