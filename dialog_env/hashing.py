"""The hashed bag of words of the flat observation (`flat_text="hashed"`): a caption's token
ids counted into a fixed number of buckets, whatever the vocabulary's size (feature
hashing, Weinberger et al. 2009, with signs as in scikit-learn's `HashingVectorizer`).

Token id t goes to bucket `h(t) mod width` with sign `+1` or `-1` from the top bit of
`h(t)`, where `h` is splitmix64's finaliser (a fixed bijection of 64-bit integers): no
seed, no Python `hash()`, so the buckets are the same in every process and run. Colliding
ids add with their signs, so inner products are kept on average. Padding (id 0) counts
nowhere. Ids, not words, are hashed: the same vocabulary gives the same buckets.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser of each element (uint64 in, uint64 out)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):  # multiplication modulo 2**64, as meant
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=16)
def token_buckets(vocab: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket `(vocab,)` int64 in `0..width-1` and sign `(vocab,)` float32 (+1/-1; 0 for
    the padding id 0) of every token id. Read-only (shared between cores)."""
    h = mix64(np.arange(vocab, dtype=np.uint64))
    bucket = (h % np.uint64(width)).astype(np.int64)
    sign = np.where(h >> np.uint64(63), -1.0, 1.0).astype(np.float32)
    sign[0] = 0.0
    bucket.flags.writeable = sign.flags.writeable = False
    return bucket, sign


def hashed_bag_of_words(tokens: np.ndarray, vocab: int, width: int) -> np.ndarray:
    """`(B, width)` float32 signed counts of the token ids `(B, L)`, in `[-L, L]`."""
    bucket, sign = token_buckets(vocab, width)
    b = tokens.shape[0]
    where = bucket[tokens] + width * np.arange(b)[:, None]
    counts = np.bincount(where.ravel(), weights=sign[tokens].ravel(), minlength=b * width)
    return counts.reshape(b, width).astype(np.float32)
