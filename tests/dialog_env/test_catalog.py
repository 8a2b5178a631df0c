import numpy as np
import pytest

from dialog_env.catalog import Catalog, load_synthetic, save_gallery
from dialog_env.catalog.render import render_item
from dialog_env.catalog.schema import ATTRIBUTE_TYPES, CATEGORIES, ORDINAL_SLOTS, SLOT_BY_NAME
from dialog_env.catalog.synthetic import SyntheticConfig, build_vocab, sample_items, to_arrays


def test_same_seed_gives_identical_catalog(tmp_path, monkeypatch, small_catalog):
    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))  # rebuild from scratch
    again = load_synthetic(1500, seed=3, image_size=32, progress=False)
    assert np.array_equal(again.attributes, small_catalog.attributes)
    assert np.array_equal(again.ordinal, small_catalog.ordinal)
    assert list(again.titles) == list(small_catalog.titles)
    idx = np.arange(0, 1500, 7)
    assert again.images(idx).tobytes() == small_catalog.images(idx).tobytes()


def test_different_seed_gives_different_catalog(small_catalog):
    other = load_synthetic(1500, seed=4, image_size=32, progress=False)
    assert not np.array_equal(other.attributes, small_catalog.attributes)
    assert list(other.titles) != list(small_catalog.titles)
    assert other.images(np.arange(20)).tobytes() != small_catalog.images(np.arange(20)).tobytes()


def test_cached_catalog_matches_on_demand_rendering(small_catalog):
    idx = np.array([0, 17, 1499])
    assert np.array_equal(small_catalog.images(idx), small_catalog.images.render(idx))


@pytest.fixture(scope="module")
def big():
    cfg = SyntheticConfig(n_items=20_000, seed=0)
    items = sample_items(cfg)
    attributes, ordinal = to_arrays(items, build_vocab())
    return cfg, items, attributes, ordinal


def test_vocabulary_covers_types_and_shopper_words():
    vocab = build_vocab()
    assert len(vocab) >= 60
    assert set(vocab.types) == set(ATTRIBUTE_TYPES)
    for word in ("graphic", "logo", "striped", "solid", "collar", "v-neck", "long-sleeve",
                 "suede", "leather", "laces", "strap", "ankle-strap", "shiny", "high-heel",
                 "black", "white", "blue", "red", "floral", "plaid", "polka-dot"):
        assert word in vocab.names, word


def test_every_value_occurs_and_frequencies_are_long_tailed(big):
    _, _, attributes, _ = big
    counts = attributes.sum(0)
    vocab = build_vocab()
    assert (counts > 0).all(), [vocab.names[j] for j in np.flatnonzero(counts == 0)]
    hue = vocab.indices_of_slot("hue")
    c = np.sort(counts[hue])[::-1]
    assert c[0] > 8 * c[-1]  # black/white common, gold rare


def test_splits_are_disjoint_and_sized(big):
    cfg, items, _, _ = big
    frac = np.bincount(items.split, minlength=3) / cfg.n_items
    assert np.allclose(frac, [0.6, 0.2, 0.2], atol=0.01)


def test_ordinal_levels_match_attribute_names(big):
    _, items, attributes, ordinal = big
    vocab = build_vocab()
    for o, slot in enumerate(ORDINAL_SLOTS):
        for k, cat in enumerate(CATEGORIES):
            rows = np.flatnonzero(items.category == k)[:300]
            if cat not in slot.values:
                assert (ordinal[rows, o] == -1).all()
                continue
            for i in rows:
                level = ordinal[i, o]
                assert attributes[i, vocab.index(slot.values[cat][level])]


def test_style_correlations(big):
    _, items, attributes, _ = big
    vocab = build_vocab()
    style = items.codes["style"]
    styles = SLOT_BY_NAME["style"].values["dress"]
    dresses = items.category == 0
    silky = attributes[:, vocab.index("silk")] | attributes[:, vocab.index("satin")]
    formal = dresses & (style == styles.index("formal"))
    sporty = dresses & (style == styles.index("sporty"))
    assert silky[formal].mean() > 5 * silky[sporty].mean()
    maxi = attributes[:, vocab.index("maxi")]
    assert maxi[formal].mean() > 2 * maxi[sporty].mean()
    shoes = items.category == 3
    sneaker = attributes[:, vocab.index("sneaker")]
    assert sneaker[shoes & (style == styles.index("sporty"))].mean() > 0.5


def test_near_duplicates_differ_in_few_attributes(big):
    _, items, attributes, _ = big
    variants = np.flatnonzero(items.parent >= 0)
    assert 0.25 < len(variants) / len(items.parent) < 0.45
    diff = (attributes[variants] != attributes[items.parent[variants]]).sum(1)
    # A changed single-label slot flips two values; rules may touch one more slot.
    assert np.median(diff) <= 4
    assert (diff <= 6).mean() > 0.9


def test_physical_rules_hold(big):
    _, _, attributes, _ = big
    v = build_vocab()
    a = attributes
    assert not (a[:, v.index("black")] & ~a[:, v.index("very-dark")]).any()
    assert not (a[:, v.index("strapless")] & ~a[:, v.index("sleeveless")]).any()
    assert not (a[:, v.index("patent-leather")] & ~a[:, v.index("shiny")]).any()
    assert not (a[:, v.index("sneaker")] & (a[:, v.index("high-heel")]
                                            | a[:, v.index("mid-heel")])).any()


