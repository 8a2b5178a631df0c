"""A fixed word vocabulary; turns captions into token ids. Generic: which words a shopper
speaks is the shopper's (the default list of the lexicons' words is
`simulators.lexicon.default_vocabulary`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

PAD, UNK = 0, 1
_TOKEN = re.compile(r"[a-z0-9/'-]+")


class Vocabulary:
    """`<pad>` = 0, `<unk>` = 1, then the words in sorted order."""

    def __init__(self, words: Iterable[str]):
        self.words: tuple[str, ...] = ("<pad>", "<unk>") + tuple(sorted(set(words)))
        self._ids = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @staticmethod
    def tokenize(text: str) -> list[str]:
        return _TOKEN.findall(text.lower())

    def ids(self, text: str) -> list[int]:
        return [self._ids.get(w, UNK) for w in self.tokenize(text)]

    def encode(self, text: str, max_len: int) -> np.ndarray:
        """`(max_len,)` int64 ids, padded with `PAD`, truncated at `max_len`."""
        out = np.zeros(max_len, dtype=np.int64)
        ids = self.ids(text)[:max_len]
        out[: len(ids)] = ids
        return out

    def decode(self, ids: Iterable[int]) -> str:
        return " ".join(self.words[i] for i in ids if i != PAD)

