"""Recall at the final turn and the markdown tables of the static multi-turn protocol
(`experiments.evaluate_static`): FashionNTM's Table 2 layout (R@5 / R@8 per category and
their overall mean, with CFIR's R@10 / R@50) and its Table 4 (history length)."""

from __future__ import annotations

import numpy as np

KS = (5, 8, 10, 50)


def recall_summary(ranks: np.ndarray, categories: np.ndarray, names) -> dict:
    """Recall@K (in %) per target category, their mean over the categories present
    (`overall`, as Fashion IQ averages its categories), and over all dialogs (`pooled`)."""
    per: dict[str, dict[str, float]] = {}
    for c, name in enumerate(names):
        sel = categories == c
        if sel.any():
            per[name] = {f"R@{k}": 100.0 * float(np.mean(ranks[sel] < k)) for k in KS}
    overall = {f"R@{k}": float(np.mean([v[f"R@{k}"] for v in per.values()])) for k in KS}
    overall["mean"] = (overall["R@5"] + overall["R@8"]) / 2
    pooled = {f"R@{k}": 100.0 * float(np.mean(ranks < k)) for k in KS}
    return {"per_category": per, "overall": overall, "pooled": pooled,
            "dialogs": {name: int((categories == c).sum()) for c, name in enumerate(names)}}


def over_seeds(per_seed: list[dict]) -> dict:
    """Mean and standard deviation over seeds of every figure of `recall_summary`."""
    def stat(values):
        a = np.asarray(values, dtype=float)
        return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0}

    first = per_seed[0]
    return {"per_category": {c: {k: stat([s["per_category"][c][k] for s in per_seed])
                                 for k in first["per_category"][c]}
                             for c in first["per_category"]},
            "overall": {k: stat([s["overall"][k] for s in per_seed]) for k in first["overall"]},
            "pooled": {k: stat([s["pooled"][k] for s in per_seed]) for k in first["pooled"]}}


def cell(s: dict) -> str:
    return f"{s['mean']:.1f} ± {s['std']:.1f}"


def header(result: dict, title: str) -> list[str]:
    o, d = result["options"], result["data"]
    turns = ", ".join(f"{k}: {v}" for k, v in d["turns"][d["eval_split"]].items())
    return [f"# {title}: {d['dataset']}", "",
            f"Final-turn recall (%) on {d['dialogs'][d['eval_split']]} {d['eval_split']} "
            f"dialogs (turns {turns}), gallery `{o['gallery']}` ({d['gallery']['items']} "
            f"items), reference images removed: `{o['remove_reference']}`; mean ± std over "
            f"seeds {o['seeds']}; {o['epochs']} epochs on {d['dialogs'][d['train_split']]} "
            f"{d['train_split']} dialogs. Images: {d['image_features']}; texts: "
            f"{d['text_features']}; D = {o['dim']}." + (f" {d['construction']}."
                                                       if d.get("construction") else ""), ""]


def main_table(result: dict) -> str:
    runs = [r for r in result["runs"] if r["table"] == "main"]
    cats = result["data"]["categories"]
    cats = [c for c in cats if runs and c in runs[0]["summary"]["per_category"]]
    cols = [f"{c} R@{k}" for c in cats for k in (5, 8)] + ["R@5", "R@8", "mean", "R@10",
                                                            "R@50"]
    lines = header(result, "Static multi-turn protocol (FashionNTM Table 2 layout)")
    lines += ["| method | composer | " + " | ".join(cols) + " |",
              "|---|---|" + "---:|" * len(cols)]
    for r in runs:
        s = r["summary"]
        vals = [cell(s["per_category"][c][f"R@{k}"]) for c in cats for k in (5, 8)]
        vals += [cell(s["overall"][k]) for k in ("R@5", "R@8", "mean", "R@10", "R@50")]
        lines.append(f"| {r['aggregator']} | {r['composer']} | " + " | ".join(vals) + " |")
    lines += ["", "R@5 / R@8 / mean: FashionNTM's columns (mean over categories); R@10 / "
              "R@50: CFIR's. Method names: see `agents/static.py`."]
    if any(r["composer"] == "replayed" for r in runs):
        lines += ["", "`<agent> (interactive)`: an agent trained in the interactive env (the "
                  "suite's checkpoints, one per seed), playing the same evaluation dialogs "
                  "replayed in the env (`simulators.replay`); its query after the last "
                  "caption is ranked in the same gallery by the world's metric."]
    return "\n".join(lines) + "\n"


def window_name(w: int) -> str:
    return {0: "all turns", 1: "final turn only"}.get(w, f"last {w} turns")


def history_table(result: dict) -> str:
    runs = [r for r in result["runs"] if r["table"] == "history"]
    windows = sorted({r["window"] for r in runs}, key=lambda w: (w == 0, w))
    lines = header(result, "History length (FashionNTM Table 4 layout)")
    lines += ["Mean of R@5 and R@8 (%) when the aggregator sees only the last turns.", "",
              "| aggregator | composer | " + " | ".join(window_name(w) for w in windows)
              + " |", "|---|---|" + "---:|" * len(windows)]
    for agg, comp in dict.fromkeys((r["aggregator"], r["composer"]) for r in runs):
        by_w = {r["window"]: r for r in runs if (r["aggregator"], r["composer"]) == (agg, comp)}
        vals = [cell(by_w[w]["summary"]["overall"]["mean"]) if w in by_w else "" for w in
                windows]
        memory = {"cm-ntm": " (with memory)", "st+avg": " (without memory)"}.get(agg, "")
        lines.append(f"| {agg}{memory} | {comp} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"
