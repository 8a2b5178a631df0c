"""Product titles of synthetic items ("Women's Dark Red Floral Chiffon Maxi A-Line Dress with
V-Neck"), computed on access from the item's attributes so 1M titles cost no storage."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from dialog_env.catalog.catalog import AttributeVocab
from dialog_env.catalog.schema import CATEGORIES

_NOUN = {"dress": "Dress", "shirt": "Shirt", "toptee": "Top", "shoes": "Shoes"}
_SHOW_TONE = {"very-light": "Pale", "light": "Light", "dark": "Dark", "very-dark": "Deep"}
_SKIP = {"solid", "matte", "regular-fit", "hip-length", "medium", "round-toe"}


def _word(value: str) -> str:
    return "-".join(p.capitalize() for p in value.split("-"))


class SyntheticTitles(Sequence[str]):
    """Lazy `Sequence[str]` of titles built from multi-hot attributes."""

    def __init__(self, vocab: AttributeVocab, attributes: np.ndarray, category: np.ndarray):
        self._vocab = vocab
        self._attributes = attributes
        self._category = category
        order = ("tone", "hue", "pattern", "shine", "fabric", "length", "fit", "heel",
                 "silhouette", "toe")
        self._front = {s: k for k, s in enumerate(order)}
        self._black, self._white = vocab.index("black"), vocab.index("white")
        self._sil = self._front["silhouette"]
        # Each column's role in a title, precomputed: skip / tone / front (with its position)
        # / back ("with ..."), and its display word.
        self._roles: list[tuple[str, int, str]] = []
        for name, slot in zip(vocab.names, vocab.slots):
            if name in _SKIP or slot == "style":
                self._roles.append(("skip", 0, ""))
            elif slot == "tone":
                self._roles.append(("tone", 0, _SHOW_TONE.get(name, "")))
            elif slot in self._front:
                self._roles.append(("front", self._front[slot], _word(name)))
            elif slot in ("neckline", "sleeve", "parts", "texture_extra"):
                self._roles.append(("back", 0, _word(name)))
            else:
                self._roles.append(("skip", 0, ""))

    def __len__(self) -> int:
        return len(self._category)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._title(int(i), np.flatnonzero(self._attributes[i]).tolist())

    def _title(self, i: int, columns: list[int]) -> str:
        cat = CATEGORIES[self._category[i]]
        achromatic = self._black in columns or self._white in columns
        front: list[tuple[int, str]] = []
        back: list[str] = []
        for j in columns:
            role, order, word = self._roles[j]
            if role == "front" or (role == "tone" and word and not achromatic):
                front.append((order, word))
            elif role == "back":
                back.append(word)
        noun = _NOUN[cat]
        if cat in ("shoes", "toptee"):
            sil = [w for k, w in front if k == self._sil]
            noun = (sil[0] + ("s" if cat == "shoes" else "")) if sil else noun
            front = [(k, w) for k, w in front if k != self._sil]
        words = ["Women's"] + [w for _, w in sorted(front)] + [noun]
        if back:
            words += ["with", " and ".join(back[:2])]
        return " ".join(words)

    def __iter__(self) -> Iterator[str]:
        """All titles, one `nonzero` per chunk of rows instead of one per item."""
        for lo in range(0, len(self), 65536):
            rows, cols = np.nonzero(self._attributes[lo:lo + 65536])
            bounds = np.searchsorted(rows, np.arange(len(self._attributes[lo:lo + 65536]) + 1))
            cols = cols.tolist()
            for k in range(len(bounds) - 1):
                yield self._title(lo + k, cols[bounds[k]:bounds[k + 1]])


class SyntheticIds(Sequence[str]):
    """Lazy item ids `syn<seed>-<index>`."""

    def __init__(self, seed: int, n: int):
        self._seed, self._n = seed, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(f"item index {i} out of range for {self._n} items")
        return f"syn{self._seed}-{i % self._n:07d}"
