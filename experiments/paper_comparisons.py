"""The suite's comparisons with the seed papers, as markdown: Fashion IQ Table 6
(attribute-aware vs image-only dialog managers, R@5 per turn) and FashionNTM's ordering
(ST+avg < ST+EWMA < ST+LSTM < FashionNTM). Each verdict compares 95% bootstrap CIs: a
difference counts only when the intervals do not overlap."""

from __future__ import annotations

from experiments.summary import ci_cell

# Fashion IQ (Wu et al. 2021) Table 6, dresses, R@5 at turns 1 / 3 / 5 (5-turn dialogs).
FIQ_TABLE6 = {"fiq-gru-attention": (4.74, 26.45, 40.71), "guo-gru": (3.79, 19.36, 28.32)}
FIQ_NAMES = {"fiq-gru-attention": "attribute-aware attention",
             "fiq-gru": "attribute-aware (concatenation)", "guo-gru": "image-only"}
# FashionNTM (Pal et al. 2023) Multi-turn FashionIQ, final turn, mean of R@5 and R@8.
NTM_ORDER = ("st-avg", "st-ewma", "st-lstm", "fashionntm")
NTM_PAPER = {"st-avg": 31.3, "st-ewma": 44.4, "st-lstm": 47.4, "fashionntm": 48.1}


def verdict(a: dict, b: dict, t: int) -> tuple[str, float]:
    """How metric `a` compares with `b` at turn `t`: 'higher', 'lower' or 'overlap'
    (95% CIs overlap), and the difference in points."""
    diff = 100 * (a["mean"][t] - b["mean"][t])
    if a["lo"][t] > b["hi"][t]:
        return "higher", diff
    if a["hi"][t] < b["lo"][t]:
        return "lower", diff
    return "overlap", diff


def table6(results: dict[str, dict], last: int) -> list[str]:
    """Fashion IQ Table 6's comparison on our world: R@5 at turns 1, 3, 5 and the last."""
    rows = [a for a in ("fiq-gru-attention", "fiq-gru", "guo-gru") if a in results]
    if "guo-gru" not in rows or len(rows) < 2:
        return []
    turns = [t for t in (1, 3, 5) if t < last] + [last]
    out = ["### Fashion IQ Table 6: attribute-aware vs image-only dialog managers", "",
           "R@5 in %, 95% CIs; the paper's figures are dresses, 5-turn dialogs (their "
           "turn 5 is their last).", "",
           "| agent | response encoder sees | " + " | ".join(f"R@5 t{t}" for t in turns)
           + " | paper R@5 t1 / t3 / t5 |",
           "|---|---|" + "---:|" * len(turns) + "---:|"]
    for a in rows:
        m = results[a]["metrics"]["per_turn"]["recall@5"]
        paper = " / ".join(f"{x:.2f}" for x in FIQ_TABLE6[a]) if a in FIQ_TABLE6 else "—"
        sees = "image only" if a == "guo-gru" else "image + predicted attributes"
        out.append(f"| {a} ({FIQ_NAMES[a]}) | {sees} | "
                   + " | ".join(ci_cell(m, t) for t in turns) + f" | {paper} |")
    base = results["guo-gru"]["metrics"]["per_turn"]["recall@5"]
    out.append("")
    paper_gap = [a - b for a, b in zip(*FIQ_TABLE6.values())]
    for a in rows[:-1]:
        m = results[a]["metrics"]["per_turn"]["recall@5"]
        parts = []
        for t in turns:
            v, d = verdict(m, base, t)
            parts.append(f"t{t} {d:+.1f} ({'CIs overlap' if v == 'overlap' else v})")
        held = [t for t in turns if verdict(m, base, t)[0] == "higher"]
        said = (f"the paper's ordering (attribute-aware above image-only) reproduces at "
                f"turn{'s' if len(held) > 1 else ''} {', '.join(map(str, held))}" if held else
                "the paper's ordering does not reproduce at any turn")
        out.append(f"- {a} vs guo-gru, R@5 points: {'; '.join(parts)}: {said} (paper, "
                   f"attention vs image-only: "
                   f"{' / '.join(f'{g:+.2f}' for g in paper_gap)} at t1 / t3 / t5).")
    return out


def ntm_ordering(results: dict[str, dict], last: int) -> list[str]:
    """FashionNTM's ordering on our world: where each agent stands, and each step of it."""
    rows = [a for a in NTM_ORDER if a in results]
    if len(rows) < 2:
        return []
    out = ["### FashionNTM's ordering: ST+avg < ST+EWMA < ST+LSTM < FashionNTM", "",
           f"Turn {last}; mean(R@5, R@8) as FashionNTM reports it, R@10 with 95% CIs.", "",
           f"| agent | R@5 t{last} | R@8 t{last} | mean(R@5,R@8) | R@10 t{last} | "
           "paper mean(R@5,R@8), Multi-turn FIQ |",
           "|---|---:|---:|---:|---:|---:|"]
    for a in rows:
        p = results[a]["metrics"]["per_turn"]
        mean = 50 * (p["recall@5"]["mean"][last] + p["recall@8"]["mean"][last])
        out.append(f"| {a} | {ci_cell(p['recall@5'], last)} | {ci_cell(p['recall@8'], last)}"
                   f" | {mean:.1f} | {ci_cell(p['recall@10'], last)} | {NTM_PAPER[a]:.1f} |")
    out.append("")
    for lo, hi in zip(rows, rows[1:]):
        a = results[hi]["metrics"]["per_turn"]["recall@10"]
        b = results[lo]["metrics"]["per_turn"]["recall@10"]
        v, d = verdict(a, b, last)
        said = {"higher": "holds", "lower": "is reversed",
                "overlap": "is not resolved (CIs overlap)"}[v]
        out.append(f"- {lo} < {hi}: {said}, R@10 t{last} {d:+.1f} points "
                   f"(paper {NTM_PAPER[hi] - NTM_PAPER[lo]:+.1f} on mean(R@5,R@8)).")
    return out
