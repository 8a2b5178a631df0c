"""Golden digests of the template shopper through the shopper contract alone (no
environment): the same seeds give the same token ids, texts, modes and mentions as the
code they were recorded with (before the template package refactor)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from simulators.template import TemplateConfig, TemplateShopper


def shopper_fingerprint(shopper, n_items, batch, turns=10, seed=0):
    """Digest of a shopper's answers and feedback over seeded dialogs (contract only)."""
    h = hashlib.sha256()
    rng = np.random.default_rng(seed)
    dialogs = shopper.dialogs(batch, turns)
    rows = np.arange(batch)
    for episode in range(3):
        gens = [np.random.default_rng([seed, episode, i]) for i in range(batch)]
        targets = rng.integers(0, n_items, batch)
        dialogs.start(rows, targets, gens)
        for t in range(turns + 1):
            live = rows[rng.random(batch) < 0.8] if t else rows
            shown = np.where(rng.random(len(live)) < 0.05, targets[live],
                             rng.integers(0, n_items, len(live)))
            h.update(np.ascontiguousarray(dialogs.answer(live, shown)).tobytes())
        for i in range(batch):
            for fb in dialogs.feedback(i):
                h.update(json.dumps([fb.text, fb.tokens, fb.mode, fb.mentions]).encode())
    return h.hexdigest()


NOISY = dict(wrong_rate=0.2, omit_rate=0.2, typo_rate=0.2, repeat_rate=0.3, negation_rate=0.3,
             irrelevant_rate=0.05)
SETTINGS = {"default": {}, "noisy": NOISY, "test-lexicon": {"lexicon": "test"}}
# (64 dialogs a batch: the array path; 5 dialogs a batch: the plain-Python path)
DIGESTS = {
    "default": ("40b97edf858ea8314cf66fffb65a2494e68a47e36724ba09c53b76f282d11f19",
        "d104f9fcd18192d59d0ac177a824616adab0fa57b14597e1426e4e46007c03f7"),
    "noisy": ("ddf404101b64053d84e86378112d1fdc07e1df633d34e2dfe3041fcc0f3de2df",
        "53d7c06933bdef5bad44fd7ecfa51531506b2d077e3e1566c11aafb1e3d9a088"),
    "test-lexicon": ("526e3e0d349e2fc244c4895bcd3b54e860dbeab6d40d02f5201da4b47dd32a7f",
        "c3ef4d2b04f1f7612504702e9dfc018424cc06ffc441188de562c944f1095ca3"),
}


@pytest.fixture(scope="module")
def catalog():
    from dialog_env.catalog import load_synthetic

    return load_synthetic(2000, 5, 64, progress=False)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_template_shopper_matches_the_recorded_digests(catalog, name):
    shopper = TemplateShopper(catalog, TemplateConfig(**SETTINGS[name]))
    got = (shopper_fingerprint(shopper, len(catalog), 64),
           shopper_fingerprint(shopper, len(catalog), 5))
    assert got == DIGESTS[name]
