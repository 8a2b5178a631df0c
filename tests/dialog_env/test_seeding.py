"""`seeded_init`: the one seeded torch block (agents, AttrNet, neural captioner)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

from dialog_env.seeding import seeded_init

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_gives_the_same_init_as_manual_seed():
    with seeded_init(3):
        a = nn.Linear(5, 4)
    with seeded_init(3):
        b = nn.Linear(5, 4)
    with seeded_init(4):
        c = nn.Linear(5, 4)
    torch.manual_seed(3)
    d = nn.Linear(5, 4)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert torch.equal(a.weight, d.weight)
    assert not torch.equal(a.weight, c.weight)


def test_global_torch_rng_state_is_unchanged_after_the_block():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    with seeded_init(7):
        nn.Linear(8, 8)
        torch.rand(10)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_importing_the_helper_does_not_import_torch():
    code = "import sys, dialog_env.seeding; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
