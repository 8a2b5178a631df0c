"""FashionNTM's static multi-turn protocol: train single-turn composers with multi-turn
aggregators on recorded dialogs and rank a gallery at the final turn.

    python -m experiments.evaluate_static                                  # embedded
    python -m experiments.evaluate_static --dataset multiturn-fashioniq \
        --root data/fashioniq --model models/clip-vit-base-patch32
    python -m experiments.evaluate_static --composers va tirg raf --aggregators st cm-ntm

Every (composer, aggregator) pair of `--composers` x `--aggregators` is a run (see
`agents/static.py` for what each is), trained turn-wise with the batch softmax loss (Adam)
for each of `--seeds` and scored at the final turn: recall@5 / @8 per category and their
mean (FashionNTM Table 2) and recall@10 / @50 (CFIR). The history-length study (FashionNTM
Table 4) trains `--history-aggregators` on the last `--history-windows` turns (0: all).
Before working it prints what it found (dialogs per split, turns, gallery, missing images).
Writes `<out>/<dataset>/results.json` (every option, per-seed figures), `table.md`,
`history.md` and the evaluation dialogs (`eval_dialogs.json`); both JSON files record
`fashion_dialog_version` and `machine` (layouts: `experiments/schemas/static-results.schema.json`,
`static-dialogs.schema.json`). Same seed, same numbers on
the same machine (torch threads fixed by `--threads`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from agents.composers import COMPOSERS
from agents.static import AGGREGATORS
from dialog_env.cache import atomic_write_text
from dialog_env.config import EnvConfig
from experiments.common import plain, write_results
from experiments.static_data import DATASETS
from experiments.static_report import history_table, main_table, over_seeds, recall_summary

REMOVALS = ("none", "last", "all")


@dataclass
class Args:
    """FashionNTM's static multi-turn protocol."""

    dataset: str = "embedded"
    """embedded, multiturn-fashioniq, multiturn-shoes, fashioniq or shoes."""
    root: Path | None = None
    """The real dataset's folder (captions/, image_splits/, images ...)."""
    model: Path | None = None
    """Local CLIP model directory (real datasets; nothing is downloaded)."""
    composers: list[str] = field(default_factory=lambda: ["va", "tirg"])
    """Single-turn composers: va, tirg, raf."""
    aggregators: list[str] = field(default_factory=lambda: list(AGGREGATORS))
    """Multi-turn aggregators (agents/static.py)."""
    history_windows: list[int] = field(default_factory=lambda: [1, 2, 3, 0])
    """Turns aggregated in the history-length study (0: all; [] skips the study)."""
    history_aggregators: list[str] = field(default_factory=lambda: ["st+avg", "cm-ntm"])
    """Aggregators of the history-length study (without / with memory)."""
    history_composer: str = "va"
    """Composer of the history-length study."""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """Training seeds (model initialisation and batch order)."""
    epochs: int = 5
    """Training epochs over the train dialogs (0: no training, e.g. zero-shot VA on CLIP)."""
    batch: int = 80
    """Dialogs per batch (FashionNTM: 80); in-batch negatives."""
    lr: float = 1e-3
    """Adam learning rate (FashionNTM: 1e-4 for 100 epochs)."""
    dim: int = 0
    """D, the common query / gallery width (0: CLIP's width, 256 on the embedded catalog)."""
    memories: int = 4
    """cm-ntm's number of memories C."""
    memory_size: str = "8x64"
    """cm-ntm's memory slots x width."""
    gallery: str = "split"
    """split: the evaluation split's images (and any image its dialogs show); all: every
    item."""
    remove_reference: str = "none"
    """Reference images left out of the ranking: none, last (the final turn's) or all."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The embedded world (catalog, perception, shopper)."""
    image_features: str = "space"
    """Embedded image features: space ([visual ; attributes]) or visual."""
    train_dialogs: int = 3000
    """Recorded train dialogs (embedded)."""
    eval_dialogs: int = 1000
    """Recorded evaluation dialogs (embedded)."""
    eval_split: str = "test"
    """Evaluation split of the embedded catalog (val or test)."""
    data_seed: int = 0
    """Seed of the recorded dialogs (embedded)."""
    interactive: list[Path] = field(default_factory=list)
    """Checkpoint folders of interactive agents trained in the embedded world `--env`
    (e.g. results/suite/runs/guo-gru-s*/final): each plays the same evaluation dialogs
    replayed in the environment (simulators.replay) and its final query is ranked in the
    same gallery, by the world's metric; folders of one agent are its seeds."""
    image_size: int = 224
    """Real images are read at this size (the feature cache is keyed by it)."""
    device: str = "cpu"
    threads: int = 2
    """Torch CPU threads (fixed, so that a seed gives the same numbers)."""
    out: Path = Path("results/static")
    """Results go to <out>/<dataset>/."""
    quiet: bool = False


