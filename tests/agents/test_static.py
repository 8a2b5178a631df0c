"""FashionNTM's static multi-turn protocol: aggregators, padding, windows, loss, ranking."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.static import (
    AGGREGATORS,
    DialogIndex,
    FeatureTables,
    StaticBatch,
    StaticConfig,
    StaticModel,
    final_queries,
    gallery_features,
    gallery_ranks,
    train_static,
    turn_texts,
)

TINY = {"image_dim": 6, "text_dim": 6, "dim": 8, "slots": 4, "width": 8, "controller": 16}


def model(composer="va", aggregator="st+avg", **kw) -> StaticModel:
    token = {"token_dim": 4} if composer == "raf" else {}
    return StaticModel.from_seed(StaticConfig(composer, aggregator, **TINY, **token, **kw), 0)


def batch(turns=(1, 2, 3, 4, 2), t=4, seed=0, tokens=False) -> StaticBatch:
    g = torch.Generator().manual_seed(seed)
    b = len(turns)
    return StaticBatch(torch.randn(b, t, 6, generator=g), torch.randn(b, t, 6, generator=g),
                       torch.tensor(turns), torch.randn(b, t, 3, 4, generator=g)
                       if tokens else None, torch.ones(b, t, 3, dtype=torch.bool)
                       if tokens else None)


@pytest.mark.parametrize("composer", ["va", "tirg", "raf"])
@pytest.mark.parametrize("aggregator", AGGREGATORS)
def test_every_aggregator_gives_a_query_per_turn_and_pads_repeat_the_last(composer,
                                                                          aggregator):
    m = model(composer, aggregator).eval()
    b = batch(tokens=composer == "raf")
    q = m(b)
    assert q.shape == (5, 4, 8) and torch.isfinite(q).all()
    for k, n in enumerate(b.turns.tolist()):  # a padded turn's output is the last real one
        assert torch.allclose(q[k, n:], q[k, n - 1].expand(4 - n, -1), atol=1e-6)


def test_padding_inputs_does_not_change_a_dialogs_queries():
    """What fills the padded turns is never read: masked aggregation ignores pads."""
    for aggregator in ("st+avg", "st+ewma", "st+lstm", "cfir-gru", "cm-ntm"):
        m = model("va", aggregator).eval()
        b = batch()
        other = batch(seed=1)
        valid = torch.arange(4)[None] < b.turns[:, None]
        changed = StaticBatch(torch.where(valid[..., None], b.images, other.images),
                              torch.where(valid[..., None], b.texts, other.texts), b.turns)
        assert torch.allclose(m(b), m(changed), atol=1e-6), aggregator
        # The same dialog alone (no padding at all) gives the same last-turn query.
        k = 1
        alone = StaticBatch(b.images[k:k + 1, :2], b.texts[k:k + 1, :2], b.turns[k:k + 1])
        assert torch.allclose(m(alone)[0, 1], m(b)[k, 1], atol=1e-5), aggregator


def test_mean_aggregator_is_the_mean_of_the_real_turns():
    m = model("va", "st+avg").eval()
    b = batch()
    q = m(b)
    per_turn = model("va", "st").eval()(b)  # same g_I, g_T (same seed): f_qry(n) per turn
    for k, n in enumerate(b.turns.tolist()):
        assert torch.allclose(q[k, n - 1], per_turn[k, :n].mean(0), atol=1e-6)


def test_window_aggregates_only_the_last_turns():
    b = batch()
    per_turn = model("va", "st").eval()(b)
    q2 = model("va", "st+avg", window=2).eval()(b)
    for k, n in enumerate(b.turns.tolist()):
        assert torch.allclose(q2[k, n - 1], per_turn[k, max(0, n - 2):n].mean(0), atol=1e-6)
    # window 1 is the final turn only; a window as long as the dialogs is no window.
    assert torch.allclose(model("va", "st+avg", window=1).eval()(b), per_turn, atol=1e-6)
    for aggregator in ("st+avg", "st+lstm", "cm-ntm"):
        whole = model("va", aggregator).eval()(b)
        assert torch.allclose(model("va", aggregator, window=4).eval()(b), whole, atol=1e-6)
    # A recurrent aggregator with window 2 equals running it on the last two turns alone.
    m = model("va", "cm-ntm", window=2).eval()
    full = model("va", "cm-ntm").eval()
    k = 3  # 4 turns
    alone = StaticBatch(b.images[k:k + 1, 2:], b.texts[k:k + 1, 2:], torch.tensor([2]))
    assert torch.allclose(m(b)[k, 3], full(alone)[0, 1], atol=1e-5)


def test_turn_texts_pad_and_concatenate_with_a_window():
    texts = [["a"], ["b", "c", "d"]]
    assert turn_texts(texts, 3) == [["a", "a", "a"], ["b", "c", "d"]]
    assert turn_texts(texts, 3, concatenate=True)[1] == ["b", "b and c", "b and c and d"]
    assert turn_texts(texts, 3, concatenate=True, window=2)[1] == ["b", "b and c", "c and d"]
    # A long concatenation keeps its newest words (encoders cut at the end).
    long = [[" ".join(["old"] * 30), " ".join(["new"] * 30)]]
    joined = turn_texts(long, 2, concatenate=True)[0][1].split()
    assert len(joined) == 48 and joined[-30:] == ["new"] * 30 and joined[0] == "old"
    with pytest.raises(ValueError, match="dialog 1 has 3 texts"):
        turn_texts(texts, 2)


def toy_problem(n=240, items=300, seed=0):
    """Targets are references moved by their caption: target = reference + text."""
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(items, 6)).astype(np.float32)
    moves = rng.normal(size=(12, 6)).astype(np.float32)
    texts = moves  # each caption's feature is the move it asks for
    refs = np.zeros((n, 3), np.int64)
    ids = np.zeros((n, 3), np.int64)
    turns = rng.integers(1, 4, size=n)
    targets = np.zeros(n, np.int64)
    for k in range(n):
        refs[k, :turns[k]] = rng.integers(0, items, turns[k])
        refs[k, turns[k]:] = refs[k, turns[k] - 1]
        ids[k, :turns[k]] = rng.integers(0, 12, turns[k])
        ids[k, turns[k]:] = ids[k, turns[k] - 1]
        goal = images[refs[k, turns[k] - 1]] + moves[ids[k, turns[k] - 1]]
        targets[k] = np.argmin(((images - goal) ** 2).sum(1))  # the nearest item
    return FeatureTables(images, texts), DialogIndex(refs, ids, turns, targets)


@pytest.mark.parametrize("composer,aggregator", [("va", "st+avg"), ("tirg", "st"),
                                                 ("va", "cm-ntm")])
def test_turnwise_loss_decreases_on_a_learnable_problem(composer, aggregator):
    tables, dialogs = toy_problem()
    m = model(composer, aggregator)
    losses = train_static(m, tables, dialogs, epochs=8, batch_size=40, lr=1e-2, seed=0)
    assert losses[-1] < 0.8 * losses[0]
    # Deterministic: the same seed gives the same numbers.
    again = train_static(model(composer, aggregator), tables, dialogs, epochs=8,
                         batch_size=40, lr=1e-2, seed=0)
    assert losses == again
    q = final_queries(m, tables, dialogs)
    items = np.arange(len(tables.images))
    ranks = gallery_ranks(q, gallery_features(m, tables.images), items, dialogs.targets)
    assert q.shape == (len(dialogs), 8) and (ranks < 50).mean() > 0.3


def test_gallery_ranks_against_a_hand_computed_example():
    gallery = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0], [0.7, 0.7]], np.float32)
    items = np.array([10, 11, 12, 13, 14])
    queries = np.array([[2, 0], [0, 1], [1, 1]], np.float32)  # cosine: scale-free
    targets = np.array([11, 12, 12])
    # Cosine similarities. q0: item 10 1.0, 11 0.994 -> target 11 has rank 1.
    # q1: item 12 1.0 is the best -> 0. q2: 14 1.0, 11 0.781, 10 and 12 0.707 (a tie is not
    # counted above the target) -> 2.
    assert gallery_ranks(queries, gallery, items, targets).tolist() == [1, 0, 2]
    # Removing the references: q0's reference is item 10, q2's are 14 and 11.
    exclude = np.array([[10, 10], [-1, -1], [14, 11]])
    assert gallery_ranks(queries, gallery, items, targets, exclude).tolist() == [0, 0, 0]
    # A reference equal to the target is never removed; a target outside the gallery
    # ranks last (len(items)).
    assert gallery_ranks(queries[:1], gallery, items, np.array([10]),
                         np.array([[10]])).tolist() == [0]
    assert gallery_ranks(queries[:1], gallery, items, np.array([99])).tolist() == [5]
    with pytest.raises(ValueError, match="queries of width 2, gallery 3"):
        gallery_ranks(queries, np.ones((5, 3), np.float32), items, targets)
    # The inner product (an env item space's ranking) sees the gallery's norms: item 1,
    # three times as long in the same direction, is above the target; by cosine it ties.
    long = np.array([[1, 0], [3, 0]], np.float32)
    args = (np.array([[1, 0]], np.float32), long, np.array([0, 1]), np.array([0]))
    assert gallery_ranks(*args).tolist() == [0]
    assert gallery_ranks(*args, metric="ip").tolist() == [1]


def test_clip_like_equal_widths_start_as_identity_so_va_is_zero_shot():
    c = StaticConfig("va", "st", image_dim=8, text_dim=8, dim=8)
    m = StaticModel.from_seed(c, 0)
    x = torch.randn(3, 8)
    assert torch.equal(m.g_image(x), x) and torch.equal(m.g_text(x), x)
    b = StaticBatch(torch.randn(2, 1, 8), torch.randn(2, 1, 8), torch.tensor([1, 1]))
    expected = torch.nn.functional.normalize(b.images[:, 0] + b.texts[:, 0], dim=-1)
    assert torch.allclose(m(b)[:, 0], expected, atol=1e-6)


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="unknown composer 'sum'"):
        StaticConfig("sum")
    with pytest.raises(ValueError, match="unknown aggregator 'st\\+max'"):
        StaticConfig("va", "st+max")
    with pytest.raises(ValueError, match="raf needs text tokens"):
        StaticConfig("raf", "st")
    with pytest.raises(ValueError, match="window"):
        StaticConfig("va", "st", window=-1)
    m = model("va", "st")
    with pytest.raises(ValueError, match="width 7 \\(images\\)"):
        m(StaticBatch(torch.randn(2, 1, 7), torch.randn(2, 1, 6), torch.tensor([1, 1])))
    tables, dialogs = toy_problem(n=4)
    wrong = FeatureTables(tables.images[:, :4], tables.texts)
    with pytest.raises(ValueError, match="image features \\(300, 4\\)"):
        train_static(m, wrong, dialogs, epochs=1)
    with pytest.raises(ValueError, match="composer raf needs text tokens of width 4"):
        train_static(model("raf", "st"), tables, dialogs, epochs=1)
    one = DialogIndex(dialogs.references[:1], dialogs.text_ids[:1], dialogs.turns[:1],
                      dialogs.targets[:1])
    with pytest.raises(ValueError, match="at least 2 dialogs"):
        train_static(m, tables, one, epochs=1)
