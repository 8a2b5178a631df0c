"""Factories named by the user: an installed package's entry point or `module.path:factory`.

The route Gymnasium's registry and pytest plugins use. A package declares its factories in
its `pyproject.toml`,

    [project.entry-points."fashion_dialog.shoppers"]
    one-attribute = "mypkg.shoppers:make"

and, once installed, `one-attribute` is a shopper name everywhere a name is taken (the same
for `fashion_dialog.agents`). Without installing anything, `mypkg.shoppers:make` (a module
importable from `sys.path` / `PYTHONPATH`, then an attribute, dotted for a nested one)
names the factory directly. Entry points are read when a name is looked up, never at
import time, so a package installed after the interpreter started is found.

`simulators.registry` (shoppers) and `agents.plugins` (agents) resolve their names here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from typing import Any


def entry_points(group: str) -> dict[str, list[importlib.metadata.EntryPoint]]:
    """The installed entry points of `group` by name (a name two packages declare has two)."""
    found: dict[str, list[importlib.metadata.EntryPoint]] = {}
    for ep in importlib.metadata.entry_points(group=group):
        if all(ep.value != other.value for other in found.get(ep.name, [])):
            found.setdefault(ep.name, []).append(ep)
    return found


def entry_point_names(group: str) -> list[str]:
    """The names the installed packages declare in `group`, sorted."""
    return sorted(entry_points(group))


def _provider(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"package {dist.name!r}" if dist is not None else "an installed package"


def load_entry_point(group: str, name: str, kind: str) -> Callable[..., Any] | None:
    """The object of the entry point `name` of `group` (None when no package declares it).
    `kind` (e.g. "shopper") words the errors."""
    eps = entry_points(group).get(name)
    if not eps:
        return None
    if len(eps) > 1:
        said = ", ".join(f"{ep.value!r} from {_provider(ep)}" for ep in eps)
        raise ValueError(f"{kind} {name!r} is declared by more than one installed package in "
                         f"entry-point group {group!r}: {said}; uninstall one, or name the "
                         f"factory itself as 'module.path:factory'")
    ep = eps[0]
    try:
        obj = ep.load()
    except Exception as e:
        raise ImportError(f"{kind} {name!r}: the entry point {ep.name} = {ep.value!r} "
                          f"(group {group!r}, {_provider(ep)}) failed to load: "
                          f"{type(e).__name__}: {e}") from e
    return _callable(obj, f"{kind} {name!r} (entry point {ep.value!r} of {_provider(ep)})")


def load_path(spec: str, kind: str) -> Callable[..., Any]:
    """The object `module.path:attribute` (the attribute may be dotted) names."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr or ":" in attr:
        raise ValueError(f"{kind} {spec!r}: a factory is named 'module.path:factory' (one "
                         f"colon, a module before it, an attribute after it)")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and (module_name == e.name
                                   or module_name.startswith(e.name + ".")):
            raise ValueError(f"{kind} {spec!r}: no module named {module_name!r} "
                             f"({e.name!r} is not importable); is its folder on sys.path / "
                             f"PYTHONPATH, or its package installed?") from e
        raise _import_failed(spec, kind, module_name, e) from e  # one of its imports
    except Exception as e:
        raise _import_failed(spec, kind, module_name, e) from e
    obj: Any = module
    for i, part in enumerate(attr.split(".")):
        if not hasattr(obj, part):
            where = ".".join([module_name, *attr.split(".")[:i]])
            public = sorted(n for n in dir(obj) if not n.startswith("_")
                            and callable(getattr(obj, n, None)))
            raise ValueError(f"{kind} {spec!r}: {where} has no attribute {part!r}; its "
                             f"public callables: {public}")
        obj = getattr(obj, part)
    return _callable(obj, f"{kind} {spec!r}")


def load_factory(name: str, group: str, kind: str) -> Callable[..., Any] | None:
    """The factory `name` names: an installed entry point of `group`, else, for a name with
    a colon, `module.path:factory`. None when it is neither."""
    found = load_entry_point(group, name, kind)
    if found is not None:
        return found
    if ":" in name:
        return load_path(name, kind)
    return None


def resolve_factory(name: str, known: dict[str, Callable[..., Any]], group: str, kind: str,
                    known_label: str, signature: str = "") -> Callable[..., Any]:
    """The factory of `kind` `name`: one of `known` (the project's own), else declared by an
    installed package under entry-point `group`, else `module.path:factory`; `ValueError`
    listing all three for a name that is none of these."""
    if name in known:
        return known[name]
    factory = load_factory(name, group, kind)
    if factory is None:
        raise ValueError(f"unknown {kind} {name!r}; {known_label}: {list(known)}; "
                         f"installed plugins (entry-point group {group!r}): "
                         f"{entry_point_names(group)}; or name a factory of your own as "
                         f"'module.path:factory'{signature}")
    return factory


def _import_failed(spec: str, kind: str, module_name: str, e: Exception) -> ImportError:
    return ImportError(f"{kind} {spec!r}: importing module {module_name!r} failed: "
                       f"{type(e).__name__}: {e}")


def _callable(obj: Any, what: str) -> Callable[..., Any]:
    if not callable(obj):
        raise TypeError(f"{what} is a {type(obj).__name__}, not a callable factory")
    return obj
