"""Fashion IQ's three relative captioners (user-simulator variants, Table 4) on held-out pairs.

    python -m experiments.captioner_report
    python -m experiments.captioner_report --neural.steps 2000 --test-pairs 2000 --out /tmp/c

Trains the image-only (#1), attribute-aware (#2) and attribute-aware attention (#3)
captioners with the same training pairs, seed and budget (`--neural.*`) on the catalog's
train split, over the world's AttrNet features (image embedding x, attributes phi(x)), then
decodes held-out pairs of the TEST split (`--neural.decoding`) and scores them with
`simulators.caption_metrics` (BLEU-1..4, ROUGE-L, CIDEr-D) against the references the
caption data source gives for each pair (every caption it gives for that pair).

Context rows: the most frequent training caption said for every pair (what a captioner
that ignores the images would score at best with one caption), and, where pairs have two
or more references, one reference scored against the others (how much two captions of
the same pair agree). Fashion IQ's #3 dresses row is printed below the table as a
reference: human captions of real photos, not comparable.

Writes `<out>/report.json` and `<out>/table.md` (atomically) and prints the table.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import CatalogConfig
from dialog_env.item_space import build_item_space
from experiments.common import plain, write_results
from simulators.caption_metrics import caption_scores
from simulators.caption_sources import caption_source
from simulators.neural.config import VARIANT_LABELS, VARIANTS, NeuralConfig

# Fashion IQ, Table 4: the attribute-aware attention captioner (#3) on dresses.
FASHION_IQ_TABLE4_DRESS_3 = {"BLEU-1": 61.3, "BLEU-4": 19.7, "ROUGE-L": 55.5, "CIDEr": 59.4}
COLUMNS = ("BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr")


@dataclass
class Args:
    """The three captioner variants trained alike and scored on held-out pairs."""

    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    """The synthetic catalog."""
    neural: NeuralConfig = field(default_factory=NeuralConfig)
    """The captioners' settings (variant is set per row; attrnet: the features read)."""
    variants: tuple[str, ...] = VARIANTS
    """Which variants to train and score."""
    test_pairs: int = 2000
    """Captions drawn from the data source on the test split (grouped by pair)."""
    decode_batch: int = 256
    """Pairs per decoding call."""
    device: str | None = None
    """Training device (None: CUDA when available, else CPU)."""
    threads: int = 1
    """torch CPU threads."""
    examples: int = 8
    """Decoded test pairs kept in report.json (with their references)."""
    out: Path = Path("results/captioner")
    """Output folder (report.json, table.md)."""
    quiet: bool = False
    """No progress bars."""


def group_references(shown: np.ndarray, target: np.ndarray, texts: list[str]
                     ) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    """Unique (shown, target) pairs in first-seen order and every caption given for each."""
    refs: dict[tuple[int, int], list[str]] = {}
    for s, t, text in zip(shown.tolist(), target.tolist(), texts):
        refs.setdefault((s, t), []).append(text)
    keys = list(refs)
    return (np.array([k[0] for k in keys], dtype=np.int64),
            np.array([k[1] for k in keys], dtype=np.int64), [refs[k] for k in keys])


def decode_pairs(model, visual: np.ndarray, attributes: np.ndarray, shown: np.ndarray,
                 target: np.ndarray, vocab, config: NeuralConfig, batch: int) -> list[str]:
    """The captions `model` says about `shown` for `target`, decoded as `config` says
    (sampling seeded with `config.seed + pair index`)."""
    import torch

    v, a = torch.as_tensor(visual), torch.as_tensor(attributes)
    out: list[str] = []
    for lo in range(0, len(shown), batch):
        s = torch.as_tensor(shown[lo:lo + batch])
        t = torch.as_tensor(target[lo:lo + batch])
        seeds = [config.seed + lo + k for k in range(len(s))]
        tokens = model.decode(v[s], a[s], v[t], a[t], config.max_len, config.decoding,
                              config.beam_size, config.temperature, seeds=seeds)
        out += [vocab.decode(row.tolist()) for row in tokens]
    return out


def scores_row(hyps: list[str], refs: list[list[str]]) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v
            for k, v in caption_scores(hyps, refs).items()}


def context_rows(train_texts: list[str], refs: list[list[str]]) -> dict:
    """The most frequent training caption for every pair; one reference against the
    others where pairs have at least two."""
    rows = {}
    common = Counter(train_texts).most_common(1)[0][0]
    rows["most frequent training caption"] = {**scores_row([common] * len(refs), refs),
                                              "caption": common}
    multi = [r for r in refs if len(r) >= 2]
    if len(multi) >= 2:
        rows["one reference vs the others"] = scores_row([r[0] for r in multi],
                                                         [r[1:] for r in multi])
    return rows


