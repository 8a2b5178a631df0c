"""Shoppers by name: `ShopperConfig` (which shopper, with its settings) and the registry
that builds one for a catalog.

    from simulators.registry import register_shopper
    register_shopper("one-attribute", lambda catalog, config: OneAttributeShopper(catalog))
    env = gym.make("FashionDialog-v0", shopper="one-attribute")

A name is, in this order: a registered shopper (`SHOPPERS`, `register_shopper`); one an
installed package declares in the entry-point group `fashion_dialog.shoppers`; or
`module.path:factory` (imported; what a script's `--env.shopper.name` takes for a shopper
of your own). Every factory is `factory(catalog, config: ShopperConfig) -> Shopper`.
`gym.make(..., shopper=...)` also takes a `Shopper` instance directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dialog_env.catalog.catalog import Catalog
from dialog_env.plugins import resolve_factory
from simulators.base import Shopper, check_shopper
from simulators.neural.config import NeuralConfig
from simulators.real.config import RealConfig
from simulators.template.config import TemplateConfig

SEES = ("ground_truth", "predictions")


@dataclass(frozen=True)
class ShopperConfig:
    """Which shopper answers, and the settings of each kind of shopper."""

    name: str = "real"
    """A registered shopper (`simulators.registry.SHOPPERS`): real (default: people's
    Fashion IQ / Shoes captions re-grounded onto each pair; chosen by
    experiments.simulator_report), template (attribute-aware templates), neural (Fashion
    IQ's relative captioner over AttrNet features); a name an installed package declares
    (entry-point group fashion_dialog.shoppers); or module.path:factory, a factory
    `factory(catalog, config) -> Shopper` of your own (importable from PYTHONPATH)."""
    template: TemplateConfig = field(default_factory=TemplateConfig)
    """The template shopper's lexicon, mode shares and noise rates."""
    real: RealConfig = field(default_factory=RealConfig)
    """The real-language shopper's template choice (people's captions re-grounded)."""
    sees: str = "ground_truth"
    """What the shopper perceives of an item: ground_truth (a person sees the real item) or
    predictions (the world's attribute network's predictions, as in Fashion IQ's simulator;
    needs perception attrnet)."""
    neural: NeuralConfig = field(default_factory=NeuralConfig)
    """The neural shopper's relative captioner (Fashion IQ's user simulator over the
    world's AttrNet features): variant, sizes, first-use training, decoding, checkpoint."""

    def __post_init__(self) -> None:
        if self.sees not in SEES:
            raise ValueError(f"unknown shopper.sees {self.sees!r}; expected one of {SEES}")


ShopperFactory = Callable[[Catalog, ShopperConfig], Shopper]


def _template(catalog: Catalog, config: ShopperConfig) -> Shopper:
    from simulators.template import TemplateShopper

    return TemplateShopper(catalog, config.template)


def _neural(catalog: Catalog, config: ShopperConfig) -> Shopper:
    if len(catalog.vocab) == 0:
        raise ValueError(f"the neural shopper reads AttrNet's attribute predictions, and "
                         f"catalog {catalog.name!r} has no attribute values (Shoes has no "
                         f"attribute tags)")
    if config.sees != "ground_truth":
        raise ValueError("the neural shopper always perceives items through AttrNet (its "
                         "features); shopper.sees applies to label-reading shoppers, leave "
                         "it 'ground_truth'")
    from simulators.neural.shopper import NeuralShopper

    return NeuralShopper(catalog, config.neural)


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
    """Make `factory(catalog, config)` available as `shopper=name`."""
    if not name or not isinstance(name, str):
        raise ValueError(f"a shopper name must be a non-empty string, got {name!r}")
    SHOPPERS[name] = factory


def with_template(config: ShopperConfig, template: TemplateConfig | dict | None = None,
                  lexicon: str | None = None) -> ShopperConfig:
    """`config` with the template shopper's settings replaced (a `TemplateConfig` or a dict
    of its fields) and/or its lexicon."""
    if template is not None:
        if isinstance(template, dict):
            template = TemplateConfig(**template)
        elif not isinstance(template, TemplateConfig):
            raise TypeError(f"template settings must be a TemplateConfig or a dict, got "
                            f"{type(template).__name__}")
        config = replace(config, template=template)
    if lexicon is not None:
        config = replace(config, template=replace(config.template, lexicon=lexicon))
    return config


def shopper_factory(name: str) -> ShopperFactory:
    """The factory of shopper `name`: registered, declared by an installed package (entry
    points are read here, on the lookup of a name that is not registered) or
    `module.path:factory`. Raises `ValueError` for a name that is none of these."""
    return resolve_factory(name, dict(sorted(SHOPPERS.items())), SHOPPER_GROUP, "shopper",
                           "registered")


def make_shopper(catalog: Catalog, config: ShopperConfig) -> Shopper:
    """The shopper `config.name` (see `shopper_factory`) for `catalog`."""
    shopper = shopper_factory(config.name)(catalog, config)
    try:
        return check_shopper(shopper)
    except TypeError as e:
        raise TypeError(f"shopper {config.name!r}, what its factory returned: {e}") from None
