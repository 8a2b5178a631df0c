"""Golden fingerprints: the same seeds give the same dialogs and the same learner losses
as the code they were recorded with (bit for bit, on the same machine).

The digests were recorded before the shopper contract / template package refactor; a
change to any caption, token id, mention, rank or reward of these seeded runs changes them.
If a change is *meant* to alter dialogs, say so in the commit and record new digests.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest


def _plain(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x

def _update(h, obs, infos, extra):
    for k in sorted(obs):
        h.update(k.encode())
        h.update(np.ascontiguousarray(obs[k]).tobytes())
    h.update(json.dumps(_plain(infos), sort_keys=True).encode())
    h.update(json.dumps(_plain(extra)).encode())

def single_fingerprint(make, seeds, steps=10):
    h = hashlib.sha256()
    env = make()
    dim = env.action_space.shape[0]
    rng = np.random.default_rng(0)
    for s in seeds:
        obs, info = env.reset(seed=s)
        _update(h, obs, info, [])
        for _ in range(steps):
            obs, r, te, tr, info = env.step(rng.uniform(-1, 1, dim).astype(np.float32))
            _update(h, obs, info, [float(r), bool(te), bool(tr)])
            if te or tr:
                break
    return h.hexdigest()

def _per_env(info, n):
    return [{k: info[k][i] for k in sorted(info) if not k.startswith("_") and info[f"_{k}"][i]}
            for i in range(n)]

def vector_fingerprint(make_vec, n, steps, seed):
    h = hashlib.sha256()
    venv = make_vec(n)
    dim = venv.single_action_space.shape[0]
    rng = np.random.default_rng(1)
    obs, info = venv.reset(seed=seed)
    _update(h, obs, _per_env(info, n), [])
    for _ in range(steps):
        obs, r, te, tr, info = venv.step(rng.uniform(-1, 1, (n, dim)).astype(np.float32))
        _update(h, obs, _per_env(info, n), [r.tolist(), te.tolist(), tr.tolist()])
    return h.hexdigest()


NOISY = dict(wrong_rate=0.2, omit_rate=0.2, typo_rate=0.2, repeat_rate=0.3, negation_rate=0.3,
             irrelevant_rate=0.05)
SHOPPERS = {"default": {}, "noisy": NOISY, "test-lexicon": {"lexicon": "test"}}
# (single env: 40 seeded dialogs; vector env: 64 dialogs x 30 steps; vector env: 5 x 30)
DIGESTS = {
    "default": (
        "152995d4149901590fdc22756f04f34f02c74cc46524fd5a86675674ea7b0b66",
        "438ccff64b6e7bac04d6fe650e9b6ef2212476311ac137a47b2b51c6297d51f0",
        "38db044ecfcd75622bcf62cbe86f30965c9ab2a8dc4dc223189e6662664b80be"),
    "noisy": (
        "955e618b8918e3d549b40e88c8dcd813ac26de236de4c05a853912be1ed36609",
        "cec4d3f631e63708e24181acb9d2d74e85fa710bb73b8a2f237a8c061fb8eecb",
        "7b7f2a2a88393c2d1db93e8ba65768eeb9420a66d88a45e6f8e52e1c488c4d2d"),
    "test-lexicon": (
        "c82f42d38ae2a1ed214737cc3a84cb2c7c1e1acb8ef05d0b6f76f2df204a219a",
        "67883ed0fa424cc3bbb4e8de1bc6f45de573e7b9ee96a441b000180c02aa8968",
        "e5d9e1b296c565c9cba45c98d82100e8b8070b940cce82f2e14cbd1a7d66ee03"),
}
LOSSES = {
    "fiq-gru": {
        "stage0-supervised": [
            [
                10.023987770080566,
                9.377391815185547,
                8.129319190979004
            ],
            [
                0.0,
                0.0,
                0.0
            ]
        ],
        "stage1-reinforce": [
            [
                7.970741271972656,
                8.073391914367676,
                9.012862205505371
            ],
            [
                0.0,
                0.0,
                0.0
            ]
        ],
        "stage2-rollout": [
            [
                1.3673110008239746,
                1.3216099739074707
            ],
            [
                0.0,
                0.0
            ]
        ]
    },
    "fashionntm": {
        "stage0-supervised": [
            [
                9.127543449401855,
                8.492829322814941,
                10.00409984588623
            ],
            [
                0.0,
                0.0,
                0.0
            ]
        ],
        "stage1-reinforce": [
            [
                9.579826354980469,
                8.922436714172363,
                10.656697273254395
            ],
            [
                0.0,
                0.0,
                0.0
            ]
        ],
        "stage2-rollout": [
            [
                1.2834254503250122,
                1.1807599067687988
            ],
            [
                0.0,
                0.0
            ]
        ]
    }
}
WEIGHTS = {
    "fiq-gru": "0e4f3bc410101531b0c98cead5c0d18df75ba5b02dc2936e6801914024af4579",
    "fashionntm": "2330b48d0a6ecc6d2fd830403866a8a8ad2fd6f6c4cbbb5fbf9a381d90bd11f4"
}
TINY = dict(embed_dim=16, text_hidden=16, text_dim=16, response_dim=16, hidden=16, slots=4,
            width=8, controller=16)


def _world(shopper: dict):
    from dialog_env.config import env_config
    from dialog_env.factory import make_world

    return make_world(env_config(n_items=2000, catalog_seed=5, visual_dim=32, template=shopper,
                                 perception="ground_truth", shopper="template"),
                      progress=False)


@pytest.mark.parametrize("name", sorted(SHOPPERS))
def test_dialogs_match_the_recorded_digests(name):
    import gymnasium as gym

    import dialog_env  # noqa: F401

    world = _world(SHOPPERS[name])

    # The digests cover the full infos (caption text and mentions included).
    def make():
        return gym.make("FashionDialog-v0", world=world, info="full")

    def make_vec(n):
        return gym.make_vec("FashionDialog-v0", num_envs=n,
                            vectorization_mode="vector_entry_point", world=world, info="full")

    got = (single_fingerprint(make, range(40)), vector_fingerprint(make_vec, 64, 30, 7),
           vector_fingerprint(make_vec, 5, 30, 3))
    assert got == DIGESTS[name]


@pytest.mark.parametrize("agent_name", sorted(LOSSES))
def test_learner_losses_match_the_recorded_ones(agent_name, tmp_path):
    from agents.learners import LearnerConfig, train
    from agents.model import DialogAgent
    from agents.policy import config_for_world

    world = _world({})
    agent = DialogAgent.from_seed(config_for_world(agent_name, world, **TINY), 0)

    def cfg(**kw):
        return LearnerConfig(**{"steps": 3, "batch": 8, "turns": 3, "checkpoint_every": 1, **kw})

    train(agent, world, [("supervised", cfg()), ("reinforce", cfg()), ("rollout", cfg(steps=2))],
          tmp_path, seed=4, progress=False)
    for stage, (loss, recall) in LOSSES[agent_name].items():
        meta = json.loads((tmp_path / stage / "checkpoint" / "checkpoint.json").read_text())
        hist = meta["extra"]["history"]
        assert [h["loss"] for h in hist] == loss, stage
        assert [h["recall@10"] for h in hist] == recall, stage
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes()
                                     for p in agent.parameters())).hexdigest()
    assert digest == WEIGHTS[agent_name]
