"""The template shopper: an attribute-aware relative captioner (see `core`)."""

from simulators.template.config import DEFAULT_SALIENCE, MODES, TemplateConfig
from simulators.template.core import N_UNIFORMS, SimulatorWorld, TemplateSimulator
from simulators.template.shopper import TemplateDialogs, TemplateShopper

__all__ = ["DEFAULT_SALIENCE", "MODES", "N_UNIFORMS", "SimulatorWorld", "TemplateConfig",
           "TemplateDialogs", "TemplateShopper", "TemplateSimulator"]