def check_args(args: Args) -> None:
    """Refuse arguments that cannot give a result, before any work starts."""
    from experiments.common import memory_size

    def known(values, allowed, flag):
        bad = [v for v in values if v not in allowed]
        if bad:
            raise SystemExit(f"{flag}: unknown {bad}; expected some of {allowed}")

    if args.dataset not in DATASETS:
        raise SystemExit(f"--dataset must be one of {DATASETS}, got {args.dataset!r}")
    known(args.composers + [args.history_composer], COMPOSERS, "--composers")
    known(args.aggregators + args.history_aggregators, AGGREGATORS, "--aggregators")
    if not args.composers or not args.aggregators or not args.seeds:
        raise SystemExit("--composers, --aggregators and --seeds must not be empty")
    if any(w < 0 for w in args.history_windows):
        raise SystemExit(f"--history-windows must be >= 0, got {args.history_windows}")
    for name in ("epochs", "train_dialogs", "eval_dialogs", "threads"):
        if getattr(args, name) < (0 if name == "epochs" else 1):
            raise SystemExit(f"--{name.replace('_', '-')} is too small: {getattr(args, name)}")
    if args.batch < 2 or args.dim < 0 or args.memories < 1:
        raise SystemExit("--batch must be >= 2, --dim >= 0 and --memories >= 1")
    memory_size(args.memory_size)
    if args.gallery not in ("split", "all"):
        raise SystemExit(f"--gallery must be split or all, got {args.gallery!r}")
    if args.remove_reference not in REMOVALS:
        raise SystemExit(f"--remove-reference must be one of {REMOVALS}, got "
                         f"{args.remove_reference!r}")
    if args.eval_split not in ("val", "test"):
        raise SystemExit(f"--eval-split must be val or test, got {args.eval_split!r}")
    if args.image_features not in ("space", "visual"):
        raise SystemExit(f"--image-features must be space or visual, got "
                         f"{args.image_features!r}")
    if args.interactive and args.dataset != "embedded":
        raise SystemExit("--interactive agents are trained in the embedded world; use "
                         "--dataset embedded")
    missing = [str(p) for p in args.interactive if not (p / "model.safetensors").is_file()]
    if missing:
        raise SystemExit(f"--interactive: no checkpoint (model.safetensors) in {missing}")
    if args.dataset != "embedded":
        if args.root is None or not args.root.is_dir():
            raise SystemExit(f"--dataset {args.dataset} needs --root, a directory; got "
                             f"{args.root}")
        if args.model is None or not (args.model / "config.json").is_file():
            raise SystemExit(f"--dataset {args.dataset} needs --model, a local CLIP model "
                             f"directory written by save_pretrained (nothing is "
                             f"downloaded); got {args.model}")


def plan(args: Args) -> list[dict]:
    """Every run: the main table's pairs, then the history study (window 0 reuses a main
    run when it is the same configuration)."""
    runs = [{"composer": c, "aggregator": a, "window": 0, "table": "main"}
            for c in args.composers for a in args.aggregators]
    for a in args.history_aggregators:
        for w in args.history_windows:
            runs.append({"composer": args.history_composer, "aggregator": a, "window": w,
                         "table": "history"})
    return runs


def load(args: Args):
    from experiments.static_data import load_embedded, load_real

    progress = not args.quiet
    if args.dataset == "embedded":
        return load_embedded(args.env, args.train_dialogs, args.eval_dialogs, args.eval_split,
                             args.data_seed, args.image_features, progress)
    return load_real(args.dataset, args.root, args.model, args.image_size, args.device,
                     progress=progress)


def excluded(data, removal: str) -> np.ndarray | None:
    """The item ids each evaluation dialog leaves out of the ranking (`--remove-reference`)."""
    return {"none": None, "last": data.eval.last_reference()[:, None],
            "all": data.eval.references}[removal]


def scored(data, ranks: np.ndarray) -> dict:
    """Recall of the final-turn ranks per dialog category (`recall_summary`)."""
    return recall_summary(ranks, data.eval.category_codes(data.catalog),
                          data.catalog.categories)


def run_one(data, tables, index, spec: dict, seed: int, dim: int, gallery: np.ndarray,
            args: Args) -> tuple[np.ndarray, list[float]]:
    """Train one (composer, aggregator, window) with `seed`; the final-turn ranks of the
    evaluation dialogs in the gallery and the loss per epoch."""
    from agents.static import (
        StaticConfig,
        StaticModel,
        final_queries,
        gallery_features,
        gallery_ranks,
        train_static,
    )
    from experiments.common import memory_size
    from experiments.static_data import variant

    slots, width = memory_size(args.memory_size)
    config = StaticConfig(
        spec["composer"], spec["aggregator"], image_dim=data.images.shape[1],
        text_dim=data.text.dim, dim=dim,
        token_dim=data.text.token_dim if spec["composer"] == "raf" else 0,
        window=spec["window"], memories=args.memories, slots=slots, width=width)
    model = StaticModel.from_seed(config, seed)
    v = variant(spec)
    losses = train_static(model, tables, index[(*v, data.train.split)], args.epochs,
                          args.batch, args.lr, seed, device=args.device)
    evals = index[(*v, data.eval.split)]
    queries = final_queries(model, tables, evals, device=args.device)
    feats = gallery_features(model, data.images[gallery], device=args.device)
    return gallery_ranks(queries, feats, gallery, evals.targets,
                         excluded(data, args.remove_reference)), losses


