"""How much of people's relative captions the catalog can ground.

    python -m experiments.grounding_report

Parses the Fashion IQ captions (`cap.{dress,shirt,toptee}.<split>.json`) and the Shoes
relative captions with the grounding parser (`simulators.grounding`) about an item of
their category and reports, per dataset and category: the share of captions fully grounded
(every content word is part of a grounded phrase), partly grounded (some mention, some words
left over) and not groundable (no mention), mentions per caption, the relations said, and
the most frequent words left unparsed. Writes `<out>/coverage.md` and `coverage.json`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write_text
from experiments.common import write_results
from simulators.grounding import STATUSES, parse
from simulators.real.build import FIQ_CATEGORIES, read_fashioniq, read_shoes


@dataclass
class Args:
    """Grounding coverage of the real caption files."""

    fashioniq: Path = Path("../shared/data/fashioniq")
    shoes: Path = Path("../shared/data/shoes")
    split: str = "train"
    """Fashion IQ split (train, val, test); Shoes: train or eval targets."""
    top: int = 40
    """Unparsed words listed."""
    out: Path = Path("results/grounding")


def coverage(captions: list[tuple[str, str]]) -> dict:
    status: Counter = Counter()
    relations: Counter = Counter()
    unparsed: Counter = Counter()
    mentions = 0
    for text, cat in captions:
        g = parse(text, cat)
        status[g.status] += 1
        ms = g.mentions
        mentions += len(ms)
        relations.update(m.relation for m in ms)
        unparsed.update(g.unparsed)
    n = max(len(captions), 1)
    return {"n": len(captions), **{s: status[s] / n for s in STATUSES},
            "mentions_per_caption": mentions / n,
            "relations": {k: v / max(mentions, 1) for k, v in relations.most_common()},
            "unparsed": unparsed.most_common(200)}


def main(args: Args) -> dict:
    if args.split not in ("train", "val", "test"):
        raise SystemExit(f"--split must be train, val or test, got {args.split!r}")
    fiq = read_fashioniq(args.fashioniq, args.split)
    shoes = read_shoes(args.shoes, "train" if args.split == "train" else "eval")
    groups = {f"Fashion IQ {c}": [x for x in fiq if x[1] == c] for c in FIQ_CATEGORIES}
    groups["Shoes"] = shoes
    groups["all"] = fiq + shoes
    report = {name: coverage(caps) for name, caps in groups.items()}
    lines = [
        f"Grounding coverage of people's relative captions ({args.split} split; Shoes: "
        f"{'train' if args.split == 'train' else 'eval'} targets) over the catalog's "
        f"attribute vocabulary (`python -m experiments.grounding_report`).", "",
        "| captions | n | fully grounded | partly grounded | not groundable | mentions / caption "
        "| is / not / more / less |", "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in report.items():
        rel = " / ".join(f"{r['relations'].get(k, 0):.0%}" for k in ("is", "not", "more", "less"))
        lines.append(f"| {name} | {r['n']:,} | {r['full']:.1%} | {r['partial']:.1%} | "
                     f"{r['none']:.1%} | {r['mentions_per_caption']:.2f} | {rel} |")
    words = ", ".join(f"{w} ({n})" for w, n in report["all"]["unparsed"][:args.top])
    lines += ["", f"Most frequent words left unparsed (all captions): {words}.", ""]
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "coverage.md", text)
    write_results(args.out / "coverage.json", {"split": args.split, "groups": report}, "report")
    print(text)
    return report


if __name__ == "__main__":
    main(tyro.cli(Args))
