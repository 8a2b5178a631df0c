"""The suite's report: `summary.md` (recall table with CIs, comparisons, the memory study)
and its plots, from the per-agent results `experiments.suite` collected. Any turn budget
works: the early-turn columns are the turns among 1, 3 and 5 before the last one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dialog_env.cache import atomic_write_text
from experiments.paper_comparisons import ntm_ordering, table6, verdict
from experiments.summary import ci_cell

if TYPE_CHECKING:
    from experiments.suite import Args


def early_turns(last: int) -> list[int]:
    """The early-turn columns of the table (turns 1, 3, 5 that come before `last`)."""
    return [t for t in (1, 3, 5) if t < last]


def write_report(args: Args, results: dict[str, dict], wall: float) -> None:
    from experiments.plot import plot

    main_rows = [r for r in results.values() if "-C" not in r["agent"]]
    last = turns = args.env.episode.max_turns
    early = early_turns(last)
    wall_text = (f" Suite wall time {wall / 60:.1f} min with {args.workers} worker(s)."
                 if np.isfinite(wall) else "")
    lines = [
        f"# {args.title}", "",
        f"{args.episodes} test dialogs per training seed, {turns} turns, "
        f"{args.env.catalog.n_items:,} items, shopper `{args.env.shopper.name}`, perception "
        f"`{args.env.items.perception}` "
        f"(attribute weight {args.env.items.attribute_weight:g}); learners "
        f"{' then '.join(args.learners)} "
        f"({' + '.join(map(str, args.steps))} steps, batch {args.batch}). Recall@K in %, "
        f"95% bootstrap CIs over all dialogs of all seeds; `R@10 per seed` shows the spread "
        f"across training seeds. `oracle-attributes` cheats (reads structured mentions)."
        f"{wall_text}", "",
        f"| agent | R@1 t{last} | R@5 t{last} | R@8 t{last} | R@10 t{last} | R@50 t{last} | "
        f"mean(R@5,R@8) t{last} | "
        + "".join(f"R@10 t{t} | " for t in early) + "R@10 per seed | "
        "trained on | train s | s/step | ms/dialog (batch 256) |",
        "|---|" + "---:|" * (7 + len(early)) + "---|---:|---:|---:|",
    ]
    for r in main_rows:
        p = r["metrics"]["per_turn"]
        fnt = 50 * (p["recall@5"]["mean"][last] + p["recall@8"]["mean"][last])
        seeds = " / ".join(f"{100 * x:.1f}" for x in r.get("recall@10_last_per_seed", []))
        sps = f"{r['seconds_per_step']:.2f}" if "seconds_per_step" in r else ""
        tsec = f"{r['train_seconds']:.0f}" if "seconds_per_step" in r else ""
        lines.append(
            f"| {r['agent']} | {ci_cell(p['recall@1'], last)} | {ci_cell(p['recall@5'], last)} | "
            f"{ci_cell(p['recall@8'], last)} | {ci_cell(p['recall@10'], last)} | "
            f"{ci_cell(p['recall@50'], last)} | {fnt:.1f} | "
            + "".join(f"{ci_cell(p['recall@10'], t)} | " for t in early) + f"{seeds} | "
            f"{r.get('device', '')} | {tsec} | {sps} | "
            f"{1000 * r['inference_seconds_per_dialog']:.2f} |")
    timing = sorted({r.get("timing_device", "") for r in main_rows if "seconds_per_step" in r})
    lines += ["", f"Inference times measured on: {', '.join(timing) or 'the training device'}."]
    lines += ["", *comparisons(results, last), *saturation(results, last),
              *world_goals(results, last)]
    for section in (table6(results, last), ntm_ordering(results, last)):
        if section:
            lines += ["", *section]
    sweep = [r for r in results.values() if "-C" in r["agent"]]
    if sweep:
        lines += ["", "FashionNTM memories (Figure 8): mean of R@5 and R@8 at the last turn "
                      "vs inference time of one dialog alone (batch 1, all turns).", "",
                  "| C | memory | mean(R@5,R@8) | R@10 | ms per dialog (batch 1) | "
                  "parameters |",
                  "|---:|---|---:|---:|---:|---:|"]
        for r in sweep:
            p = r["metrics"]["per_turn"]
            o = r["overrides"]
            lines.append(f"| {o['memories']} | {o['slots']}x{o['width']} | "
                         f"{50 * (p['recall@5']['mean'][last] + p['recall@8']['mean'][last]):.1f}"
                         f" | {ci_cell(p['recall@10'], last)} | "
                         f"{1000 * r['latency_seconds_per_dialog']:.2f} | "
                         f"{r['parameters']:,} |")
        plot_memories(sweep, args.out / "memories_vs_time.png", last)
    atomic_write_text(args.out / "summary.md", "\n".join(lines) + "\n")
    plot([args.out / "eval" / f"{r['agent']}.json" for r in main_rows],
         args.out / "recall_vs_turn.png", k=10, title=args.title)
    print("\n".join(lines))


def comparisons(results: dict[str, dict], last: int) -> list[str]:
    """Plain statements of where fashionntm does or does not beat st-lstm and guo-gru."""
    out = []
    if "fashionntm" not in results:
        return out
    f = results["fashionntm"]["metrics"]["per_turn"]["recall@10"]
    said = {"higher": "beats", "lower": "is beaten by",
            "overlap": "is not distinguishable from (95% CIs overlap)"}
    for other in ("st-lstm", "guo-gru", "anchor"):
        if other not in results:
            continue
        o = results[other]["metrics"]["per_turn"]["recall@10"]
        v, diff = verdict(f, o, last)
        out.append(f"- fashionntm {said[v]} {other} at R@10, turn {last}: "
                   f"{100 * f['mean'][last]:.1f} vs {100 * o['mean'][last]:.1f} "
                   f"({diff:+.1f} points).")
    return out


def learned_rows(results: dict[str, dict]) -> list[dict]:
    """The trained agents of the main comparison (not the reference agents, not the
    memory study's variants)."""
    return [r for r in results.values() if "recall@10_last_per_seed" in r
            and "-C" not in r["agent"]]


def saturation(results: dict[str, dict], last: int, level: float = 0.95) -> list[str]:
    """Say so when the learned agents all but solve the last turn (the table's differences
    then live in the early turns)."""
    learned = learned_rows(results)
    finals = [r["metrics"]["per_turn"]["recall@10"]["mean"][last] for r in learned]
    if not finals or min(finals) < level:
        return []
    early = early_turns(last)
    where = (f"the agents differ at the early turns (columns "
             f"{', '.join(f't{t}' for t in early)})" if early else
             f"a {last}-turn budget has no earlier turns to compare")
    return [f"- Every learned agent reaches R@10 >= {100 * min(finals):.1f}% by turn {last}: "
            f"in this world the "
            f"task saturates; {where}."]


def goals_met(last: float, at5: float | None, anchor: float) -> dict[str, bool]:
    """The default world's goals from R@10 in %: at the last turn (`last`) at most 90% and
    at least 3x `anchor`'s (at least 0.3% when `anchor` is 0), and above turn 5's (`at5`;
    None when the budget has no turn after 5)."""
    return {"at most 90%": last <= 90.0, ">= 3x anchor": last >= 3 * max(anchor, 0.1),
            "rises t5 -> last": at5 is not None and last > at5}


def world_goals(results: dict[str, dict], last: int) -> list[str]:
    """The default world's calibration goals (`goals_met`), checked on this run's best
    learned agent."""
    learned = learned_rows(results)
    if not learned or "anchor" not in results or last <= 5:
        return []
    r10 = {r["agent"]: r["metrics"]["per_turn"]["recall@10"]["mean"] for r in learned}
    best = max(r10, key=lambda a: r10[a][last])
    top, at5 = 100 * r10[best][last], 100 * r10[best][5]
    anchor = 100 * results["anchor"]["metrics"]["per_turn"]["recall@10"]["mean"][last]
    met = goals_met(top, at5, anchor)
    texts = dict(zip(met, (f"{top:.1f}% <= 90%", f">= 3x anchor's {anchor:.1f}%",
                           f"rises from {at5:.1f}% at turn 5")))
    said = "all met" if all(met.values()) else "not all met: " + ", ".join(
        texts[k] for k, ok in met.items() if not ok)
    return [f"- World goals (best learned agent {best}, R@10 at turn {last}): "
            f"{'; '.join(texts.values())} — {said}."]


def plot_memories(sweep: list[dict], path: Path, last: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dialog_env.cache import atomic_write

    fig, ax = plt.subplots(figsize=(5.5, 4))
    sizes = sorted({f"{r['overrides']['slots']}x{r['overrides']['width']}" for r in sweep})
    for size in sizes:
        rows = sorted((r for r in sweep
                       if f"{r['overrides']['slots']}x{r['overrides']['width']}" == size),
                      key=lambda r: r["overrides"]["memories"])
        x = [1000 * r["latency_seconds_per_dialog"] for r in rows]
        p = [r["metrics"]["per_turn"] for r in rows]
        y = [50 * (q["recall@5"]["mean"][last] + q["recall@8"]["mean"][last]) for q in p]
        ax.plot(x, y, marker="o", label=f"memory {size}")
        for r, xi, yi in zip(rows, x, y):
            ax.annotate(f"C={r['overrides']['memories']}", (xi, yi), fontsize=8,
                        textcoords="offset points", xytext=(4, 4))
    ax.set(xlabel="inference time per dialog, batch 1 (ms)",
           ylabel=f"mean(R@5, R@8) at turn {last}",
           title="fashionntm: recall vs time (cf. FashionNTM Fig. 8)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda p_: fig.savefig(p_, dpi=110, format="png"))
    plt.close(fig)