def interactive_runs(args: Args, data, gallery: np.ndarray) -> list[dict]:
    """The `--interactive` agents on the evaluation dialogs, replayed in the env: their
    final queries ranked in `gallery` by the world's metric, grouped by agent (seeds)."""
    from agents.static import gallery_ranks
    from dialog_env.evaluation import run_replay
    from dialog_env.factory import make_world, replay_world
    from experiments.evaluate import checkpoint_factory

    world = make_world(args.env, progress=not args.quiet)
    replay = replay_world(world, data.eval)
    exclude = excluded(data, args.remove_reference)
    by_agent: dict[str, list[dict]] = {}
    for path in args.interactive:
        name, factory = checkpoint_factory(path, args.device)
        out = run_replay(replay, factory(0), progress=not args.quiet)
        ranks = gallery_ranks(out["final_queries"], world.db.items[gallery], gallery,
                              data.eval.targets, exclude, metric=world.db.metric)
        by_agent.setdefault(name, []).append({"checkpoint": str(path),
                                              **scored(data, ranks)})
    return [{"composer": "replayed", "aggregator": f"{name} (interactive)", "window": 0,
             "table": "main", "per_seed": runs, "summary": over_seeds(runs)}
            for name, runs in by_agent.items()]


def main(args: Args) -> dict:
    import torch

    from experiments.static_data import describe, encode_dialogs, gallery_items

    check_args(args)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = load(args)
    gallery, added = gallery_items(data, args.gallery)
    found = describe(data, gallery, added)
    found.update(train_split=data.train.split, eval_split=data.eval.split)
    print(json.dumps({k: found[k] for k in ("dataset", "items", "dialogs", "turns",
                                            "gallery", "missing_images")}))
    runs = plan(args)
    tables, index = encode_dialogs(data, runs, args.quiet)
    dim = args.dim or (data.images.shape[1] if data.aligned else 256)
    done: dict[tuple, dict] = {}
    for spec in runs:
        key = (spec["composer"], spec["aggregator"], spec["window"])
        if key not in done:
            per_seed, seconds = [], []
            for seed in args.seeds:
                s = time.perf_counter()
                ranks, losses = run_one(data, tables, index, spec, seed, dim, gallery,
                                        args)
                seconds.append(time.perf_counter() - s)
                per_seed.append({"seed": seed, "final_loss": losses[-1] if losses else None,
                                 **scored(data, ranks)})
            done[key] = {"per_seed": per_seed, "summary": over_seeds(per_seed),
                         "seconds_per_seed": float(np.mean(seconds))}
            if not args.quiet:
                o = done[key]["summary"]["overall"]
                print(f"{spec['composer']:>4} {spec['aggregator']:<8} w={spec['window']}: "
                      f"R@5 {o['R@5']['mean']:.1f} R@8 {o['R@8']['mean']:.1f} "
                      f"R@10 {o['R@10']['mean']:.1f} R@50 {o['R@50']['mean']:.1f}")
        spec.update(done[key])
    for spec in interactive_runs(args, data, gallery) if args.interactive else ():
        runs.append(spec)
        if not args.quiet:
            o = spec["summary"]["overall"]
            print(f"{spec['aggregator']}: R@5 {o['R@5']['mean']:.1f} R@8 {o['R@8']['mean']:.1f}"
                  f" R@10 {o['R@10']['mean']:.1f} R@50 {o['R@50']['mean']:.1f}")
    out = args.out / args.dataset
    out.mkdir(parents=True, exist_ok=True)
    result = {"data": found, "options": {**plain(args), "dim": dim}, "runs": runs,
              "wall_seconds": time.perf_counter() - t0, "threads": args.threads}
    result = write_results(out / "results.json", result, "static-results")
    atomic_write_text(out / "table.md", main_table(result))
    if any(r["table"] == "history" for r in runs):
        atomic_write_text(out / "history.md", history_table(result))
    write_results(out / "eval_dialogs.json", {
        "split": data.eval.split, "source": data.eval.source, "meta": plain(data.eval.meta),
        "references": data.eval.references.tolist(), "turns": data.eval.turns.tolist(),
        "targets": data.eval.targets.tolist(), "texts": data.eval.texts}, "static-dialogs")
    print(f"wrote {out / 'results.json'} and table.md in {result['wall_seconds']:.0f} s")
    return result


if __name__ == "__main__":
    main(tyro.cli(Args))
