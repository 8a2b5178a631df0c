"""Scripts never record what did not happen: protocols are not reused across catalogs,
splits or lengths, and a resumed training must repeat the recorded arguments."""

from __future__ import annotations

import json

import pytest

from dialog_env.catalog import load_synthetic
from dialog_env.catalog.schema import SPLITS
from dialog_env.protocol import make_protocol, protocol_filename, save_protocol
from tests.experiments.test_scripts import SMALL, run_script

EVAL = ["--agent", "anchor", "--seeds", "0", *SMALL, "--env.episode.max-turns", "2",
        "--quiet"]


def small_catalog(seed: int = 0):
    """The catalog SMALL builds (300 items, 16px), with catalog seed `seed`."""
    return load_synthetic(300, seed=seed, image_size=16, progress=False)


def test_evaluate_keeps_one_protocol_per_catalog(tmp_path):
    for seed in (0, 1):
        run_script("evaluate", *EVAL, "--episodes", "6", "--env.catalog.seed", str(seed),
                   "--out", str(tmp_path / "eval"))
        result = json.loads((tmp_path / "eval" / "anchor.json").read_text())
        protocol = json.loads(open(result["protocol"]).read())
        catalog = small_catalog(seed)
        assert protocol["catalog"] == catalog.name
        for t, c in protocol["pairs"]:
            assert SPLITS[catalog.split[t]] == "test"
            assert catalog.category[t] == catalog.category[c]
    assert len(list((tmp_path / "eval").glob("protocol-*.json"))) == 2


def test_evaluate_refuses_a_protocol_of_another_length_or_split(tmp_path):
    catalog = small_catalog()
    name = protocol_filename(catalog, "test", 2)
    one = make_protocol(catalog, "test", 1)
    save_protocol(one, tmp_path / name)
    with pytest.raises(ValueError, match=f"{name}: field 'n_dialogs' is 1 but"):
        run_script("evaluate", *EVAL, "--episodes", "2", "--out", str(tmp_path))
    save_protocol(make_protocol(catalog, "val", 2), tmp_path / name)
    with pytest.raises(ValueError, match=f"{name}: field 'split' is 'val' but"):
        run_script("evaluate", *EVAL, "--episodes", "2", "--out", str(tmp_path))
    assert not (tmp_path / "anchor.json").exists()


TRAIN = ["--agent", "st-avg", "--steps", "2", "--batch", "8", "--checkpoint-every", "1",
         "--eval-episodes", "0", *SMALL, "--env.episode.max-turns", "2", "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("resume") / "run"
    run_script("train", *TRAIN, "--out", str(out))
    return out


@pytest.mark.parametrize("change, named", [
    (["--lr", "0.01"], "--lr: 0.001 -> 0.01"),
    (["--batch", "4"], "--batch: 8 -> 4"),
    (["--seed", "3"], "--seed: 0 -> 3"),
    (["--env.shopper.template.wrong-rate", "0.2"], "--env.shopper.template.wrong-rate"),
    (["--learners", "supervised", "reinforce", "--steps", "2", "2"], "--learners"),
    (["--agent", "st-lstm"], "--agent: 'st-avg' -> 'st-lstm'"),
])
def test_resume_with_other_arguments_is_refused_before_anything_is_written(trained, change,
                                                                           named):
    before = {p: p.read_bytes() for p in (trained / "args.json",
                                          trained / "train_result.json")}
    with pytest.raises(SystemExit, match=named.replace("(", r"\(")):
        run_script("train", *TRAIN, *change, "--out", str(trained))
    assert {p: p.read_bytes() for p in before} == before


def test_resume_with_the_same_training_arguments_runs(trained):
    # Device, evaluation and checkpoint spacing may change on resume.
    run_script("train", *TRAIN, "--checkpoint-every", "2", "--device", "cpu", "--out",
               str(trained))
    assert json.loads((trained / "args.json").read_text())["checkpoint_every"] == 2


def test_checkpoints_without_args_json_are_not_resumed(trained, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(trained, out)
    (out / "args.json").unlink()
    with pytest.raises(SystemExit, match="no args.json"):
        run_script("train", *TRAIN, "--out", str(out))
    assert not (out / "args.json").exists()
