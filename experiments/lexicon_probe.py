"""Can a frozen sentence encoder bridge the template shopper's held-out wording?

    python -m experiments.lexicon_probe

For every attribute value, the all-MiniLM-L6-v2 embedding of its first held-out (`test`
lexicon) phrase ("is ebony") is compared with the embeddings of every value's first
training phrase ("is black", "is white", ...): the share of values whose held-out phrase
lies nearest (cosine) to its own training phrase, and the mean rank of the own phrase.
An agent reading the frozen embedding through a map learned on training phrases can only
transfer to held-out wording as far as this nearest-neighbour structure allows.
Writes `<out>/lexicon_probe.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tyro

from experiments.common import write_results


@dataclass
class Args:
    out: Path = Path("results/suite-template")


def phrase(kind: str, form: str) -> str:
    return f"has {form}" if kind == "has" else f"is {form}"


def probe(encode) -> dict:
    """Nearest-neighbour agreement of held-out vs training phrases under `encode`
    (texts -> (n, d) embeddings)."""
    from simulators.lexicon import make_lexicon

    train, test = make_lexicon("train"), make_lexicon("test")
    values = sorted(train.values)
    a = np.asarray(encode([phrase(train.values[v][0], train.values[v][1][0]) for v in values]))
    b = np.asarray(encode([phrase(test.values[v][0], test.values[v][1][0]) for v in values]))
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = b @ a.T
    own = np.diag(sim)
    rank = (sim > own[:, None]).sum(axis=1)  # 0: the own phrase is the nearest
    return {"values": len(values), "nearest_is_own": float((rank == 0).mean()),
            "mean_rank_of_own": float(rank.mean() + 1)}


def main(args: Args) -> dict:
    from dialog_env.features.sentence import sentence_encoder

    result = probe(sentence_encoder().encode)
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(args.out / "lexicon_probe.json", result, "report")
    print(f"{result['values']} values: the held-out phrase is nearest its own training "
          f"phrase for {result['nearest_is_own']:.1%}; mean rank of the own phrase "
          f"{result['mean_rank_of_own']:.1f}")
    return result


if __name__ == "__main__":
    main(tyro.cli(Args))
