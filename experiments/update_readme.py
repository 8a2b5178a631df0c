"""Paste generated result files into README.md and the documentation pages under docs/.

Each block `<!-- BEGIN GENERATED: path -->` ... `<!-- END GENERATED -->` in a page is
replaced by the current content of `path` (a markdown file written by an experiment
script), so the documentation's tables are never typed by hand. The pages are README.md
and every `docs/*.md` (not the pages in folders under docs/, such as docs/_pending/).
Paths are relative to the working directory.

    python -m experiments.update_readme                          # README.md + docs/*.md
    python -m experiments.update_readme --only results/suite/summary.md   # one block
    python -m experiments.update_readme --readme docs/README.md  # one page

A script that has just written one table refreshes its block wherever the block is:
`update(only=["results/x/table.md"])`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    """Refresh the generated blocks of README.md and the docs/ pages."""

    readme: Path | None = None
    """Refresh this one page only (rewritten in place); by default README.md and every
    docs/*.md page."""
    only: tuple[str, ...] = ()
    """Refresh only the blocks of these generated files (e.g. results/suite/summary.md),
    in whichever pages hold them; by default every block."""


def doc_pages(root: Path = Path(".")) -> list[Path]:
    """README.md and every Markdown page directly under docs/ (sorted)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks(text: str) -> list[str]:
    """The generated files named by the blocks of a page, in order."""
    return [m.group("path") for m in BLOCK.finditer(text)]


def fill(page: Path, text: str, only: Sequence[str] = ()) -> tuple[str, list[str]]:
    """`text` (of `page`) with its blocks refreshed (those of `only`, when given) and the
    generated files pasted; a block whose file is missing names the script that writes it."""
    keep = {Path(p).as_posix() for p in only}
    used: list[str] = []

    def paste(m: re.Match) -> str:
        path = Path(m.group("path"))
        if keep and path.as_posix() not in keep:
            return m.group(0)
        if not path.exists():
            run = PRODUCERS.get(path.as_posix(), "the script that writes it")
            raise FileNotFoundError(f"{page} block needs {path}; run {run}")
        used.append(str(path))
        return m.group(1) + path.read_text().rstrip("\n") + "\n" + m.group(4)

    return BLOCK.sub(paste, text), used


def update(readme: Path | None = None, only: Sequence[str | Path] = ()) -> list[str]:
    """Refresh the generated blocks of `readme`, or of README.md and every docs/*.md page;
    with `only`, just the blocks of those files, wherever they are. Every page is filled
    before any is written, so a missing file leaves all pages as they were. Returns the
    generated files pasted, in page order."""
    if readme is not None and not readme.is_file():
        raise FileNotFoundError(f"--readme {readme}: no such file")
    pages = [readme] if readme is not None else doc_pages()
    if not pages[0].is_file():
        raise FileNotFoundError(f"{pages[0]}: no such file (run from the repository root)")
    wanted = [Path(p).as_posix() for p in only]
    texts = {page: page.read_text() for page in pages}
    present = {Path(p).as_posix() for text in texts.values() for p in blocks(text)}
    if missing := [p for p in wanted if p not in present]:
        where = ", ".join(str(p) for p in pages)
        raise ValueError(f"--only: no generated block for {', '.join(missing)} in {where}")
    new, used = {}, []
    for page, text in texts.items():
        new[page], pasted = fill(page, text, wanted)
        used += pasted
    for page, text in new.items():
        if text != texts[page]:
            atomic_write_text(page, text)
    return used


if __name__ == "__main__":
    args = tyro.cli(Args)
    for p in update(args.readme, args.only):
        print("pasted", p)
