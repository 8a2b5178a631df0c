"""Build the real-language shopper's data from the public caption files (run once, by us).

    python -m simulators.real.build --fashioniq ../shared/data/fashioniq \
        --shoes ../shared/data/shoes

Every training caption (Fashion IQ `cap.{dress,shirt,toptee}.train.json`; Shoes relative
captions whose target image is in `train_im_names.txt`) is grounded (`simulators.grounding`)
about an item of its category. Each grounded phrase becomes a placeholder that remembers its
concept kind, slot and scope word ("no", "more", ...); the other words stay as people wrote
them. The surface phrases of each concept are counted per domain (garment, shoes). The
result, `simulators/real/data/captions.json.gz`, ships with the package: templates with
counts per category, surface forms with counts, and the held-out statistics. Validation and
test captions are never used, so the realism report can compare against them.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write
from dialog_env.catalog.real_pairs import FIQ_CATEGORIES, read_fashioniq_pairs, read_shoes_pairs
from simulators.grounding import domain_of, parse

DATA = Path(__file__).parent / "data" / "captions.json.gz"
MAX_WORDS = 20


def read_fashioniq(root: Path, split: str) -> list[tuple[str, str]]:
    """(caption, category) of Fashion IQ's `cap.<category>.<split>.json` files under
    `root` (or `root/captions`)."""
    return [(c, p.category) for p in read_fashioniq_pairs(root, FIQ_CATEGORIES, (split,))
            for c in p.captions]


def read_shoes(root: Path, split: str) -> list[tuple[str, str]]:
    """(caption, "shoes") of the Shoes relative captions whose target image is in
    `train_im_names.txt` (split train) or `eval_im_names.txt` (split eval)."""
    return [(p.captions[0], "shoes") for p in read_shoes_pairs(root) if p.split == split]


def template_of(text: str, category: str):
    """(template words with "{k}" placeholders, atoms [(kind, slot, modifier)], surfaces
    [(concept key, phrase)]) of one caption, or None when it is too long."""
    g = parse(text, category)
    if not g.tokens or len(g.tokens) > MAX_WORDS:
        return None
    words: list[str] = []
    atoms, surfaces = [], []
    i = 0
    for span in g.spans:
        words += g.tokens[i:span.start]
        c = span.concept
        words.append(f"{{{len(atoms)}}}")
        atoms.append((c[0], c[1], span.modifier))
        surfaces.append(("|".join(c), " ".join(g.tokens[span.start:span.end])))
        i = span.end
    words += g.tokens[i:]
    return " ".join(words), atoms, surfaces


def build(captions: list[tuple[str, str]]) -> dict:
    templates: dict[str, Counter] = defaultdict(Counter)  # (words, atoms) counted
    forms: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    skipped = 0
    for text, cat in captions:
        t = template_of(text, cat)
        if t is None:
            skipped += 1
            continue
        words, atoms, surfaces = t
        templates[cat][(words, tuple(atoms))] += 1
        dom = domain_of(cat)
        for key, phrase in surfaces:
            forms[dom][key][phrase] += 1
    return {
        "templates": {cat: [[w, n, [list(a) for a in atoms]]
                            for (w, atoms), n in sorted(c.items())]
                      for cat, c in sorted(templates.items())},
        "forms": {d: {k: dict(sorted(c.items())) for k, c in sorted(f.items())}
                  for d, f in sorted(forms.items())},
        "captions": len(captions), "skipped_long": skipped, "max_words": MAX_WORDS,
    }


@dataclass
class Args:
    """Build simulators/real/data/captions.json.gz from the public caption files."""

    fashioniq: Path = Path("../shared/data/fashioniq")
    shoes: Path = Path("../shared/data/shoes")
    out: Path = DATA


def main(args: Args) -> dict:
    caps = read_fashioniq(args.fashioniq, "train") + read_shoes(args.shoes, "train")
    data = build(caps)
    data["sources"] = {"fashioniq": "cap.{dress,shirt,toptee}.train.json",
                       "shoes": "relative_captions_shoes.json (train_im_names.txt targets)"}
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, lambda p: p.write_bytes(gzip.compress(raw, mtime=0)))
    n = sum(len(v) for v in data["templates"].values())
    print(f"{len(caps)} captions -> {n} templates, {args.out} "
          f"({args.out.stat().st_size / 1e3:.0f} kB)")
    return data


if __name__ == "__main__":
    main(tyro.cli(Args))