def table(report: dict) -> str:
    head = f"| Captioner | {' | '.join(COLUMNS)} | Decoding | Train s |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for v, row in report["variants"].items():
        cells = " | ".join(f"{row['scores'][c]:.1f}" for c in COLUMNS)
        lines.append(f"| {VARIANT_LABELS[v]} | {cells} | {row['decoding']} | "
                     f"{row['train_seconds']:.0f} |")
    for name, row in report["context"].items():
        cells = " | ".join(f"{row[c]:.1f}" for c in COLUMNS)
        lines.append(f"| *{name}* | {cells} | - | - |")
    paper = " | ".join(f"{FASHION_IQ_TABLE4_DRESS_3[c]:.1f}" for c in COLUMNS)
    r = report
    return "\n".join([
        *lines, "",
        f"Held-out: {r['test']['pairs']} test-split pairs ({r['test']['captions']} captions "
        f"from the `{r['data']}` source, {r['test']['references_per_pair']:.2f} references "
        f"per pair). Training: {r['config']['neural']['steps']} Adam steps of "
        f"{r['config']['neural']['batch']} of {r['train']['captions']} train-split captions, "
        f"embedding {r['config']['neural']['embed']}, LSTM {r['config']['neural']['hidden']},"
        f" on {r['device']}; features: AttrNet ({r['features']}).",
        "",
        f"Fashion IQ Table 4, #3 attribute-aware attention on dresses (human captions of "
        f"real photos; not comparable): {paper} (BLEU-1, BLEU-4, ROUGE-L, CIDEr).", ""])


def check_args(args: Args) -> None:
    """SystemExit naming a bad argument and its value, before any work."""
    for name in ("test_pairs", "decode_batch", "threads"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be >= 1, got "
                             f"{getattr(args, name)}")
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown or not args.variants:
        raise SystemExit(f"--variants: unknown {unknown} (expected some of {VARIANTS})")


def main(args: Args) -> dict:
    import torch

    from simulators.neural.train import train_captioner

    check_args(args)
    torch.set_num_threads(args.threads)
    c = args.catalog
    catalog = load_synthetic(c.n_items, c.seed, c.image_size, progress=not args.quiet)
    space = build_item_space(catalog, "attrnet", attrnet=args.neural.attrnet,
                             progress=not args.quiet)
    source = caption_source()
    vocab = source.vocabulary()
    train = source.pairs(catalog, args.neural.pairs, args.neural.seed, split="train")
    test = source.pairs(catalog, args.test_pairs, args.neural.seed + 1, split="test")
    shown, target, refs = group_references(test.shown, test.target, test.texts)
    report: dict = {"data": source.name, "features": f"attrnet-{args.neural.attrnet.key()}",
                    "train": {"captions": len(train.texts)},
                    "test": {"captions": len(test.texts), "pairs": len(refs),
                             "references_per_pair": len(test.texts) / max(len(refs), 1)},
                    "variants": {}, "config": plain(asdict(args))}
    device = None
    for variant in args.variants:
        config = replace(args.neural, variant=variant)
        start = time.perf_counter()
        model, losses = train_captioner(train.shown, train.target, train.texts, space.visual,
                                        space.attributes, vocab, config,
                                        progress=not args.quiet, device=args.device)
        seconds = time.perf_counter() - start
        device = str(torch.device(args.device) if args.device else torch.device(
            "cuda" if torch.cuda.is_available() else "cpu"))
        hyps = decode_pairs(model, space.visual, space.attributes, shown, target, vocab,
                            config, args.decode_batch)
        report["variants"][variant] = {
            "scores": scores_row(hyps, refs), "decoding": config.decoding,
            "train_seconds": round(seconds, 1), "steps": config.steps,
            "first_loss": round(losses[0], 4), "final_loss": round(float(np.mean(
                losses[-20:])), 4),
            "examples": [{"said": h, "references": r}
                         for h, r in zip(hyps[:args.examples], refs[:args.examples])]}
    report["device"] = device
    report["context"] = context_rows(train.texts, refs)
    text = table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(args.out / "report.json", report, "report")
    atomic_write_text(args.out / "table.md", text)
    print(text)
    return report


if __name__ == "__main__":
    main(tyro.cli(Args))
