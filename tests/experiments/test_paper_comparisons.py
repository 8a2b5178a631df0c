"""The suite's paper comparisons: verdicts follow the 95% CIs, tables carry the papers'
figures, and an ordering that does not reproduce is said so."""

from __future__ import annotations

import numpy as np

from dialog_env.metrics import per_turn_metrics
from experiments.paper_comparisons import ntm_ordering, table6, verdict


def _result(name: str, hit_rate: float, n: int = 400, turns: int = 5, seed: int = 0) -> dict:
    """Ranks where a share `hit_rate` of dialogs reach rank 0 from turn 1 on (rank 500
    otherwise)."""
    rng = np.random.default_rng(seed)
    ranks = np.full((n, turns + 1), 500, dtype=np.int64)
    ranks[rng.random(n) < hit_rate, 1:] = 0
    return {"agent": name, "metrics": per_turn_metrics(ranks, 1000)}


def test_verdict_needs_separated_intervals():
    hi, lo = (_result(a, r)["metrics"]["per_turn"]["recall@5"]
              for a, r in (("a", 0.6), ("b", 0.2)))
    assert verdict(hi, lo, 5)[0] == "higher" and verdict(lo, hi, 5)[0] == "lower"
    same = _result("c", 0.6, seed=1)["metrics"]["per_turn"]["recall@5"]
    v, diff = verdict(hi, same, 5)
    assert v == "overlap" and abs(diff) < 10


def test_table6_reports_the_papers_figures_and_whether_the_ordering_holds():
    results = {"fiq-gru-attention": _result("fiq-gru-attention", 0.5),
               "fiq-gru": _result("fiq-gru", 0.1), "guo-gru": _result("guo-gru", 0.3)}
    text = "\n".join(table6(results, 5))
    assert "4.74 / 26.45 / 40.71" in text and "3.79 / 19.36 / 28.32" in text
    lines = {ln.split(" vs ")[0]: ln for ln in text.splitlines() if " vs guo-gru" in ln}
    assert "reproduces at turns 1, 3, 5" in lines["- fiq-gru-attention"]
    assert "does not reproduce at any turn" in lines["- fiq-gru"]
    assert table6({"guo-gru": results["guo-gru"]}, 5) == []


def test_ntm_ordering_says_which_steps_hold_and_which_reverse():
    results = {"st-avg": _result("st-avg", 0.2), "st-ewma": _result("st-ewma", 0.5),
               "st-lstm": _result("st-lstm", 0.1), "fashionntm": _result("fashionntm", 0.1,
                                                                          seed=3)}
    text = "\n".join(ntm_ordering(results, 5))
    assert "- st-avg < st-ewma: holds" in text
    assert "- st-ewma < st-lstm: is reversed" in text
    assert "- st-lstm < fashionntm: is not resolved (CIs overlap)" in text
    assert "| 48.1 |" in text  # FashionNTM's own figure on Multi-turn FashionIQ


def test_world_goals_are_checked_on_the_best_learned_agent():
    from experiments.suite_report import world_goals

    def learned(name, rate):
        r = _result(name, rate, turns=8)
        r["recall@10_last_per_seed"] = [rate]
        return r

    results = {"anchor": _result("anchor", 0.01, turns=8), "a": learned("a", 0.3),
               "b": learned("b", 0.5)}
    (line,) = world_goals(results, 8)
    assert "best learned agent b" in line and "not all met: rises" in line  # flat from t1
    results["b"] = learned("b", 0.95)
    assert "not all met: 9" in world_goals(results, 8)[0]
    assert world_goals(results, 5) == []  # no turn after 5 to rise to


def test_perception_table_puts_the_worlds_side_by_side(tmp_path):
    import json

    import pytest

    from experiments.perception_table import Args, main

    def suite(folder, perception, rates, seeds, turns=5):
        results = {a: {**_result(a, r, turns=turns), "seeds": list(range(seeds))}
                   for a, r in rates.items()}
        args = {"env": {"items": {"perception": perception, "attribute_weight": 1.0},
                        "episode": {"max_turns": turns}}, "steps": [200], "batch": 32}
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "summary.json").write_text(json.dumps(
            {"results": results, "args": args}))
        return tmp_path / folder

    a = suite("a", "attrnet", {"guo-gru": 0.1, "fiq-gru": 0.2}, 3)
    b = suite("b", "ground_truth", {"guo-gru": 0.9}, 1)
    text = main(Args([a, b], out=tmp_path / "p.md"))
    assert "attrnet (w 1): R@10 t5" in text and "ground_truth (w 1): R@5 t5" in text
    guo = next(ln for ln in text.splitlines() if ln.startswith("| guo-gru"))
    fiq = next(ln for ln in text.splitlines() if ln.startswith("| fiq-gru"))
    assert guo.endswith("| 3 / 1 |") and fiq.endswith("| 3 / - |")
    assert (tmp_path / "p.md").read_text() == text
    from tests.experiments.test_scripts import run_script

    run_script("perception_table", str(a), str(b), "--out", str(tmp_path / "cli.md"))
    assert (tmp_path / "cli.md").read_text() == text  # the folders are positional
    c = suite("c", "pixels", {"guo-gru": 0.1}, 1, turns=8)
    with pytest.raises(ValueError, match="different turn budgets"):
        main(Args([a, c], out=tmp_path / "q.md"))
