"""How well AttrNet (Fashion IQ appendix A) sees the synthetic catalog, on the test split.

    python -m experiments.attrnet_report
    python -m experiments.attrnet_report --catalog.n-items 2000 --attrnet.epochs 5 --out /tmp/a

Trains AttrNet on the catalog's train split (or loads the weights cached next to the
catalog for the same `--attrnet.*` settings) and measures, on the TEST items only:

1. attribute recall per attribute type in the layout of Fashion IQ's Table 5: for each test
   item and type, the type's values ranked by `phi(x)`; top-k recall = |top-k & true values
   of the type| / |true values of the type|, averaged over the items that have a value of
   the type; with each type's number of values and the top-5 recall of a random ranking
   (`min(5, values) / values`). The paper's dresses figures are printed beside it, labelled:
   its types are Fashion IQ's, ours are the synthetic catalog's.
2. retrieval with the image embedding `x` alone (cosine): for every test item that has
   another test item with identical attributes ("exact") — or of its own category with
   attribute Jaccard >= 0.8 ("near") — recall@10 (a relevant item among the 10 nearest
   other test items) and the mean reciprocal rank of the first relevant item; the same
   for `phi(x)`, for the pixel-PCA features and for a random ranking (exact expectation).
3. the training time (when it trained; a cached net records that it was loaded), the device
   and the configuration.

Writes `<out>/report.json` and `<out>/table.md` (the README pastes the latter) and prints
the table.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.store import load_synthetic
from dialog_env.config import CatalogConfig
from dialog_env.features import extract_features, make_extractor
from dialog_env.features.attrnet import (
    AttrNetConfig,
    AttrNetFeatures,
    split_features,
    type_columns,
    weights_path,
)
from experiments.common import read_json, write_results

# Fashion IQ, Table 5: AttrNet top-5 attribute recall on the dresses category (real photos,
# a pretrained CNN backbone, Fashion IQ's own attribute types and values).
FASHION_IQ_TABLE5_DRESS_TOP5 = {"texture": 0.60, "fabric": 0.53, "shape": 0.47, "part": 0.44,
                                "style": 0.28}
KS = (3, 5)
RETRIEVAL_K = 10


@dataclass
class Args:
    """AttrNet attribute recall and embedding retrieval on the test split."""

    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    """The synthetic catalog."""
    attrnet: AttrNetConfig = field(default_factory=AttrNetConfig)
    """AttrNet's settings (the weights are cached per catalog and settings)."""
    pixels_dim: int = 128
    """Dimension of the pixel-PCA baseline features."""
    near_jaccard: float = 0.8
    """The "near" relevance level: same category and attribute Jaccard >= this."""
    out: Path = Path("results/attrnet")
    """Output folder (report.json, table.md)."""
    quiet: bool = False
    """No progress bars."""


def topk_recall(truth: np.ndarray, scores: np.ndarray, k: int) -> tuple[float | None, int]:
    """Fashion IQ's top-k attribute recall of one type: `truth` (n, V_t) bool, `scores`
    (n, V_t). For each item the values are ranked by score (ties: vocabulary order);
    recall = |top-k & true| / |true|, averaged over the items with at least one true value.
    Returns (recall, number of items averaged); recall is None when no item has a value."""
    truth = np.asarray(truth, dtype=bool)
    top = np.argsort(-np.asarray(scores), axis=1, kind="stable")[:, :k]  # (n, k)
    hits = np.take_along_axis(truth, top, axis=1).sum(1)  # (n,)
    n_true = truth.sum(1)  # (n,)
    have = n_true > 0
    if not have.any():
        return None, 0
    return float((hits[have] / n_true[have]).mean()), int(have.sum())


def chance_recall(n_values: int, k: int) -> float:
    """Expected top-k recall of a uniformly random ranking of `n_values` values: each true
    value is in the top k with probability min(k, n) / n, whatever the number of true values."""
    return min(k, n_values) / n_values


def relevance(attributes: np.ndarray, category: np.ndarray,
              near_jaccard: float) -> dict[str, np.ndarray]:
    """(n, n) bool relevance of item j to query i (never i itself): `exact` = identical
    attribute rows; `near` = same category and attribute Jaccard >= `near_jaccard`."""
    a = np.asarray(attributes, dtype=np.float32)  # (n, V)
    inter = a @ a.T  # (n, n) shared values
    size = a.sum(1)  # (n,)
    union = size[:, None] + size[None, :] - inter
    exact = (inter == size[:, None]) & (inter == size[None, :])
    jaccard = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    near = (category[:, None] == category[None, :]) & (jaccard >= near_jaccard)
    for m in (exact, near):
        np.fill_diagonal(m, False)
    return {"exact": exact, "near": near}


def _summary(first: np.ndarray, k: int) -> dict:
    """Recall@k and MRR from the 0-based position of each query's first relevant item."""
    if len(first) == 0:
        return {"queries": 0, f"recall@{k}": None, "mrr": None}
    return {"queries": int(len(first)), f"recall@{k}": float((first < k).mean()),
            "mrr": float((1.0 / (first + 1)).mean())}


