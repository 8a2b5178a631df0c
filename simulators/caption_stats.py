"""Statistics of relative captions, computed the same way for simulated and real ones.

Shares are fractions of captions containing at least one word of a family: a colour word,
a comparative word, "and"/"with", a negation ("no", "not", "without", "n't").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

WORD = re.compile(r"[a-z0-9/'-]+")
# Colour *names* (a caption that only says "darker in color" names no colour).
COLOUR_WORDS = frozenset(
    "black white grey gray navy blue red pink green yellow orange purple brown beige tan maroon "
    "teal silver gold cream burgundy turquoise violet ivory olive khaki coral peach lavender "
    "mint charcoal multicolored multicolor".split())
COMPARATIVE_WORDS = frozenset(
    "more less longer shorter darker lighter looser tighter higher lower brighter shinier "
    "bigger smaller larger wider thinner thicker taller flatter pointier rounder chunkier "
    "duller lengthier roomier snugger glossier briefer loftier".split())
CONNECTIVE_WORDS = frozenset({"and", "with"})
NEGATION_WORDS = frozenset({"no", "not", "without", "isn't", "doesn't", "don't", "nor"})
LENGTH_BINS = 21  # 0..19 words, 20+ in the last bin
SHARES = ("colour", "comparative", "and_with", "negation")


def words(caption: str) -> list[str]:
    return WORD.findall(caption.lower())


def caption_statistics(captions: Sequence[str]) -> dict:
    """Length histogram and summary, word-family shares, vocabulary size."""
    toks = [words(c) for c in captions]
    lengths = np.array([len(t) for t in toks], dtype=np.float64)
    hist = np.bincount(np.minimum(lengths.astype(int), LENGTH_BINS - 1), minlength=LENGTH_BINS)
    families = {"colour": COLOUR_WORDS, "comparative": COMPARATIVE_WORDS,
                "and_with": CONNECTIVE_WORDS, "negation": NEGATION_WORDS}
    shares = {name: float(np.mean([bool(fam.intersection(t)) for t in toks]))
              for name, fam in families.items()}
    counts = Counter(w for t in toks for w in t)
    return {
        "n": len(captions), "length_mean": float(lengths.mean()),
        "length_std": float(lengths.std()), "length_median": float(np.median(lengths)),
        "length_max": int(lengths.max()), "length_hist": (hist / hist.sum()).tolist(),
        "shares": shares, "vocabulary": len(counts),
        "vocabulary_min5": sum(1 for c in counts.values() if c >= 5),
    }


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two histograms."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a, b):
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / b[nz])).sum())

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def read_reference_captions(paths: Iterable[str | Path]) -> list[str]:
    """Captions from Fashion IQ `cap.*.json` files (lists of {"captions": [...]}) or the
    Shoes `relative_captions_shoes.json` (lists of {"RelativeCaption": ...}); a directory is
    searched for such files."""
    out: list[str] = []
    for p in paths:
        p = Path(p)
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        for f in files:
            if not f.exists():
                raise FileNotFoundError(f"reference caption file {f} does not exist")
            try:
                data = json.loads(f.read_text())
            except json.JSONDecodeError as e:
                raise ValueError(f"{f}: not valid JSON ({e})") from e
            if not isinstance(data, list):
                continue
            for k, entry in enumerate(data):
                if not isinstance(entry, dict):
                    raise ValueError(f"{f}: entry {k} is not an object")
                if "captions" in entry:
                    caps = entry["captions"]
                    if not isinstance(caps, list):
                        raise ValueError(f"{f}: entry {k} field 'captions' is not a list")
                    out.extend(str(c) for c in caps)
                elif "RelativeCaption" in entry:
                    out.append(str(entry["RelativeCaption"]))
    return out
