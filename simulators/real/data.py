"""The shipped real-caption data (`data/captions.json.gz`, built by `simulators.real.build`)
and the vocabulary of the real-language shoppers.

The data is derived from the Fashion IQ captions (Wu et al., CVPR 2021; CDLA licence) and the
Shoes relative captions (Guo et al., NeurIPS 2018); see `data/NOTICE.md`.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

from simulators.lexicon import default_vocabulary
from simulators.vocab import Vocabulary

DATA = Path(__file__).parent / "data" / "captions.json.gz"
FOUND_TEXT = "is identical"  # what people write when the shown item is the one (Fashion IQ)


@lru_cache(maxsize=2)
def load_data(path: str | None = None) -> dict:
    """The templates and surface forms (cached per path)."""
    p = Path(path) if path else DATA
    if not p.exists():
        raise FileNotFoundError(f"real-caption data {p} is missing (build it with "
                                f"`python -m simulators.real.build`)")
    try:
        data = json.loads(gzip.decompress(p.read_bytes()))
    except (OSError, EOFError, json.JSONDecodeError) as e:
        raise ValueError(f"real-caption data {p} is damaged ({e}); rebuild it with "
                         f"`python -m simulators.real.build`") from e
    for key in ("templates", "forms"):
        if key not in data:
            raise ValueError(f"real-caption data {p} has no {key!r} field")
    return data


def data_words(data: dict) -> set[str]:
    words: set[str] = set(FOUND_TEXT.split())
    for rows in data["templates"].values():
        for text, _, _ in rows:
            words.update(w for w in text.split() if not w.startswith("{"))
    for forms in data["forms"].values():
        for phrases in forms.values():
            for phrase in phrases:
                words.update(phrase.split())
    return words


class ExtendedVocabulary(Vocabulary):
    """`base`'s words with their ids, then the new words in sorted order: token ids of the
    template shopper mean the same word here, so agents can meet both shoppers."""

    def __init__(self, base: Vocabulary, words):
        new = sorted(set(words) - set(base.words))
        self.words = tuple(base.words) + tuple(new)
        self._ids = {w: i for i, w in enumerate(self.words)}


@lru_cache(maxsize=1)
def real_vocabulary() -> Vocabulary:
    """The template shopper's vocabulary (same ids) extended with every word the
    real-language shoppers can say."""
    return ExtendedVocabulary(default_vocabulary(), data_words(load_data()))
