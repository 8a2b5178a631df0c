"""docs/own-agent.md runs as written: an agent of one's own evaluated with
`experiments.evaluate.evaluate`, and the scripts taking a user's agent and shopper by
`module.path:factory` and by an installed package's entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.plugins import AGENT_GROUP
from experiments.cross_shopper import check_spec, spec_env
from experiments.evaluate import result_file
from simulators.registry import SHOPPER_GROUP
from tests.docs import ROOT, doc_example, run_example
from tests.experiments.test_scripts import run_script
from tests.plugin_fakes import plugin_folder

TINY = ["--env.catalog.n-items", "600", "--env.items.perception", "ground_truth",
        "--episodes", "20", "--seeds", "0", "--env.episode.max-turns", "3", "--quiet"]


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """The docs' my_plugins.py, importable."""
    with plugin_folder(tmp_path, monkeypatch) as folder:
        folder.module("my_plugins", doc_example("own-plugins"))
        yield folder


def recall10(result: dict) -> list[float]:
    return result["metrics"]["per_turn"]["recall@10"]["mean"]


def test_the_own_agent_example_evaluates_it_next_to_anchor(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes results/own-agent/ where it runs
    scope = run_example("own-agent")
    mine, anchor = scope["mine"], scope["anchor"]
    out = tmp_path / "results" / "own-agent"
    assert json.loads((out / "word-memory.json").read_text())["agent"] == "word-memory"
    assert (out / "anchor.json").exists()
    assert mine["protocol"] == anchor["protocol"] and Path(mine["protocol"]).exists()
    assert mine["env"]["shopper"]["name"] == "template" and mine["world"]["items"] == 600
    assert len(recall10(mine)) == len(recall10(anchor)) == 6  # turn 0 and 5 turns
    assert recall10(mine)[0] == recall10(anchor)[0]  # the same dialogs, before any query
    # Reading the shopper's words helps: the agent beats the shown item's own vector.
    assert recall10(mine)[-1] > recall10(anchor)[-1]


def test_the_plugin_command_runs_as_written(tmp_path):
    """The docs' command, in a fresh interpreter, from the folder with my_plugins.py."""
    (tmp_path / "my_plugins.py").write_text(doc_example("own-plugins"))
    command = doc_example("own-plugins-command", "bash")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    file = tmp_path / "results" / "plugins" / "my_plugins-away_from_last.json"
    result = json.loads(file.read_text())
    assert result["agent"] == "my_plugins:away_from_last"
    assert result["env"]["shopper"]["name"] == "my_plugins:plain_spoken"
    assert result["world"]["shopper"] == "template"  # what plain_spoken built
    assert result["episodes_per_seed"] == 50 and result["world"]["items"] == 600
    assert len(recall10(result)) == 11


def test_the_plugin_module_builds_what_it_says(plugins):
    import my_plugins

    from dialog_env.config import env_config
    from dialog_env.factory import make_world

    world = make_world(env_config(n_items=600, perception="ground_truth",
                                  shopper="my_plugins:plain_spoken"), progress=False)
    assert world.shopper.config.negation_rate == 0.0 and world.shopper.config.typo_rate == 0.0
    agent = my_plugins.away_from_last(world, 0)
    assert agent.name == "away-from-last"


def test_the_entry_points_of_the_docs_pyproject_make_names_for_the_scripts(plugins, tmp_path):
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads(doc_example("own-plugins-entry-points", "toml"))
    groups = declared["project"]["entry-points"]
    assert sorted(groups) == sorted([AGENT_GROUP, SHOPPER_GROUP])
    plugins.distribution("my-plugins", groups)  # what `pip install` of that package writes
    run_script("evaluate", "--agent", "away-from-last", "--env.shopper.name", "plain-spoken",
               *TINY, "--out", str(tmp_path / "out"))
    result = json.loads((tmp_path / "out" / "away-from-last.json").read_text())
    assert result["agent"] == "away-from-last"
    assert result["env"]["shopper"]["name"] == "plain-spoken"
    assert len(recall10(result)) == 4


def test_evaluate_refuses_an_agent_name_that_leads_nowhere(plugins, tmp_path):
    with pytest.raises(SystemExit, match="unknown agent 'nobody'.*or a trained agent's "
                                         "--checkpoint PATH"):
        run_script("evaluate", "--agent", "nobody", "--out", str(tmp_path / "x"))
    with pytest.raises(SystemExit, match="agent 'my_plugins:nope': my_plugins has no "
                                         "attribute 'nope'"):
        run_script("evaluate", "--agent", "my_plugins:nope", "--out", str(tmp_path / "x"))
    with pytest.raises(ValueError, match="unknown shopper 'nobody'"):
        run_script("evaluate", "--env.shopper.name", "nobody", *TINY,
                   "--out", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()  # refused before any work


def test_result_files_of_module_path_agents_have_plain_names():
    assert result_file("anchor") == "anchor.json"
    assert result_file("my_plugins:away_from_last") == "my_plugins-away_from_last.json"
    assert result_file("a b/c:d") == "a-b-c-d.json"


def test_suite_and_cross_shopper_take_plugin_names(plugins):
    from dialog_env.config import EnvConfig
    from experiments.suite import check_reference

    assert check_spec("my_plugins:plain_spoken") == "my_plugins:plain_spoken"
    assert spec_env(EnvConfig(), "my_plugins:plain_spoken").shopper.name == \
        "my_plugins:plain_spoken"
    assert spec_env(EnvConfig(), "template:test").shopper.template.lexicon == "test"
    with pytest.raises(SystemExit, match="unknown shopper 'people'"):
        check_spec("people")
    with pytest.raises(SystemExit, match="no attribute 'nope'"):
        check_spec("my_plugins:nope")
    check_reference(["anchor", "my_plugins:away_from_last"])
    with pytest.raises(SystemExit, match="--reference: unknown agent 'nobody'"):
        check_reference(["anchor", "nobody"])