def test_large_catalog_attributes_and_titles():
    cfg = SyntheticConfig(n_items=200_000, seed=1)
    items = sample_items(cfg)
    attributes, ordinal = to_arrays(items, build_vocab())
    assert attributes.shape == (200_000, len(build_vocab()))
    assert ordinal.shape[0] == 200_000
    cat = load_synthetic(200_000, seed=1, render=False, progress=False)
    assert cat.titles[199_999].startswith("Women's")
    # images of a catalog too big to cache are rendered on demand
    assert cat.images([5, 199_999]).shape == (2, 64, 64, 3)


DRESS = {"dress", "red", "medium", "solid", "matte", "cotton", "a-line", "regular-fit",
         "short-sleeve", "crew-neck", "casual"}
NUIS = np.array([0, 0, 1, 0, 1, 0, 0, 0, 0, 0.3], dtype=np.float32)


def _garment_rows(img):
    fg = np.abs(img.astype(int) - img[0, 0].astype(int)).sum(2) > 40
    return np.flatnonzero(fg.any(1))


def test_rendering_follows_ordinal_attributes():
    lows = []
    for length in ("mini", "knee-length", "midi", "maxi"):
        img = render_item("dress", (DRESS - {"knee-length"}) | {length}, NUIS, 64)
        lows.append(_garment_rows(img).max())
    assert lows == sorted(lows) and lows[0] < lows[-1]
    lum = []
    for tone in ("very-light", "light", "medium", "dark", "very-dark"):
        img = render_item("dress", (DRESS - {"medium"}) | {tone}, NUIS, 64).astype(float)
        lum.append(img[30:40, 28:36].mean())
    assert lum == sorted(lum, reverse=True)
    heel_tops = []
    for heel in ("flat", "low-heel", "mid-heel", "high-heel"):
        shoe = {"pump", "black", "very-dark", "solid", "leather", "matte", "round-toe", heel}
        heel_tops.append(_garment_rows(render_item("shoes", shoe, NUIS, 64)).min())
    assert heel_tops == sorted(heel_tops, reverse=True) and heel_tops[0] > heel_tops[-1]


def test_images_differ_with_colour_texture_and_nuisance():
    base = render_item("dress", DRESS, NUIS, 64)
    blue = render_item("dress", (DRESS - {"red"}) | {"blue"}, NUIS, 64)
    striped = render_item("dress", (DRESS - {"solid"}) | {"striped"}, NUIS, 64)
    moved = NUIS.copy()
    moved[0] = 0.03
    shifted = render_item("dress", DRESS, moved, 64)
    for other in (blue, striped, shifted):
        assert np.abs(base.astype(int) - other.astype(int)).mean() > 2.0
    assert render_item("dress", DRESS, NUIS, 64).tobytes() == base.tobytes()
    assert render_item("dress", DRESS, NUIS, 224).shape == (224, 224, 3)
    with pytest.raises(ValueError, match="image size"):
        render_item("dress", DRESS, NUIS, 512)


def test_identical_attributes_different_items_give_different_images(small_catalog):
    a = small_catalog.attributes
    _, inverse, counts = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    group = np.flatnonzero(counts[inverse.ravel()] > 1)
    first = group[0]
    twin = group[(inverse.ravel()[group] == inverse.ravel()[first]) & (group != first)][0]
    imgs = small_catalog.images([first, twin])
    assert not np.array_equal(imgs[0], imgs[1])


def test_gallery_png_is_written(tmp_path, small_catalog):
    from PIL import Image

    path = save_gallery(small_catalog, np.arange(12), tmp_path / "g" / "gallery.png", columns=4)
    img = Image.open(path)
    assert img.size[0] == 4 * 32 * 2 and img.size[1] == 3 * (32 * 2 + 30)
    assert len(np.unique(np.asarray(img).reshape(-1, 3), axis=0)) > 50
    with pytest.raises(ValueError, match="no item"):
        save_gallery(small_catalog, [], tmp_path / "empty.png")


def test_catalog_rejects_inconsistent_fields(small_catalog):
    c = small_catalog
    with pytest.raises(ValueError, match="'split' has 3 rows"):
        Catalog(c.name, c.item_ids, c.categories, c.category, c.split[:3], c.vocab,
                c.attributes, c.ordinal_names, c.ordinal_levels, c.ordinal, c.titles, c.images)
    with pytest.raises(ValueError, match="vocabulary size"):
        Catalog(c.name, c.item_ids, c.categories, c.category, c.split, c.vocab,
                c.attributes[:, :5], c.ordinal_names, c.ordinal_levels, c.ordinal, c.titles,
                c.images)
    with pytest.raises(ValueError, match="unknown split"):
        c.indices("training")


def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path))
    cat = load_synthetic(1000, seed=9, image_size=16, progress=False)
    (tmp_path / cat.meta["cache_dir"].split("/")[-1] / "items.npz").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="items.npz"):
        again = load_synthetic(1000, seed=9, image_size=16, progress=False)
    assert np.array_equal(again.attributes, cat.attributes)
    assert again.meta["content_hash"] == cat.meta["content_hash"]
