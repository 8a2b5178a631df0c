"""Caption statistics of a shopper next to real relative captions.

    python -m experiments.simulator_report --reference ../shared/data/fashioniq/captions
    python -m experiments.simulator_report --env.shopper.template.lexicon test

Samples captions of the configured shopper (`--env.shopper.*`, any registered shopper,
through the shopper contract) from random (target, shown item of the same category) pairs
of the catalog (`--env.catalog.*`) and prints: length histogram, mean/std/max, the
word-family shares (colour name, comparative word, "and"/"with", negation), mode shares, single vs
compositional, vocabulary size — for the simulator and for the reference files — plus the
Jensen-Shannon divergence of the two length histograms and the held-out accuracy of a
bag-of-words logistic regression trained to tell simulated from real captions (50% means
indistinguishable). The reference files are read only by this script, never at run time.
"""

from __future__ import annotations

import glob
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_json, atomic_write_text
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import EnvConfig
from simulators.base import Feedback
from simulators.caption_stats import (
    SHARES,
    caption_statistics,
    js_divergence,
    read_reference_captions,
)
from simulators.registry import make_shopper

# Fashion IQ, Table 2 (200 captions analysed by the authors).
FASHION_IQ_TABLE2 = {"direct": 0.49, "comparative": 0.32, "mixed": 0.19, "single": 0.305,
                     "compositional": 0.695, "negation": 0.035}


@dataclass
class Args:
    """Simulator caption statistics against reference caption files."""

    reference: list[Path] = field(default_factory=lambda: [
        Path("../shared/data/fashioniq/captions")])
    """Reference caption files or folders (Fashion IQ cap.*.json, Shoes relative captions).
    Only `*train*` files are used from a folder."""
    samples: int = 10_000
    """Simulated captions."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The environment: its catalog and shopper (with the shopper's settings) are used."""
    seed: int = 0
    """Sampling seed."""
    out: Path = Path("results/simulator")
    """Output folder (report.md, report.json)."""


def sample_captions(n: int, env: EnvConfig, seed: int, batch: int = 1000) -> list[Feedback]:
    """The first captions of `n` dialogs of `env`'s shopper: random targets, each shown an
    item of its own category; dialog k's shopper draws from a generator seeded (seed, k)."""
    c = env.catalog
    catalog = load_synthetic(c.n_items, c.seed, render=False, progress=False)
    shopper = make_shopper(catalog, env.shopper)
    rng = np.random.default_rng(seed)
    by_cat = [catalog.indices(category=k) for k in catalog.categories]
    targets = rng.integers(0, len(catalog), n)
    shown = np.empty(n, dtype=np.int64)
    for i, t in enumerate(targets.tolist()):
        pool = by_cat[catalog.category[t]]
        shown[i] = pool[(np.searchsorted(pool, t) + 1 + rng.integers(len(pool) - 1))
                        % len(pool)]  # any other item of the category
    out: list[Feedback] = []
    for lo in range(0, n, batch):
        rows = np.arange(min(n, lo + batch) - lo)
        dialogs = shopper.dialogs(len(rows), 0)
        dialogs.start(rows, targets[lo:lo + len(rows)],
                      [np.random.default_rng([seed, lo + k]) for k in rows.tolist()])
        dialogs.answer(rows, shown[lo:lo + len(rows)])
        out += [dialogs.feedback(i)[0] for i in rows.tolist()]
    return out


