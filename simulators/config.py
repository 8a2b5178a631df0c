"""`ShopperConfig`: which shopper answers, with each shopper's settings — the settings alone.

`dialog_env.config.EnvConfig` holds one; this module imports only the shoppers' settings
modules (`simulators.<shopper>.config`), never a shopper itself, so building a
configuration loads no shopper. Building a shopper from one is `simulators.registry`'s
(`make_shopper`), which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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
