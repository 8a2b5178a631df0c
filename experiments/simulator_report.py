"""Every shopper's captions against held-out real relative captions: the realism report.

    python -m experiments.simulator_report                       # template vs real
    python -m experiments.simulator_report --shoppers template real neural --samples 4000

Samples the first caption of `--samples` dialogs of each shopper (random targets, each shown
another item of its category, through the shopper contract) and compares them with people's
captions the real-language shopper was not built from (Fashion IQ `val` captions and Shoes
pairs with eval targets, `--split`): held-out accuracy of a bag-of-words (unigram + bigram)
logistic regression telling shopper from people (50% = indistinguishable), Jensen-Shannon
divergence of the length histograms, word-family shares, vocabulary (words seen >= 5 times),
modes vs Fashion IQ Table 2, and faithfulness: every caption re-read by the grounding parser
(`simulators.grounding`), the share whose every groundable mention is true of the target
relative to the shown item by the ground truth, and the share that carries any groundable
information. The reference files are read only by this script, never at run time.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import EnvConfig
from experiments.common import write_results
from experiments.cross_shopper import check_spec, spec_env
from simulators.base import Feedback
from simulators.caption_stats import (
    caption_statistics,
    js_divergence,
    read_reference_captions,
)
from simulators.grounding import Truth, parse
from simulators.registry import make_shopper

# Fashion IQ, Table 2 (200 captions analysed by the authors).
FASHION_IQ_TABLE2 = {"direct": 0.49, "comparative": 0.32, "mixed": 0.19, "single": 0.305,
                     "compositional": 0.695, "negation": 0.035}


@dataclass
class Args:
    """Shoppers' captions against held-out real relative captions."""

    shoppers: list[str] = field(default_factory=lambda: ["template", "real"])
    """Shoppers to compare (each with the `--env.shopper.*` settings): registered names,
    optionally `template:test` (lexicon) or `neural:sample` (decoding)."""
    reference: list[Path] = field(default_factory=lambda: [
        Path("../shared/data/fashioniq/captions"), Path("../shared/data/shoes")])
    """Reference caption files or folders (Fashion IQ cap.*.json, Shoes relative captions)."""
    split: str = "val"
    """Reference split read from folders: Fashion IQ `cap.*.<split>.json`; Shoes pairs whose
    target is in `eval_im_names.txt` (val, test) or `train_im_names.txt` (train). The
    real-language shopper is built from the train split only, so val is held out."""
    samples: int = 10_000
    """Simulated captions per shopper."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The environment: its catalog and shopper settings are used."""
    seed: int = 0
    """Sampling seed."""
    out: Path = Path("results/simulator")
    """Output folder (report.md, report.json)."""


@dataclass
class Sample:
    """Captions of a shopper about (target, shown) pairs of a catalog."""

    feedback: list[Feedback]
    targets: np.ndarray
    shown: np.ndarray
    catalog: object


def sample_captions(n: int, env: EnvConfig, seed: int, batch: int = 1000) -> Sample:
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
    return Sample(out, targets, shown, catalog)


def faithfulness(sample: Sample) -> dict:
    """Each caption re-read by the grounding parser (not the shopper's own mentions):
    `faithful` = share whose every groundable mention is true of the target relative to the
    shown item by the ground truth; `informative` = share with at least one groundable
    mention; `faithful_informative` = share of informative captions that are faithful."""
    truth = Truth(sample.catalog)
    cats = sample.catalog.categories
    ok = info = ok_info = 0
    for f, t, s in zip(sample.feedback, sample.targets.tolist(), sample.shown.tolist()):
        m = parse(f.text, cats[sample.catalog.category[t]]).mentions
        good = truth.all(m, t, s)
        ok += good
        info += bool(m)
        ok_info += good and bool(m)
    n = max(len(sample.feedback), 1)
    return {"faithful": ok / n, "informative": info / n,
            "faithful_informative": ok_info / max(info, 1)}


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


