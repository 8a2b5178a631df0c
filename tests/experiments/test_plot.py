"""experiments.plot's figure, built from small synthetic results: the title names the world
and the number of dialogs, an agent keeps its colour across plots, the cheating oracle is
dashed and labelled, the log-x panel has ticks at the K of the results."""

from __future__ import annotations

import json

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dialog_env.config import EnvConfig, EpisodeConfig
from dialog_env.metrics import KS, per_turn_metrics
from experiments.plot import (
    AGENT_COLOURS,
    CHEATING_AGENTS,
    agent_colour,
    plot,
    recall_figure,
    world_line,
)


def result(agent: str, seed: int, episodes: int = 30, n_items: int = 400,
           perception: str = "pixels", shopper: str = "template", split: str = "val") -> dict:
    """What experiments.evaluate writes, as far as the plot reads it."""
    rng = np.random.default_rng(seed)
    ranks = np.sort(rng.integers(0, n_items, size=(episodes, 5)), axis=1)[:, ::-1]
    env = EnvConfig(episode=EpisodeConfig(split=split)).to_dict()
    env["items"]["perception"], env["shopper"]["name"] = perception, shopper
    env["catalog"]["n_items"] = n_items
    return {"agent": agent, "split": split, "env": env,
            "metrics": per_turn_metrics(ranks, n_items, n_boot=20)}


def lines_by_label(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


@pytest.fixture
def figures():
    made = []
    yield made
    for fig in made:
        plt.close(fig)


def test_title_names_the_world_and_the_dialogs(figures):
    runs = [result("anchor", 0, episodes=30), result("st-avg", 1, episodes=30)]
    fig = recall_figure(runs, k=10, title="my title")
    figures.append(fig)
    title = fig._suptitle.get_text()
    assert title.startswith("my title\n")
    for part in ("perception pixels", "shopper template", "400 items", "val split",
                 "30 dialogs per agent"):
        assert part in title, (part, title)


def test_title_lists_what_differs_and_says_what_is_unrecorded():
    a = result("anchor", 0, episodes=30, perception="attrnet", n_items=1200)
    b = result("random", 1, episodes=60, perception="ground_truth", n_items=1200)
    line = world_line([a, b])
    assert "perception attrnet / ground_truth" in line and "1,200 items" in line
    assert "30 / 60 dialogs per agent" in line and " / 1,200" not in line
    # A suite file from before the suite recorded its environment: only metrics.
    old = {"agent": "anchor", "metrics": a["metrics"]}
    line = world_line([old])
    assert "perception unrecorded" in line and "shopper unrecorded" in line
    assert "unrecorded split" in line and "1,200 items" in line and "30 dialogs" in line


def test_each_agent_keeps_its_colour_across_plots(figures):
    first = recall_figure([result("random", 0), result("st-avg", 1), result("fashionntm", 2)])
    second = recall_figure([result("fashionntm", 3), result("guo-gru", 4),
                            result("st-avg", 5), result("my-plugin-agent", 6)])
    figures += [first, second]
    colours = [{label: mcolors.to_hex(line.get_color())
                for label, line in lines_by_label(ax).items()}
               for fig in (first, second) for ax in fig.axes]
    for agent in ("st-avg", "fashionntm"):
        assert len({c[agent] for c in colours if agent in c}) == 1, agent
    # Colours follow the name, not the order of drawing, and differ between agents.
    assert colours[0]["st-avg"] == AGENT_COLOURS["st-avg"]
    assert colours[2]["fashionntm"] == AGENT_COLOURS["fashionntm"]
    assert len(set(colours[2].values())) == 4
    assert colours[2]["my-plugin-agent"] == agent_colour("my-plugin-agent")
    # The bands are drawn in their line's colour.
    ax = first.axes[0]
    bands = [mcolors.to_hex(c.get_facecolor()[0][:3]) for c in ax.collections]
    assert bands == [AGENT_COLOURS[a] for a in ("random", "st-avg", "fashionntm")]


def test_every_shipped_agent_has_its_own_colour():
    from agents import REFERENCE_AGENTS
    from agents.model import LEARNED_AGENTS

    names = (*REFERENCE_AGENTS, *LEARNED_AGENTS)
    assert set(names) <= set(AGENT_COLOURS)
    assert len({mcolors.to_hex(AGENT_COLOURS[n]) for n in names}) == len(names)


def test_the_cheating_oracle_is_dashed_and_labelled(figures):
    from agents.reference import OracleAttributesAgent

    assert OracleAttributesAgent.name in CHEATING_AGENTS
    fig = recall_figure([result("oracle-attributes", 0), result("anchor", 1)])
    figures.append(fig)
    for ax in fig.axes:
        lines = lines_by_label(ax)
        assert set(lines) == {"oracle-attributes (cheating oracle)", "anchor"}
        assert lines["oracle-attributes (cheating oracle)"].get_linestyle() == "--"
        assert lines["anchor"].get_linestyle() == "-"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "oracle-attributes (cheating oracle)" in legend


def test_the_log_panel_has_ticks_at_the_results_k(figures):
    fig = recall_figure([result("anchor", 0), result("random", 1)])
    figures.append(fig)
    ax = fig.axes[1]
    assert ax.get_xscale() == "log"
    assert list(ax.get_xticks()) == list(KS) == [1, 5, 8, 10, 50]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "5", "8", "10", "50"]
    assert len(ax.get_xticks(minor=True)) == 0
    x = lines_by_label(ax)["anchor"].get_xdata()
    assert list(x) == list(KS)


def test_plot_writes_the_files_it_reads(tmp_path):
    paths = []
    for k, agent in enumerate(("anchor", "oracle-attributes")):
        paths.append(tmp_path / f"{agent}.json")
        paths[-1].write_text(json.dumps(result(agent, k)))
    out = plot(paths, tmp_path / "fig.svg", k=5, title="t")
    text = out.read_text()
    assert "<svg" in text and "(cheating oracle)" in text
    with pytest.raises(ValueError, match="has no recall@3"):
        plot(paths, tmp_path / "fig.png", k=3)
