"""CLIP features through transformers, on a tiny random CLIP saved to a directory here."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("transformers")


def test_clip_encodes_images_and_texts_from_a_local_directory(tiny_clip, small_catalog):
    from dialog_env.features import extract_features
    from dialog_env.features.clip import CLIPEncoder, CLIPFeatures

    enc = CLIPEncoder(tiny_clip, batch=3)
    images = small_catalog.images(np.arange(5))
    img = enc.encode_images(images)
    assert img.shape == (5, 8) and np.allclose(np.linalg.norm(img, axis=1), 1, atol=1e-5)
    assert np.allclose(img[:2], enc.encode_images(images[:2]), atol=1e-5)  # batching
    txt = enc.encode_texts(["is red", "has long sleeves", "is red"])
    assert txt.shape == (3, 8) and np.allclose(txt[0], txt[2])
    patches = enc.image_tokens(images[:2])
    assert patches.shape == (2, 1 + (32 // 8) ** 2, 16)
    tokens, mask = enc.text_tokens(["is red", "has long sleeves"])
    assert tokens.shape[:2] == mask.shape and mask[1].sum() > mask[0].sum()
    from dialog_env.features import make_extractor

    feats = make_extractor("clip", small_catalog, model_dir=tiny_clip)
    assert isinstance(feats, CLIPFeatures)
    assert feats.key().startswith("clip-") and feats.dim == 8
    sub = type(small_catalog)(**{**small_catalog.__dict__, "meta": {}})  # no cache folder
    out = extract_features(sub, feats, cache=False, progress=False)
    assert out.shape == (len(small_catalog), 8) and np.isfinite(out).all()
    with pytest.raises(ValueError, match=r"images must be uint8 \(n, H, W, 3\)"):
        enc.encode_images(images.astype(np.float32))


def test_a_missing_model_directory_is_a_clear_error(tmp_path):
    from dialog_env.features.clip import CLIPEncoder

    with pytest.raises(FileNotFoundError, match="has no config.json.*nothing is downloaded"):
        CLIPEncoder(tmp_path / "nowhere")


def test_extract_features_script_writes_the_cache(tiny_clip, tmp_path, monkeypatch):
    from experiments.extract_features import Args, main
    from tests.dialog_env.test_real_catalog import fixture

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path / "cache"))
    fixture(tmp_path / "fiq", with_missing=False)
    with pytest.warns(UserWarning, match=r"no image splits for \['toptee'\]") as seen:
        path = main(Args(dataset="fashioniq", root=tmp_path / "fiq", model=tiny_clip,
                         image_size=16, quiet=True))
    assert len(seen) == 1  # every image is there: no missing-image warning
    feats = np.load(path)
    assert feats.shape == (6, 8) and path.parent.parent == tmp_path / "cache"
    written = path.stat().st_mtime_ns
    with pytest.warns(UserWarning, match="no image splits"):
        again = main(Args(dataset="fashioniq", root=tmp_path / "fiq", model=tiny_clip,
                          image_size=16, quiet=True))
    assert again == path and path.stat().st_mtime_ns == written  # loaded, not recomputed
    with pytest.raises(SystemExit, match="--dataset must be one of"):
        main(Args(dataset="imagenet", root=tmp_path, model=tiny_clip))
    with pytest.raises(SystemExit, match="is not a directory"):
        main(Args(dataset="shoes", root=tmp_path / "nowhere", model=tiny_clip))


@pytest.mark.parametrize("dataset", ["multiturn-shoes", "multiturn-fashioniq"])
def test_extract_features_of_the_multiturn_datasets(dataset, tiny_clip, tmp_path, monkeypatch,
                                                    capsys):
    from experiments.extract_features import Args, main
    from tests.dialog_env.test_multiturn_catalog import multiturn_fixture
    from tests.dialog_env.test_real_catalog import shoes_fixture

    monkeypatch.setenv("FASHION_DIALOG_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "data"
    root.mkdir()
    if dataset == "multiturn-shoes":
        shoes_fixture(root, chain=True)
    else:
        multiturn_fixture(root)
    with pytest.warns(UserWarning):  # a missing image / the split overlap
        path = main(Args(dataset=dataset, root=root, model=tiny_clip, image_size=16,
                         quiet=True))
    said = capsys.readouterr().out
    if dataset == "multiturn-shoes":
        assert "5 items" in said and "1 images missing" in said
        assert "items train: 3 (clogs 1, pumps 2)" in said and "dialogs train: 1" in said
        assert np.load(path).shape == (5, 8)
    else:
        assert "6 items" in said and "dialogs train: 1" in said and "dialogs val: 2" in said
        assert "1 duplicate entries" in said and np.load(path).shape == (6, 8)
    assert said.index("items") < said.index("features (")  # found, then encoded


def test_the_cache_key_names_the_weights_not_only_the_config(tiny_clip, tmp_path):
    """A fine-tuned copy with the same config in a same-named folder must not load the
    original's cached features."""
    import shutil

    from dialog_env.features.clip import CLIPFeatures

    copy = tmp_path / "other" / tiny_clip.name
    shutil.copytree(tiny_clip, copy)
    assert CLIPFeatures(copy).key() == CLIPFeatures(tiny_clip).key()  # same bytes
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # another weight value, same config
    weights.write_bytes(bytes(data))
    assert CLIPFeatures(copy).key() != CLIPFeatures(tiny_clip).key()
    for f in copy.glob("*.safetensors"):
        f.unlink()
    with pytest.raises(FileNotFoundError, match="has no weight file"):
        CLIPFeatures(copy)
