"""The version of the `fashion-dialog` distribution, recorded in every results file.

`importlib.metadata` gives the installed distribution's version (`pip install -e .` included).
Run from a source checkout that was never installed, it is read from the checkout's
`pyproject.toml`; failing both it is `0+unknown` (a valid PEP 440 local version), never an
exception at import time. An editable install reports the version it was installed with: after
changing `[project].version`, reinstall to refresh it.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "fashion-dialog"
UNKNOWN = "0+unknown"


def _from_pyproject(path: Path) -> str | None:
    """`[project].version` of `path` when it describes this distribution, else None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # Python 3.10: the two keys this needs, by pattern
        section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        body = section.group(1) if section else ""
        name = re.search(r'^name\s*=\s*"([^"]+)"', body, re.M)
        version = re.search(r'^version\s*=\s*"([^"]+)"', body, re.M)
        project = {"name": name and name.group(1), "version": version and version.group(1)}
    else:
        try:
            project = tomllib.loads(text).get("project", {})
        except tomllib.TOMLDecodeError:
            return None
    if project.get("name") != DISTRIBUTION or not isinstance(project.get("version"), str):
        return None
    return project["version"]


def package_version(pyproject: Path | None = None) -> str:
    """The installed distribution's version, else the source checkout's, else `0+unknown`."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    path = pyproject or Path(__file__).resolve().parents[1] / "pyproject.toml"
    return _from_pyproject(path) or UNKNOWN


__version__ = package_version()
