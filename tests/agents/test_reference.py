import numpy as np

from agents import make_reference_agent
from dialog_env.evaluation import run_protocol
from dialog_env.metrics import per_turn_metrics
from dialog_env.protocol import make_protocol


def test_oracle_beats_anchor_beats_random(small_world):
    # 2,000 dialogs: enough for anchor's and random's CIs at recall@10 not to overlap.
    proto = make_protocol(small_world.catalog, "test", 2000, seed=0)
    r10, pct = {}, {}
    for name in ("random", "anchor", "oracle-attributes"):
        run = run_protocol(small_world, make_reference_agent(name), proto["pairs"],
                           progress=False)
        m = per_turn_metrics(run["ranks"], small_world.n_items, n_boot=200)["per_turn"]
        r10[name] = {k: m["recall@10"][k][-1] for k in ("mean", "lo", "hi")}
        pct[name] = m["rank_percentile"]["mean"][-1]
    assert r10["oracle-attributes"]["lo"] > 0.9
    assert r10["oracle-attributes"]["lo"] > r10["anchor"]["hi"]
    assert r10["anchor"]["lo"] > r10["random"]["hi"]
    assert pct["anchor"] > pct["random"] + 0.1


def test_oracle_query_respects_the_box(small_world):
    proto = make_protocol(small_world.catalog, "val", 20, seed=1)
    agent = make_reference_agent("oracle-attributes")
    from dialog_env.factory import make_core

    core = make_core(world=small_world, batch_size=20, split="val", info="full")  # mentions
    obs, infos = core.reset(seeds=list(range(20)), options=[
        {"target": t, "first_candidate": c} for t, c in proto["pairs"]])
    agent.begin(core)
    q = agent.act(obs, infos, core)
    assert q.shape == (20, small_world.dim) and np.abs(q).max() <= 1.0
