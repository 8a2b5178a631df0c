"""Captioning metrics for generated relative captions: BLEU-1..4, ROUGE-L and CIDEr-D.

``caption_scores(hypotheses, references)`` scores one generated caption per target against
one or more human captions each ("is darker and has longer sleeves"), with maintained
libraries rather than a re-implementation:

* BLEU-1..4: ``sacrebleu`` corpus BLEU (``sacrebleu.metrics.BLEU``) with ``max_ngram_order=n``,
  uniform weights, closest-reference brevity penalty, **no smoothing** (as in coco-caption,
  so a corpus without a single matching n-gram of order n gets BLEU-n = 0; note that a
  corpus whose hypotheses are all shorter than n words has no n-grams and BLEU-n = 0 too).
  sacrebleu wants reference *streams* of equal length; hypotheses with fewer references
  than the most are padded with ``None``, which sacrebleu drops (an empty string ``''``
  would not do: it would count as a zero-length reference in the brevity penalty).
* ROUGE-L: ``pycocoevalcap.rouge.Rouge`` (coco-caption): LCS-based F-measure with
  beta = 1.2, using the best precision and the best recall over a hypothesis's references,
  averaged over hypotheses.
* CIDEr: ``pycocoevalcap.cider.Cider``, which is CIDEr-D as in coco-caption (n = 1..4,
  clipped tf-idf cosine similarity, Gaussian length penalty with sigma = 6, document
  frequencies counted over the references of the corpus, times 10), averaged over
  hypotheses. idf is ``log(N / df)`` over the N reference sets of the call, so CIDEr depends
  on the whole corpus scored together, and a corpus of a single hypothesis always gets 0.

Tokenisation, the same for all metrics and for hypotheses and references (see ``tokenize``):
lowercase; apostrophes are deleted ("doesn't" -> "doesnt"); every other character that is
not a letter or digit (punctuation, hyphens, slashes, underscores) becomes a space ("t-shirt"
-> "t shirt"); split on whitespace. The tokens are joined by single spaces and handed to
sacrebleu with ``tokenize="none"`` and to the pycocoevalcap scorers directly. coco-caption's
``PTBTokenizer`` (which needs Java) is not used, so values differ slightly from the official
toolkit on captions with punctuation or contractions.

All scores are on a 0-100 scale (the libraries' 0-1 values, and CIDEr-D's 0-10, times
100, the way captioning papers report them); CIDEr can exceed 100.

Install with ``pip install 'fashion-dialog[experiments]'`` (``sacrebleu``,
``pycocoevalcap``); both are imported only when ``caption_scores`` is called.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr")
_APOSTROPHES = re.compile(r"['\u2019]")
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits


def tokenize(caption: str) -> list[str]:
    """Lowercase, delete apostrophes, treat every other non-alphanumeric as a space, split."""
    return _WORD.findall(_APOSTROPHES.sub("", caption.lower()))


def _validate(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if isinstance(hypotheses, str) or not isinstance(hypotheses, Sequence):
        raise TypeError(f"hypotheses must be a list of str, got {type(hypotheses).__name__}")
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise TypeError(
            f"references must be a list of lists of str, got {type(references).__name__}")
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} reference "
                         "lists; there must be one list of references per hypothesis")
    if not hypotheses:
        raise ValueError("no hypotheses to score")
    for i, hyp in enumerate(hypotheses):
        if not isinstance(hyp, str):
            raise TypeError(f"hypotheses[{i}] must be a str, got {type(hyp).__name__}")
    for i, refs in enumerate(references):
        if isinstance(refs, str) or not isinstance(refs, Sequence):
            raise TypeError(
                f"references[{i}] must be a list of str, got {type(refs).__name__}")
        if len(refs) == 0:
            raise ValueError(f"references[{i}] is empty: each hypothesis needs at least one "
                             "reference")
        for j, ref in enumerate(refs):
            if not isinstance(ref, str):
                raise TypeError(f"references[{i}][{j}] must be a str, got {type(ref).__name__}")
            if not tokenize(ref):
                raise ValueError(
                    f"references[{i}][{j}] has no words after tokenisation: {ref!r}")


def _import_libraries():
    try:
        from pycocoevalcap.cider.cider import Cider
        from pycocoevalcap.rouge.rouge import Rouge
        from sacrebleu.metrics import BLEU
    except ImportError as exc:
        raise ImportError(
            "caption_scores needs sacrebleu and pycocoevalcap; install the experiments extra: "
            "pip install 'fashion-dialog[experiments]'") from exc
    return BLEU, Rouge, Cider


def caption_scores(hypotheses: list[str], references: list[list[str]]) -> dict:
    """BLEU-1..4, ROUGE-L and CIDEr(-D) of ``hypotheses`` against ``references``, 0-100 scale.

    ``references[i]`` is the non-empty list of reference captions of ``hypotheses[i]``; the
    number of references may differ between hypotheses. Hypotheses may be empty strings
    (they score 0); a reference with no words after tokenisation is an error.

    Returns ``{"BLEU-1": ..., "BLEU-2": ..., "BLEU-3": ..., "BLEU-4": ..., "ROUGE-L": ...,
    "CIDEr": ..., "n": len(hypotheses)}`` with float scores. BLEU is corpus-level; ROUGE-L
    and CIDEr are means of per-hypothesis scores (see the module docstring for details).

    Raises ``TypeError`` / ``ValueError`` naming the offending index for malformed input,
    and ``ImportError`` naming the extra to install if the libraries are missing.
    """
    _validate(hypotheses, references)
    BLEU, Rouge, Cider = _import_libraries()

    hyps = [" ".join(tokenize(h)) for h in hypotheses]
    refs = [[" ".join(tokenize(r)) for r in rs] for rs in references]

    # sacrebleu: one stream per reference slot, padded with None where a hypothesis has
    # fewer references (stream 0 is always a string: every hypothesis has a reference).
    n_streams = max(len(rs) for rs in refs)
    streams = [[rs[k] if k < len(rs) else None for rs in refs] for k in range(n_streams)]
    scores: dict = {}
    for n in range(1, 5):
        bleu = BLEU(lowercase=False, tokenize="none", smooth_method="none",
                    max_ngram_order=n, effective_order=False)
        scores[f"BLEU-{n}"] = float(bleu.corpus_score(hyps, streams).score)

    res = {i: [h] for i, h in enumerate(hyps)}
    gts = {i: rs for i, rs in enumerate(refs)}
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)  # n=4, sigma=6: CIDEr-D
    scores["ROUGE-L"] = 100.0 * float(rouge)
    scores["CIDEr"] = 100.0 * float(cider)
    scores["n"] = len(hypotheses)
    return scores
