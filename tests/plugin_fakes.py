"""A folder on `sys.path` for plugin tests: modules written into it, and installed packages
faked there as `<name>.dist-info/` folders (METADATA + entry_points.txt, what pip writes),
which `importlib.metadata.entry_points` finds like any installed distribution."""

from __future__ import annotations

import contextlib
import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest


class PluginFolder:
    def __init__(self, path: Path):
        self.path = path
        self.modules: list[str] = []

    def module(self, name: str, source: str) -> Path:
        """Write the module `name` (dotted: packages are made) with `source`."""
        *packages, leaf = name.split(".")
        folder = self.path
        for p in packages:
            folder = folder / p
            folder.mkdir(exist_ok=True)
            (folder / "__init__.py").touch()
        file = folder / f"{leaf}.py"
        file.write_text(textwrap.dedent(source))
        self.modules.append(name)
        importlib.invalidate_caches()
        return file

    def distribution(self, name: str, entry_points: dict[str, dict[str, str]],
                     version: str = "1.0") -> Path:
        """Fake the installed distribution `name` declaring `entry_points` (group -> entry
        name -> "module:attr")."""
        info = self.path / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
        (info / "entry_points.txt").write_text("".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
            for group, eps in entry_points.items()))
        importlib.invalidate_caches()
        return info


@contextlib.contextmanager
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginFolder]:
    """A fresh folder first on `sys.path`; the modules imported from it are forgotten
    afterwards (so another test's module of the same name is imported anew)."""
    path = tmp_path / "plugins"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    folder = PluginFolder(path)
    try:
        yield folder
    finally:
        for name in list(sys.modules):
            if any(name == m or name.startswith(m + ".") or m.startswith(name + ".")
                   for m in folder.modules):
                file = getattr(sys.modules[name], "__file__", None) or ""
                if file.startswith(str(path)):
                    del sys.modules[name]
        importlib.invalidate_caches()