def retrieval(features: np.ndarray, relevant: np.ndarray, k: int = RETRIEVAL_K) -> dict:
    """Rank the other items by cosine similarity to each query (rows of `features`, (n, d))
    and score the queries that have a relevant item (`relevant` (n, n) bool, diagonal
    False): recall@k = share with a relevant item in the top k, mrr = mean 1 / rank of
    the first relevant item."""
    x = np.asarray(features, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sim = x @ x.T  # (n, n)
    np.fill_diagonal(sim, -np.inf)  # the query itself comes last
    order = np.argsort(-sim, axis=1, kind="stable")  # (n, n)
    rel = np.take_along_axis(relevant, order, axis=1)  # (n, n) relevance in rank order
    has = rel.any(1)
    return _summary(rel[has].argmax(1), k)


def random_retrieval(relevant: np.ndarray, k: int = RETRIEVAL_K) -> dict:
    """The exact expectation of `retrieval` under a uniformly random ranking of the other
    n - 1 items: with m relevant among them, P(first relevant after rank r) =
    prod_{j<r} (n-1-m-j) / (n-1-j)."""
    n_rel = relevant.sum(1)
    n_rel = n_rel[n_rel > 0]
    if len(n_rel) == 0:
        return {"queries": 0, f"recall@{k}": None, "mrr": None}
    others = relevant.shape[0] - 1
    hit, rr = np.empty(len(n_rel)), np.empty(len(n_rel))
    j = np.arange(others)
    for m in np.unique(n_rel):
        # survival[r] = P(first relevant position > r), r = 0..others
        steps = np.clip((others - m - j) / (others - j), 0.0, 1.0)
        survival = np.concatenate([[1.0], np.cumprod(steps)])
        p_first = survival[:-1] - survival[1:]  # P(first = r), r = 1..others
        sel = n_rel == m
        hit[sel] = 1.0 - survival[min(k, others)]
        rr[sel] = (p_first / np.arange(1, others + 1)).sum()
    return {"queries": int(len(n_rel)), f"recall@{k}": float(hit.mean()),
            "mrr": float(rr.mean())}


def _stamp(path: Path | None):
    if path is None or not path.exists():
        return None
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


def fit_attrnet(catalog: Catalog, config: AttrNetConfig, progress: bool):
    """Fit (train, or load the cached weights) and time it; then the [x ; phi] features of
    every item (cached). Trained = the weights file was (re)written by this fit."""
    ext = AttrNetFeatures(len(catalog.vocab), config, progress=progress)
    path = weights_path(catalog, config)
    before = _stamp(path)
    start = time.perf_counter()
    ext.fit(catalog)
    seconds = time.perf_counter() - start
    trained = path is None or _stamp(path) != before
    # extract_features fits once more when the features are not cached yet: that loads
    # the weights just written, it does not train again.
    feats = extract_features(catalog, ext, progress=progress)
    return feats, trained, seconds


def _previous_training_seconds(out: Path, catalog: Catalog, config: AttrNetConfig):
    """The training time a previous report in `out` recorded for this catalog + net."""
    path = out / "report.json"
    if not path.exists():
        return None
    try:
        old = read_json(path)
    except ValueError:
        return None
    t = old.get("training", {})
    if (old.get("catalog_content_hash") == catalog.meta.get("content_hash")
            and t.get("attrnet_key") == config.key()):
        return t.get("train_seconds")
    return None


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "–" if x is None else format(x, spec)


def render(report: dict) -> str:
    types = report["types"]
    rec, cat = report["attribute_recall"], report["catalog"]
    tr = report["training"]
    lines = [
        f"AttrNet (`{tr['attrnet_key']}`) on the synthetic catalog ({cat['n_items']:,} items, "
        f"seed {cat['seed']}, {cat['image_size']}px): attribute recall over the "
        f"{report['test_items']:,} test items, by attribute type (Fashion IQ Table 5 layout).",
        "",
        "| | " + " | ".join(types) + " |",
        "|---|" + "---:|" * len(types),
    ]
    for k in KS:
        lines.append(f"| top-{k} | " + " | ".join(_fmt(rec[t][f"top{k}"]) for t in types) + " |")
    if any(rec[t].get("top5_dress") is not None for t in types):
        lines.append("| top-5, dress items | "
                     + " | ".join(_fmt(rec[t].get("top5_dress")) for t in types) + " |")
    lines += [
        "| values | " + " | ".join(str(rec[t]["values"]) for t in types) + " |",
        "| chance@5 | " + " | ".join(_fmt(rec[t]["chance5"]) for t in types) + " |",
        "",
        "Fashion IQ's AttrNet, Table 5, dresses, top-5 (real photos, a pretrained backbone and "
        "Fashion IQ's own attribute types — not the synthetic catalog's types and values, so "
        "not comparable number for number):",
        "",
        "| | " + " | ".join(FASHION_IQ_TABLE5_DRESS_TOP5) + " |",
        "|---|" + "---:|" * len(FASHION_IQ_TABLE5_DRESS_TOP5),
        "| top-5 (paper) | " + " | ".join(f"{v:.2f}" for v in FASHION_IQ_TABLE5_DRESS_TOP5.values())
        + " |",
        "",
        f"Retrieval among the test items by cosine similarity: a query counts when another "
        f"test item is relevant — **exact**: identical attributes; **near**: same category "
        f"and attribute Jaccard >= {report['near_jaccard']:g}. recall@{RETRIEVAL_K}: a "
        f"relevant item among the {RETRIEVAL_K} nearest; MRR: of the first relevant item.",
        "",
        f"| features | exact: queries | recall@{RETRIEVAL_K} | MRR | near: queries | "
        f"recall@{RETRIEVAL_K} | MRR |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in report["retrieval"].items():
        cells = []
        for level in ("exact", "near"):
            r = res[level]
            cells += [f"{r['queries']:,}", _fmt(r[f"recall@{RETRIEVAL_K}"]), _fmt(r["mrr"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if tr["trained"]:
        how = f"trained in {tr['train_seconds']:.1f} s on {tr['device']}"
    else:
        recorded = ("" if tr["train_seconds"] is None
                    else f"; training took {tr['train_seconds']:.1f} s when it was trained")
        how = f"loaded from the cache in {tr['fit_seconds']:.1f} s{recorded}"
    lines += ["", f"AttrNet {how} ({tr['train_items']:,} train items, {tr['epochs']} epochs)."]
    return "\n".join(lines) + "\n"


def main(args: Args) -> dict:
    if not 0.0 < args.near_jaccard <= 1.0:
        raise SystemExit(f"--near-jaccard must be in (0, 1], got {args.near_jaccard}")
    import torch

    progress = not args.quiet
    c = args.catalog
    catalog = load_synthetic(c.n_items, c.seed, image_size=c.image_size, progress=progress)
    test = catalog.indices("test")
    if len(test) < 2:
        raise SystemExit(f"the catalog has {len(test)} test items; use a larger --catalog.n-items")
    feats, trained, fit_seconds = fit_attrnet(catalog, args.attrnet, progress)
    x, phi = split_features(feats[test], args.attrnet)
    truth = catalog.attributes[test]
    is_dress = (catalog.category[test] == catalog.categories.index("dress")
                if "dress" in catalog.categories else np.zeros(len(test), dtype=bool))

    recall: dict[str, dict] = {}
    for t, cols in type_columns(catalog).items():
        row: dict = {"values": len(cols), "chance5": chance_recall(len(cols), 5)}
        for k in KS:
            row[f"top{k}"], row["items"] = topk_recall(truth[:, cols], phi[:, cols], k)
        row["top5_dress"] = (topk_recall(truth[is_dress][:, cols], phi[is_dress][:, cols], 5)[0]
                             if is_dress.any() else None)
        recall[t] = row

    levels = relevance(truth, catalog.category[test], args.near_jaccard)
    pixels = extract_features(catalog, make_extractor("pixels", catalog, dim=args.pixels_dim),
                              progress=progress)[test]
    feature_sets = {"AttrNet x": x, "AttrNet phi(x)": phi,
                    f"pixels (PCA {args.pixels_dim})": pixels}
    results = {name: {level: retrieval(f, rel) for level, rel in levels.items()}
               for name, f in feature_sets.items()}
    results["random ranking (expected)"] = {level: random_retrieval(rel)
                                            for level, rel in levels.items()}

    train_seconds = (fit_seconds if trained
                     else _previous_training_seconds(args.out, catalog, args.attrnet))
    report = {
        "types": list(recall),  # vocabulary order (the JSON file's keys are sorted)
        "attribute_recall": recall,
        "fashion_iq_table5_dress_top5": FASHION_IQ_TABLE5_DRESS_TOP5,
        "retrieval": results,
        "near_jaccard": args.near_jaccard,
        "retrieval_k": RETRIEVAL_K,
        "test_items": int(len(test)),
        "training": {"trained": trained, "fit_seconds": fit_seconds,
                     "train_seconds": train_seconds,
                     "device": "cuda" if torch.cuda.is_available() else "cpu",
                     "train_items": int(len(catalog.indices("train"))),
                     "epochs": args.attrnet.epochs, "attrnet_key": args.attrnet.key()},
        "attrnet": asdict(args.attrnet),
        "catalog": asdict(args.catalog),
        "catalog_content_hash": catalog.meta.get("content_hash"),
        "pixels_dim": args.pixels_dim,
    }
    text = render(report)
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(args.out / "report.json", report, "report")
    atomic_write_text(args.out / "table.md", text)
    print(text)
    return report


if __name__ == "__main__":
    main(tyro.cli(Args))
