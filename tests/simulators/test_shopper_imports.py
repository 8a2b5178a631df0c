"""Each shopper depends on the contract and the shared language tools, not on its siblings:
no module of a shopper package imports another shopper package (read from the source with
`ast`, every import statement, those inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIMULATORS = Path(__file__).resolve().parents[2] / "simulators"
SHOPPERS = {"template": "simulators.template", "real": "simulators.real",
            "neural": "simulators.neural", "replay": "simulators.replay"}
# The generic language tools and the contract: they know no shopper.
SHARED = ("base.py", "modes.py", "vocab.py", "lexicon.py", "grounding.py",
          "grounding_lexicon.py", "tags.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(SIMULATORS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports (`from a import b` counts `a` and `a.b`)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def files(shopper: str) -> list[Path]:
    root = SIMULATORS / shopper
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


def foreign(path: Path, own: str) -> list[str]:
    others = [p for s, p in SHOPPERS.items() if p != own]
    return sorted(m for m in imported(path)
                  if any(m == p or m.startswith(p + ".") for p in others))


@pytest.mark.parametrize("shopper", ["template", "real", "neural", "replay"])
def test_no_shopper_package_imports_another(shopper):
    found = {str(p.relative_to(SIMULATORS)): bad for p in files(shopper)
             if (bad := foreign(p, SHOPPERS[shopper]))}
    assert files(shopper) and not found, f"{shopper} imports its siblings: {found}"


def test_the_shared_language_tools_import_no_shopper():
    found = {name: bad for name in SHARED if (bad := foreign(SIMULATORS / name, ""))}
    assert not found, found


def test_the_generic_vocabulary_knows_no_word_list():
    assert not {m for m in imported(SIMULATORS / "vocab.py") if m.startswith("simulators")}


def test_the_walker_sees_imports_inside_functions():
    # `simulators.caption_sources` (shared wiring, no shopper package) imports the real and
    # template shoppers inside its functions.
    seen = set(foreign(SIMULATORS / "caption_sources.py", ""))
    assert {"simulators.real.shopper", "simulators.template", "simulators.neural.data"} <= seen
