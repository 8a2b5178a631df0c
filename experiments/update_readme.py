"""Paste generated result files into README.md.

Each block `<!-- BEGIN GENERATED: path -->` ... `<!-- END GENERATED -->` in the README is
replaced by the current content of `path` (a markdown file written by an experiment
script), so the README's tables are never typed by hand. Paths are relative to the working
directory.

    python -m experiments.update_readme
    python -m experiments.update_readme --readme docs/README.md
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tyro

from dialog_env.cache import atomic_write_text

# The command that writes each generated file, named when a block's file is missing.
PRODUCERS = {
    "results/attrnet/table.md": "python -m experiments.attrnet_report",
    "results/calibration/candidates.md": "python -m experiments.calibrate",
    "results/bench/bench_catalog.md": "python -m experiments.bench_catalog",
    "results/bench/bench_env.md": "python -m experiments.bench_env",
    "results/demo/catalog.md": "python -m experiments.demo",
    "results/demo/summary.md": "python -m experiments.demo",
    "results/simulator/report.md": "python -m experiments.simulator_report",
    "results/suite/summary.md": "python -m experiments.suite",
    "results/suite-template/perception.md": "python -m experiments.perception_table",
    "results/suite/cross_shopper.md": "python -m experiments.cross_shopper",
    "results/grounding/coverage.md": "python -m experiments.grounding_report",
    "results/captioner/table.md": "python -m experiments.captioner_report",
    "results/static/embedded/table.md": "python -m experiments.evaluate_static",
    "results/static/embedded/history.md": "python -m experiments.evaluate_static",
}

BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (?P<path>[^ ]+) -->\n)(?P<body>.*?)"
                   r"(<!-- END GENERATED -->)", re.S)


@dataclass
class Args:
    """Refresh the generated blocks of a README."""

    readme: Path = Path("README.md")
    """The README whose generated blocks are refreshed (rewritten in place)."""


def update(readme: Path = Path("README.md")) -> list[str]:
    if not readme.is_file():
        raise FileNotFoundError(f"--readme {readme}: no such file")
    text = readme.read_text()
    used: list[str] = []

    def fill(m: re.Match) -> str:
        path = Path(m.group("path"))
        if not path.exists():
            run = PRODUCERS.get(path.as_posix(), "the script that writes it")
            raise FileNotFoundError(f"README block needs {path}; run {run}")
        used.append(str(path))
        return m.group(1) + path.read_text().rstrip("\n") + "\n" + m.group(4)

    atomic_write_text(readme, BLOCK.sub(fill, text))
    return used


if __name__ == "__main__":
    for p in update(tyro.cli(Args).readme):
        print("pasted", p)
