"""What importing a piece of the environment loads: the configuration no shopper (only the
shoppers' settings), the world not the factory that builds it. Each check runs in a fresh
interpreter, where nothing is imported yet."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOPPER_PACKAGES = {"simulators.template", "simulators.real", "simulators.neural"}
# The contract and the settings: what a configuration may load of `simulators`.
SETTINGS = {"simulators.base", "simulators.config"} | {f"{p}.config" for p in SHOPPER_PACKAGES}


def loaded_after(statement: str, prefix: str) -> list[str]:
    """The modules under `prefix` that a fresh interpreter holds after `statement`."""
    code = (f"import sys; {statement}; "
            f"print(sorted(m for m in sys.modules if m.startswith({prefix!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_the_configuration_loads_the_shoppers_settings_and_no_shopper():
    loaded = set(loaded_after("import dialog_env.config", "simulators."))
    # The shopper packages themselves load as the parents of their settings modules; their
    # `__init__` holds the settings names and loads the shopper on first use of one.
    implementation = loaded - SETTINGS - SHOPPER_PACKAGES
    assert not implementation, f"importing EnvConfig loads {sorted(implementation)}"
    assert {f"{p}.config" for p in SHOPPER_PACKAGES} <= loaded


def test_the_world_loads_no_factory_and_no_shopper():
    loaded = set(loaded_after("import dialog_env.world", ""))
    assert "dialog_env.factory" not in loaded
    assert not {m for m in loaded if m.startswith("simulators.")} - SETTINGS - SHOPPER_PACKAGES


def test_the_shopper_packages_still_give_their_shoppers():
    from simulators.neural import NeuralConfig
    from simulators.neural.data import captioning_pairs
    from simulators.real import real_vocabulary
    from simulators.template import (
        N_UNIFORMS,
        TemplateConfig,
        TemplateDialogs,
        TemplateShopper,
        TemplateSimulator,
    )
    from simulators.template.layout import U
    from simulators.template.shopper import TemplateShopper as Shopper

    assert TemplateShopper is Shopper and N_UNIFORMS == U.width
    assert TemplateDialogs.__name__ == "TemplateDialogs" and callable(TemplateSimulator)
    assert TemplateConfig().lexicon == "train" and NeuralConfig().variant == "attention"
    assert callable(captioning_pairs) and callable(real_vocabulary)
    import simulators.template as template

    assert set(template.__all__) <= set(dir(template)) | set(template._LAZY)
    try:
        template.NoSuchName  # noqa: B018
    except AttributeError as e:
        assert "has no attribute 'NoSuchName'" in str(e)
    else:
        raise AssertionError("an unknown name was found")


def test_the_registry_still_holds_the_settings():
    import simulators.config
    import simulators.registry

    for name in ("ShopperConfig", "SEES", "with_template"):
        assert getattr(simulators.registry, name) is getattr(simulators.config, name)
