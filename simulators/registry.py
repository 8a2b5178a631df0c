"""Shoppers by name: the registry that builds the shopper a `ShopperConfig` names (which
shopper, with its settings: `simulators.config`, re-exported here) for a catalog.

    from simulators.registry import register_shopper
    register_shopper("one-attribute", lambda catalog, config: OneAttributeShopper(catalog))
    env = gym.make("FashionDialog-v0", shopper="one-attribute")

A name is, in this order: a registered shopper (`SHOPPERS`, `register_shopper`); one an
installed package declares in the entry-point group `fashion_dialog.shoppers`; or
`module.path:factory` (imported; what a script's `--env.shopper.name` takes for a shopper
of your own). Every factory is `factory(catalog, config: ShopperConfig) -> Shopper`; one
that declares a parameter named `space` is also given the world's item space
(`dialog_env.item_space.ItemSpace`: its visual features and attribute vectors) as `space=`.
`gym.make(..., shopper=...)` also takes a `Shopper` instance directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dialog_env.catalog.catalog import Catalog
from dialog_env.plugins import resolve_factory
from simulators.base import Shopper, check_shopper
from simulators.config import SEES, ShopperConfig, with_template

if TYPE_CHECKING:
    from dialog_env.item_space import ItemSpace

__all__ = ["SEES", "SHOPPERS", "SHOPPER_GROUP", "ShopperConfig", "ShopperFactory",
           "make_shopper", "register_shopper", "shopper_factory", "with_template"]

ShopperFactory = Callable[[Catalog, ShopperConfig], Shopper]


def _template(catalog: Catalog, config: ShopperConfig) -> Shopper:
    from simulators.template import TemplateShopper

    return TemplateShopper(catalog, config.template)


def _neural(catalog: Catalog, config: ShopperConfig, space: ItemSpace | None = None
            ) -> Shopper:
    if len(catalog.vocab) == 0:
        raise ValueError(f"the neural shopper reads AttrNet's attribute predictions, and "
                         f"catalog {catalog.name!r} has no attribute values (Shoes has no "
                         f"attribute tags)")
    if config.sees != "ground_truth":
        raise ValueError("the neural shopper always perceives items through AttrNet (its "
                         "features); shopper.sees applies to label-reading shoppers, leave "
                         "it 'ground_truth'")
    from simulators.neural.shopper import NeuralShopper

    return NeuralShopper(catalog, config.neural, space=space)


def _real(catalog: Catalog, config: ShopperConfig) -> Shopper:
    from simulators.real.shopper import RealShopper
    from simulators.tags import follows_schema

    if not follows_schema(catalog.vocab):
        raise ValueError(
            f"the real shopper speaks the embedded catalog's attribute schema (people's "
            f"captions re-grounded onto its slots) and cannot describe catalog "
            f"{catalog.name!r}, whose attributes are dataset tags; use shopper='template' "
            f"(it speaks from the tags) or 'neural' (it learns the template's captions)")

    return RealShopper(catalog, config.real)


SHOPPERS: dict[str, ShopperFactory] = {"template": _template, "real": _real}
SHOPPERS["neural"] = _neural
SHOPPER_GROUP = "fashion_dialog.shoppers"
"""The entry-point group in which installed packages declare shoppers."""


def register_shopper(name: str, factory: ShopperFactory) -> None:
    """Make `factory(catalog, config)` available as `shopper=name` (a factory that declares
    a parameter `space` is also given the world's item space, as `space=`)."""
    if not name or not isinstance(name, str):
        raise ValueError(f"a shopper name must be a non-empty string, got {name!r}")
    SHOPPERS[name] = factory


def shopper_factory(name: str) -> ShopperFactory:
    """The factory of shopper `name`: registered, declared by an installed package (entry
    points are read here, on the lookup of a name that is not registered) or
    `module.path:factory`. Raises `ValueError` for a name that is none of these."""
    return resolve_factory(name, dict(sorted(SHOPPERS.items())), SHOPPER_GROUP, "shopper",
                           "registered")


def takes_space(factory: Callable[..., Any]) -> bool:
    """Whether `factory` declares a parameter named `space` (passed by keyword): a factory
    of two parameters `(catalog, config)` is called with those two only."""
    try:
        parameter = inspect.signature(factory).parameters.get("space")
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return False
    return parameter is not None and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD,
                                                        parameter.KEYWORD_ONLY)


def make_shopper(catalog: Catalog, config: ShopperConfig, space: ItemSpace | None = None
                 ) -> Shopper:
    """The shopper `config.name` (see `shopper_factory`) for `catalog`. `space`: the world's
    `dialog_env.item_space.ItemSpace` over `catalog` (None: no world's), passed as `space=`
    to a factory that declares a parameter `space` (the neural shopper reads its AttrNet
    features from it); any other factory is called as `factory(catalog, config)`."""
    factory = shopper_factory(config.name)
    if takes_space(factory):
        shopper = factory(catalog, config, space=space)
    else:
        shopper = factory(catalog, config)
    try:
        return check_shopper(shopper)
    except TypeError as e:
        raise TypeError(f"shopper {config.name!r}, what its factory returned: {e}") from None
