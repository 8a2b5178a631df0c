"""The documentation's runnable examples: a block between `<!-- BEGIN EXAMPLE: name -->` and
`<!-- END EXAMPLE -->` in README.md or any page under docs/ (each name once in all)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def doc_pages() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def doc_example(name: str, lang: str = "python") -> str:
    """The code of the example `name` (found in exactly one documentation page)."""
    pattern = re.compile(rf"<!-- BEGIN EXAMPLE: {re.escape(name)} -->\n```{lang}\n(.*?)```\n"
                         rf"<!-- END EXAMPLE -->", re.S)
    found = [(p, m.group(1)) for p in doc_pages() if p.exists()
             for m in pattern.finditer(p.read_text())]
    assert found, f"documentation example {name!r} not found in README.md or docs/"
    where = [str(p) for p, _ in found]
    assert len(found) == 1, f"example {name!r} appears {len(found)} times: {where}"
    return found[0][1]


def run_example(name: str, scope: dict | None = None) -> dict:
    """Execute the example `name` and return its global scope."""
    scope = {} if scope is None else scope
    exec(compile(doc_example(name), f"<doc example {name}>", "exec"), scope)
    return scope