def reference_files(paths: list[Path], split: str) -> list[Path]:
    """Fashion IQ `cap.*.<split>.json` files and Shoes relative-caption files under `paths`
    (or the files themselves)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += [Path(f) for f in sorted(glob.glob(str(p / "**" / "*.json"), recursive=True))
                      if f".{split}." in Path(f).name or "relative_captions" in Path(f).name]
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"reference path {p} does not exist")
    if not files:
        raise FileNotFoundError(f"no caption files found under {[str(p) for p in paths]}")
    return files


def read_reference(files: list[Path], split: str) -> list[str]:
    """The captions of `files`; Shoes pairs restricted to the split's target images when the
    image-name lists lie beside the file."""
    out: list[str] = []
    for f in files:
        names = f.parent / ("train_im_names.txt" if split == "train" else "eval_im_names.txt")
        if "relative_captions" in f.name and names.exists():
            keep = set(names.read_text().split())
            data = json.loads(f.read_text())
            out += [str(e["RelativeCaption"]) for e in data
                    if isinstance(e, dict) and e.get("ImageName") in keep]
        else:
            out += read_reference_captions([f])
    return out


def shopper_row(name: str, sample: Sample, real: list[str], r: dict, seed: int) -> dict:
    texts = [f.text for f in sample.feedback]
    s = caption_statistics(texts)
    modes = Counter(f.mode for f in sample.feedback)
    described = [f for f in sample.feedback if f.mode in ("direct", "comparative", "mixed")]
    n_desc = max(len(described), 1)
    return {
        "shopper": name, "statistics": s,
        "modes": {m: modes[m] / n_desc for m in ("direct", "comparative", "mixed")},
        "single": sum(1 for f in described if len(f.mentions) == 1) / n_desc,
        "negation_mentions": sum(1 for f in described
                                 if any(m.relation == "not" for m in f.mentions)) / n_desc,
        "js_length": js_divergence(s["length_hist"], r["length_hist"]),
        "classifier_accuracy": classifier_accuracy(texts, real, seed),
        **faithfulness(sample),
        "examples": texts[:8],
    }


GOALS = {"classifier_accuracy": 0.65, "faithful": 0.95, "js_length": 0.02}


def meets_goals(row: dict) -> bool:
    """The issue's goals for a default shopper: classifier accuracy <= 65%, faithfulness
    >= 95%, length-histogram JS divergence < 0.02."""
    return (row["classifier_accuracy"] <= GOALS["classifier_accuracy"]
            and row["faithful"] >= GOALS["faithful"] and row["js_length"] < GOALS["js_length"])


def render(rows: list[dict], r: dict, n_real: int, args: Args) -> str:
    c = args.env.catalog
    lines = [
        f"{args.samples:,} first captions per shopper ({c.n_items:,} items, same-category "
        f"pairs, seed {args.seed}) against {n_real:,} held-out people's captions (Fashion IQ "
        f"`{args.split}` + Shoes eval targets; the real shopper is built from the train "
        f"split only). Faithfulness re-reads every caption with the grounding parser.", "",
        "| shopper | classifier acc. | faithful | informative | length JS | length mean | "
        "vocabulary (>= 5) | colour | comparative | and/with | negation | meets goals |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        s = row["statistics"]
        sh = s["shares"]
        lines.append(
            f"| {row['shopper']} | {row['classifier_accuracy']:.1%} | {row['faithful']:.1%} | "
            f"{row['informative']:.1%} | {row['js_length']:.4f} | {s['length_mean']:.2f} | "
            f"{s['vocabulary_min5']} | {sh['colour']:.1%} | {sh['comparative']:.1%} | "
            f"{sh['and_with']:.1%} | {sh['negation']:.1%} | "
            f"{'yes' if meets_goals(row) else 'no'} |")
    rs = r["shares"]
    lines += [
        f"| people (held out) | 50% = indistinguishable | | | 0 | {r['length_mean']:.2f} | "
        f"{r['vocabulary_min5']} | {rs['colour']:.1%} | {rs['comparative']:.1%} | "
        f"{rs['and_with']:.1%} | {rs['negation']:.1%} | |",
        "", "Goals for the default shopper: classifier accuracy (bag of unigrams + bigrams, "
        "logistic regression, held-out 30%) <= 65%, faithful >= 95%, length JS < 0.02.", "",
        "Modes among describing captions vs Fashion IQ Table 2 (200 captions):", "",
        "| shopper | direct | comparative | mixed | single attribute | negation |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        m = row["modes"]
        lines.append(f"| {row['shopper']} | {m['direct']:.1%} | {m['comparative']:.1%} | "
                     f"{m['mixed']:.1%} | {row['single']:.1%} | "
                     f"{row['negation_mentions']:.1%} |")
    t = FASHION_IQ_TABLE2
    lines += [f"| Fashion IQ | {t['direct']:.0%} | {t['comparative']:.0%} | {t['mixed']:.0%} | "
              f"{t['single']:.1%} | {t['negation']:.1%} |", "", "Examples:", ""]
    for row in rows:
        lines.append(f"- {row['shopper']}: " + "; ".join(f'"{x}"' for x in row["examples"][:4]))
    return "\n".join(lines) + "\n"


def main(args: Args) -> dict:
    # The sim-vs-real classifier needs held-out captions of both kinds: at least 10 samples.
    if args.samples < 10:
        raise SystemExit(f"--samples must be >= 10, got {args.samples}")
    for spec in args.shoppers:
        try:
            check_spec(spec)
        except SystemExit as e:
            raise SystemExit(f"--shoppers: {e}") from None
    files = reference_files(args.reference, args.split)
    real = read_reference(files, args.split)  # read first: a useless reference fails fast
    if not real:
        raise SystemExit(f"no reference captions in {[str(f) for f in files]} (expected Fashion "
                         f"IQ cap.*.json lists of {{'captions': [...]}} or Shoes "
                         f"relative_captions lists of {{'RelativeCaption': ...}})")
    r = caption_statistics(real)
    rows = []
    for spec in args.shoppers:
        rows.append(shopper_row(spec, sample_captions(args.samples, spec_env(args.env, spec),
                                                      args.seed), real, r, args.seed))
    report = {"rows": rows, "reference": r, "reference_captions": len(real),
              "goals": GOALS, "env": args.env.to_dict(), "samples": args.samples,
              "seed": args.seed, "split": args.split, "table2": FASHION_IQ_TABLE2,
              "reference_paths": [str(p) for p in args.reference]}
    text = render(rows, r, len(real), args)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "report.md", text)
    write_results(args.out / "report.json", report, "report")
    print(text)
    return report


if __name__ == "__main__":
    main(tyro.cli(Args))
