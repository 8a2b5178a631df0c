"""dialog_env.__version__: the installed distribution's version, else the checkout's."""

from __future__ import annotations

from importlib import metadata

import dialog_env
from dialog_env import version


def test_version_is_the_installed_distributions():
    try:
        installed = metadata.version("fashion-dialog")
    except metadata.PackageNotFoundError:
        installed = version.package_version()
    assert dialog_env.__version__ == installed
    assert dialog_env.__version__ != version.UNKNOWN


def _not_installed(name: str) -> str:
    raise metadata.PackageNotFoundError(name)


def test_without_an_install_the_checkouts_pyproject_is_read(monkeypatch, tmp_path):
    monkeypatch.setattr(version.metadata, "version", _not_installed)
    ours = tmp_path / "pyproject.toml"
    ours.write_text('[build-system]\nrequires = []\n\n[project]\nname = "fashion-dialog"\n'
                    'version = "9.8.7rc1"\n\n[tool.x]\nversion = "1.0"\n')
    assert version.package_version(ours) == "9.8.7rc1"
    other = tmp_path / "other.toml"
    other.write_text('[project]\nname = "something-else"\nversion = "2.0"\n')
    assert version.package_version(other) == version.UNKNOWN
    assert version.package_version(tmp_path / "missing.toml") == version.UNKNOWN
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\nname = ")
    assert version.package_version(broken) == version.UNKNOWN


def test_the_python_310_pattern_reader_agrees_with_tomllib(monkeypatch, tmp_path):
    import builtins

    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "fashion-dialog"\nversion = "0.3.1"\n'
                    '[project.optional-dependencies]\ndev = []\n')
    real_import = builtins.__import__

    def no_tomllib(name, *args, **kwargs):
        if name == "tomllib":
            raise ModuleNotFoundError("No module named 'tomllib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(version.metadata, "version", _not_installed)
    assert version.package_version(path) == "0.3.1"
    monkeypatch.setattr(builtins, "__import__", no_tomllib)
    assert version.package_version(path) == "0.3.1"
