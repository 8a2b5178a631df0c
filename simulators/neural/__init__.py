"""The neural shopper: Fashion IQ's relative captioner (user simulator, Figure 9).

    config.py      NeuralConfig: variant (#1 image, #2 attribute, #3 attention), sizes,
                   training steps, decoding
    model.py       Captioner: the three variants, teacher-forced loss, batched decoding
    decode.py      greedy, beam search and sampling over any step function
    data.py        training data: caption pairs from a given caption source
                   (`captioning_pairs`; the sources: `simulators.caption_sources`)
    checkpoint.py  safetensors weights + JSON record; loading with checks
    train.py       training, and the first-use captioner of a catalog (cached)
    shopper.py     NeuralShopper / NeuralDialogs: the shopper contract

    env = gym.make("FashionDialog-v0", shopper="neural")

torch is imported only when the shopper or the model is used: `NeuralConfig` (which the
shoppers' settings, `simulators.config`, import) needs no torch.
"""

from simulators.neural.config import DECODINGS, VARIANT_LABELS, VARIANTS, NeuralConfig

__all__ = ["DECODINGS", "VARIANTS", "VARIANT_LABELS", "NeuralConfig", "NeuralDialogs",
           "NeuralShopper"]


def __getattr__(name: str):
    if name in ("NeuralShopper", "NeuralDialogs"):
        from simulators.neural import shopper

        return getattr(shopper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
