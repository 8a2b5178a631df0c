"""Shared fixtures: every test session gets its own cache directory (never the user's)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("fd-cache")
    # stable-baselines3's logger writes its (empty) run folders here, not into /tmp.
    os.environ.setdefault("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3-logs")))
    old = os.environ.get("FASHION_DIALOG_CACHE")
    os.environ["FASHION_DIALOG_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("FASHION_DIALOG_CACHE", None)
    else:
        os.environ["FASHION_DIALOG_CACHE"] = old


@pytest.fixture(scope="session")
def small_catalog():
    from dialog_env.catalog import load_synthetic

    return load_synthetic(1500, seed=3, image_size=32, progress=False)


@pytest.fixture(scope="session")
def small_world():
    from dialog_env.config import env_config
    from dialog_env.factory import make_world

    return make_world(env_config(n_items=2000, catalog_seed=5, visual_dim=32,
                                 perception="ground_truth"), progress=False)


@pytest.fixture(scope="session")
def shared_data():
    """`../shared/data` beside the checkout; tests that read it skip when it is absent."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.exists():
        pytest.skip("../shared/data is not present")
    return path


@pytest.fixture(scope="session")
def fake_world():
    """A 300-item world with the counting fake shopper (tests/fakes.py)."""
    from tests.fakes import fake_world

    return fake_world()
