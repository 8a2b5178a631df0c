"""Paste generated result files into README.md.

Each block `<!-- BEGIN GENERATED: path -->` ... `<!-- END GENERATED -->` in README.md is
replaced by the current content of `path` (a markdown file written by an experiment
script), so the README's tables are never typed by hand.

    python -m experiments.update_readme
"""

from __future__ import annotations

import re
from pathlib import Path

from dialog_env.cache import atomic_write_text

BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (?P<path>[^ ]+) -->\n)(?P<body>.*?)"
                   r"(<!-- END GENERATED -->)", re.S)


def update(readme: Path = Path("README.md")) -> list[str]:
    text = readme.read_text()
    used: list[str] = []

    def fill(m: re.Match) -> str:
        path = Path(m.group("path"))
        if not path.exists():
            raise FileNotFoundError(f"README block needs {path}; run the script that writes it")
        used.append(str(path))
        return m.group(1) + path.read_text().rstrip("\n") + "\n" + m.group(4)

    atomic_write_text(readme, BLOCK.sub(fill, text))
    return used


if __name__ == "__main__":
    for p in update():
        print("pasted", p)
