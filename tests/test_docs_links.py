"""The documentation holds together: README.md and the docs/*.md pages (the pages
`experiments.update_readme` fills) link only to files and headings that exist, the README
links every page, and the generated and example blocks are well formed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments.update_readme import PRODUCERS, blocks, doc_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = doc_pages(ROOT)

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
MARKER = re.compile(r"<!-- (BEGIN|END) (GENERATED|EXAMPLE)(?:: ([^ ]+))? -->")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans removed."""
    out, fenced = [], False
    for line in text.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())  # link text
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (repeats get -1, -2, ... as on GitHub)."""
    seen: dict[str, int] = {}
    out = set()
    text = page.read_text()
    fenced = False
    for line in text.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """Every relative link or image of `page` whose file (or heading) does not exist."""
    bad = []
    for line in prose_lines(page.read_text()):
        for target in LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...
                continue
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page.resolve()
            if not dest.exists() or root.resolve() not in (dest, *dest.parents):
                bad.append(f"{target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                bad.append(f"{target} (no heading #{anchor} in {dest.name})")
    return bad


def test_the_pages_exist():
    assert PAGES[0] == ROOT / "README.md" and PAGES[0].is_file()
    assert len(PAGES) > 1, "no docs/*.md pages"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    assert broken_links(page) == []


def test_the_link_check_finds_broken_links(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "fig.png").write_bytes(b"")
    (tmp_path / "README.md").write_text("# Top\n\n## `make demo` (small, 2-core CPU)\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# A page\n\n[ok](../README.md) [ok](../README.md#make-demo-small-2-core-cpu) "
        "![ok](../results/fig.png) [ok](#a-page) [web](https://example.org/x.md)\n"
        "[bad](README.md) ![bad](results/fig.png) [bad](../README.md#nowhere) [bad](#b)\n"
        "`[not a link](missing.md)`\n```\n[not a link](missing.md)\n```\n")
    assert broken_links(page, tmp_path) == [
        "README.md (no such file)", "results/fig.png (no such file)",
        "../README.md#nowhere (no heading #nowhere in README.md)",
        "#b (no heading #b in page.md)"]


def test_the_readme_links_every_docs_page():
    linked = {(ROOT / t.partition("#")[0]).resolve()
              for line in prose_lines(PAGES[0].read_text()) for t in LINK.findall(line)}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_blocks_open_and_close_in_pairs(page):
    """Every END marker closes the BEGIN marker of its kind just before it."""
    open_kind = None
    for m in MARKER.finditer(page.read_text()):
        edge, kind = m.group(1), m.group(2)
        if edge == "BEGIN":
            assert open_kind is None, f"{kind} block opened inside a {open_kind} block"
            assert m.group(3), f"BEGIN {kind} without a name"
            open_kind = kind
        else:
            assert open_kind == kind, f"END {kind} without its BEGIN ({m.group(0)})"
            open_kind = None
    assert open_kind is None, f"{open_kind} block never closed"


def test_every_generated_block_names_a_produced_file_and_every_table_is_shown():
    shown = [p for page in PAGES for p in blocks(page.read_text())]
    assert sorted(set(shown)) == sorted(PRODUCERS), "blocks and PRODUCERS disagree"
    assert len(shown) == len(set(shown)), "a generated file is pasted twice"
    assert [p for p in shown if not (ROOT / p).is_file()] == []
