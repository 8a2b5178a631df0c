"""Agents trained with one shopper, evaluated with their own and with others.

    python -m experiments.suite --eval-shoppers template template:test ...   # in each suite
    python -m experiments.cross_shopper results/suite results/suite-template \
        --out results/suite/cross_shopper.md

A shopper spec is a registered shopper name, optionally with the template lexicon after a
colon: `real`, `template`, `template:test` (the template shopper's held-out wording), or
any other shopper name (an installed plugin's, `module.path:factory`). The
suite (`--eval-shoppers`) evaluates every trained agent on the same test protocol with each
spec's shopper in place of the one it was trained with (same catalog, item space and
targets; token ids the agent never learned read as `<unk>`). This script merges suites into
one table: an agent and the shopper it was trained with per row, R@10 at the last turn
(95% CI) per evaluation shopper, and the relative change from its own shopper.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write_text
from dialog_env.config import EnvConfig
from experiments.common import read_json
from experiments.summary import ci_cell
from simulators.registry import SHOPPERS, shopper_factory

LEXICONS = ("train", "test")
DECODINGS = ("greedy", "beam", "sample")
# What the part after the colon sets, per shopper.
OPTIONS = {"template": ("lexicon", LEXICONS), "neural": ("decoding", DECODINGS)}


def check_spec(spec: str) -> str:
    """A shopper spec: a registered name, optionally `:option` (the template shopper's
    lexicon, the neural shopper's decoding), or a plugin's name (`shopper_factory`)."""
    name, _, option = spec.partition(":")
    if name not in SHOPPERS:
        try:
            shopper_factory(spec)
        except ValueError as e:
            raise SystemExit(f"{e} (in {spec!r})") from None
        return spec
    if option and (name not in OPTIONS or option not in OPTIONS[name][1]):
        raise SystemExit(f"{spec!r}: only the template shopper takes a lexicon "
                         f"{list(LEXICONS)} and the neural shopper a decoding "
                         f"{list(DECODINGS)} after the colon")
    return spec


def spec_env(env: EnvConfig, spec: str) -> EnvConfig:
    """`env` with the shopper of `spec` (name[:option], or a plugin's name)."""
    name, _, option = spec.partition(":")
    if name not in SHOPPERS:
        name, option = spec, ""
    shopper = replace(env.shopper, name=name)
    if option:
        field_name = OPTIONS[name][0]
        group = "template" if name == "template" else "neural"
        shopper = replace(shopper, **{group: replace(getattr(shopper, group),
                                                     **{field_name: option})})
    return replace(env, shopper=shopper)


def own_spec(env: dict) -> str:
    sh = env["shopper"]
    if sh["name"] == "template" and sh["template"]["lexicon"] != "train":
        return f"template:{sh['template']['lexicon']}"
    return sh["name"]


@dataclass
class Args:
    suites: tyro.conf.Positional[list[Path]]
    """Suite output folders (each with summary.json; run with --eval-shoppers)."""
    out: Path = Path("results/suite/cross_shopper.md")


def cross_table(summaries: list[dict]) -> str:
    turns = {s["args"]["env"]["episode"]["max_turns"] for s in summaries}
    if len(turns) != 1:
        raise ValueError(f"the suites have different turn budgets {sorted(turns)}")
    last = turns.pop()
    specs = list(dict.fromkeys(
        [own_spec(s["args"]["env"]) for s in summaries]
        + [x for s in summaries for x in s["args"].get("eval_shoppers", [])]))
    head = ["agent", "trained with"] + [f"eval {x}: R@10 t{last}" for x in specs] + ["seeds"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * len(specs) + "---|"]
    for s in summaries:
        own = own_spec(s["args"]["env"])
        for agent, r in s["results"].items():
            if "-C" in agent or "seeds" not in r or not r.get("cross"):
                continue
            metrics = {own: r["metrics"]["per_turn"], **{
                x: c["per_turn"] for x, c in r["cross"].items()}}
            base = metrics[own]["recall@10"]["mean"][-1]
            cells = [agent, own]
            for x in specs:
                m = metrics.get(x)
                if m is None:
                    cells.append("")
                    continue
                cell = ci_cell(m["recall@10"], last)
                if x != own and base > 0:
                    cell += f" ({(m['recall@10']['mean'][-1] - base) / base:+.0%})"
                cells.append(cell)
            lines.append("| " + " | ".join(cells + [str(len(r["seeds"]))]) + " |")
    steps = {" + ".join(map(str, s["args"]["steps"])) + f" x {s['args']['batch']}"
             for s in summaries}
    return "\n".join(lines) + (
        f"\n\nR@10 at turn {last} on the test protocol (%, 95% bootstrap CI), in brackets the "
        f"change relative to the agent's own shopper; training budget {', '.join(steps)}.\n")


def main(args: Args) -> str:
    summaries = [read_json(p / "summary.json") for p in args.suites]
    text = cross_table(summaries)
    atomic_write_text(args.out, text)
    print(text)
    return text


if __name__ == "__main__":
    main(tyro.cli(Args))