def classifier_accuracy(sim: list[str], real: list[str], seed: int) -> float:
    """Held-out accuracy of a bag-of-words logistic regression, sim vs real (balanced)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(seed)
    n = min(len(sim), len(real))
    real = [real[i] for i in rng.choice(len(real), size=n, replace=False)]
    texts = sim[:n] + real
    labels = np.array([1] * n + [0] * n)
    x_tr, x_te, y_tr, y_te = train_test_split(texts, labels, test_size=0.3, random_state=seed,
                                              stratify=labels)
    vec = CountVectorizer(token_pattern=r"[a-z0-9/'-]+")
    clf = LogisticRegression(max_iter=2000)
    clf.fit(vec.fit_transform(x_tr), y_tr)
    return float(clf.score(vec.transform(x_te), y_te))


def reference_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += [Path(f) for f in sorted(glob.glob(str(p / "**" / "*.json"), recursive=True))
                      if "train" in Path(f).name or "relative_captions" in Path(f).name]
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"reference path {p} does not exist")
    if not files:
        raise FileNotFoundError(f"no caption files found under {[str(p) for p in paths]}")
    return files


def main(args: Args) -> dict:
    # The sim-vs-real classifier needs held-out captions of both kinds: at least 10 samples.
    if args.samples < 10:
        raise SystemExit(f"--samples must be >= 10, got {args.samples}")
    files = reference_files(args.reference)
    real = read_reference_captions(files)  # read first: a useless reference fails fast
    if not real:
        raise SystemExit(f"no reference captions in {[str(f) for f in files]} (expected Fashion "
                         f"IQ cap.*.json lists of {{'captions': [...]}} or Shoes "
                         f"relative_captions lists of {{'RelativeCaption': ...}})")
    feedback = sample_captions(args.samples, args.env, args.seed)
    texts = [f.text for f in feedback]
    s, r = caption_statistics(texts), caption_statistics(real)
    modes = Counter(f.mode for f in feedback)
    described = [f for f in feedback if f.mode in ("direct", "comparative", "mixed")]
    n_desc = max(len(described), 1)
    sim_modes = {m: modes[m] / n_desc for m in ("direct", "comparative", "mixed")}
    single = sum(1 for f in described if len(f.mentions) == 1) / n_desc
    negated = sum(1 for f in described if any(m.relation == "not" for m in f.mentions)) / n_desc
    js = js_divergence(s["length_hist"], r["length_hist"])
    acc = classifier_accuracy(texts, real, args.seed)
    report = {"simulator": s, "reference": r, "reference_files": len(real),
              "modes": sim_modes, "single": single, "negation_mentions": negated,
              "js_length": js, "classifier_accuracy": acc, "table2": FASHION_IQ_TABLE2,
              "env": args.env.to_dict(), "samples": args.samples, "seed": args.seed,
              "reference_paths": [str(p) for p in args.reference]}
    lines = [
        f"Shopper `{args.env.shopper.name}` ({args.samples:,} captions, lexicon "
        f"`{args.env.shopper.template.lexicon}`, {args.env.catalog.n_items:,} items) vs "
        f"{len(real):,} reference captions.", "",
        "| statistic | simulator | reference | difference |", "|---|---:|---:|---:|",
        f"| length mean (sd) | {s['length_mean']:.2f} ({s['length_std']:.2f}) | "
        f"{r['length_mean']:.2f} ({r['length_std']:.2f}) | "
        f"{s['length_mean'] - r['length_mean']:+.2f} |",
        f"| length max | {s['length_max']} | {r['length_max']} | |",
    ]
    names = {"colour": "names a colour", "comparative": "has a comparative word",
             "and_with": 'has "and"/"with"', "negation": 'has "no"/"not"/"without"'}
    for k in SHARES:
        lines.append(f"| {names[k]} | {s['shares'][k]:.1%} | {r['shares'][k]:.1%} | "
                     f"{100 * (s['shares'][k] - r['shares'][k]):+.1f} pt |")
    lines += [
        f"| vocabulary (words seen >= 5 times) | {s['vocabulary']} ({s['vocabulary_min5']}) | "
        f"{r['vocabulary']} ({r['vocabulary_min5']}) | |",
        "", "Modes (simulator, among describing captions) vs Fashion IQ Table 2:", "",
        "| share | simulator | Fashion IQ (Table 2) |", "|---|---:|---:|",
    ]
    for k in ("direct", "comparative", "mixed"):
        lines.append(f"| {k} | {sim_modes[k]:.1%} | {FASHION_IQ_TABLE2[k]:.1%} |")
    lines += [
        f"| single attribute | {single:.1%} | {FASHION_IQ_TABLE2['single']:.1%} |",
        f"| compositional | {1 - single:.1%} | {FASHION_IQ_TABLE2['compositional']:.1%} |",
        f"| negation (structured) | {negated:.1%} | {FASHION_IQ_TABLE2['negation']:.1%} |",
        "",
        f"Length histogram Jensen-Shannon divergence: **{js:.4f}** (target < 0.02).",
        f"Bag-of-words logistic regression, simulated vs real, held-out accuracy: "
        f"**{acc:.1%}** (50% = indistinguishable).",
        "", "Length histogram (share of captions with n words):", "",
        "| words | " + " | ".join(str(i) for i in range(2, 14)) + " |",
        "|---|" + "---:|" * 12,
        "| simulator | " + " | ".join(f"{x:.3f}" for x in s["length_hist"][2:14]) + " |",
        "| reference | " + " | ".join(f"{x:.3f}" for x in r["length_hist"][2:14]) + " |",
    ]
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "report.md", text)
    atomic_write_json(args.out / "report.json", report)
    print(text)
    return report


if __name__ == "__main__":
    main(tyro.cli(Args))
