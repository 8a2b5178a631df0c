"""dialog_env.plugins: factories named `module.path:factory` or by an installed package's
entry point, and what is said when a name does not lead to one."""

from __future__ import annotations

import pytest

from dialog_env.plugins import entry_point_names, load_entry_point, load_factory, load_path
from tests.plugin_fakes import plugin_folder

GROUP = "fashion_dialog.test_things"


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    with plugin_folder(tmp_path, monkeypatch) as folder:
        yield folder


MODULE = """
    def make(*args):
        return ("made", args)

    class Maker:
        @staticmethod
        def build():
            return "built"

    NOT_CALLABLE = 3
"""


def test_a_module_path_names_its_factory_and_a_nested_attribute(plugins):
    plugins.module("pkg_things.makers", MODULE)
    assert load_path("pkg_things.makers:make", "thing")(1, 2) == ("made", (1, 2))
    assert load_path("pkg_things.makers:Maker.build", "thing")() == "built"
    assert load_factory("pkg_things.makers:make", GROUP, "thing")() == ("made", ())


def test_a_plain_name_that_no_package_declares_is_no_factory(plugins):
    assert load_factory("nobody", GROUP, "thing") is None


@pytest.mark.parametrize("spec, error, said", [
    ("no_such_module_xyz:make", ValueError, "thing 'no_such_module_xyz:make': no module "
                                            "named 'no_such_module_xyz'"),
    ("no_such_pkg_xyz.sub:make", ValueError, "no module named 'no_such_pkg_xyz.sub' "
                                             "\\('no_such_pkg_xyz' is not importable\\)"),
    ("good_things:missing", ValueError, r"good_things has no attribute 'missing'; its public "
                                        r"callables: \['Maker', 'make'\]"),
    ("good_things:Maker.nope", ValueError, "good_things.Maker has no attribute 'nope'"),
    ("good_things:NOT_CALLABLE", TypeError, "thing 'good_things:NOT_CALLABLE' is a int, not "
                                            "a callable factory"),
    ("good_things:", ValueError, "a factory is named 'module.path:factory'"),
    (":make", ValueError, "a factory is named 'module.path:factory'"),
    ("good_things:make:again", ValueError, "a factory is named 'module.path:factory'"),
    ("needs_missing:make", ImportError, "thing 'needs_missing:make': importing module "
                                        "'needs_missing' failed: ModuleNotFoundError: No "
                                        "module named 'missing_dependency_xyz'"),
    ("raises_on_import:make", ImportError, "importing module 'raises_on_import' failed: "
                                           "RuntimeError: no GPU here"),
])
def test_what_is_wrong_with_a_module_path_is_said(plugins, spec, error, said):
    plugins.module("good_things", MODULE)
    plugins.module("needs_missing", "import missing_dependency_xyz\n")
    plugins.module("raises_on_import", "raise RuntimeError('no GPU here')\n")
    with pytest.raises(error, match=said):
        load_path(spec, "thing")


def test_an_installed_package_s_entry_point_is_found_when_looked_up(plugins):
    assert entry_point_names(GROUP) == []
    plugins.module("their_things", MODULE)
    plugins.distribution("their-things", {GROUP: {"theirs": "their_things:make",
                                                  "nested": "their_things:Maker.build"}})
    assert entry_point_names(GROUP) == ["nested", "theirs"]
    assert load_entry_point(GROUP, "theirs", "thing")(5) == ("made", (5,))
    assert load_factory("nested", GROUP, "thing")() == "built"
    assert load_entry_point(GROUP, "other", "thing") is None
    assert load_entry_point("fashion_dialog.other_group", "theirs", "thing") is None


def test_entry_point_errors_name_the_package(plugins):
    plugins.module("their_things", MODULE)
    plugins.distribution("their-things", {GROUP: {"broken": "their_things:missing",
                                                  "shared": "their_things:make",
                                                  "number": "their_things:NOT_CALLABLE"}})
    plugins.distribution("rival-things", {GROUP: {"shared": "their_things:Maker.build"}})
    with pytest.raises(ImportError, match="thing 'broken': the entry point broken = "
                                          "'their_things:missing' .*package 'their-things'"
                                          ".* failed to load: AttributeError"):
        load_entry_point(GROUP, "broken", "thing")
    with pytest.raises(ValueError, match="thing 'shared' is declared by more than one "
                                         "installed package") as e:
        load_factory("shared", GROUP, "thing")
    assert "package 'their-things'" in str(e.value) and "package 'rival-things'" in str(e.value)
    with pytest.raises(TypeError, match="of package 'their-things'\\) is a int, not a "
                                        "callable factory"):
        load_entry_point(GROUP, "number", "thing")
