"""Features shipped inside the package: the default world's AttrNet (its weights and the
item features of the default catalog), so that `gym.make("FashionDialog-v0")` starts in
seconds and works on the light install (no torch, no safetensors).

`python -m experiments.ship_features` builds them: it trains AttrNet on the default
catalog exactly as a first `gym.make` would, computes the features of every item, and
writes `dialog_env/features/data/`: the weights (`.safetensors` + JSON config), the features
(`.npz`, compressed) and `manifest.json`, which records each file's SHA-256 and size and
what the artifact was derived from (catalog name and content hash, extractor key).

`install(catalog, cache_path, key)` puts a shipped artifact into the cache when the
manifest has one for exactly this catalog (same name, content hash and image size) and key: the
shipped file is verified against its recorded SHA-256 first (a damaged package raises,
naming the file), then written atomically with the cache's own checksum sidecar, so from
there on it is an ordinary cache entry. A catalog with other contents (another size, seed
or generator) gets nothing: its features are computed as before.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from dialog_env.cache import atomic_save_npy, atomic_write, write_checksum
from dialog_env.catalog.catalog import Catalog

DATA = Path(__file__).resolve().parent / "data"
MANIFEST = "manifest.json"


class ShippedDataError(ValueError):
    """A file shipped with the package does not match its manifest."""


def manifest(folder: Path = DATA) -> dict:
    """The manifest of shipped artifacts (`{"artifacts": []}` when none are shipped)."""
    path = folder / MANIFEST
    if not path.exists():
        return {"artifacts": []}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ShippedDataError(f"{path}: unreadable manifest ({e})") from e
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), list):
        raise ShippedDataError(f"{path}: expected {{'artifacts': [...]}}")
    return data


_ENABLED = [True]


@contextmanager
def disabled() -> Iterator[None]:
    """Within this block nothing shipped is installed (`experiments.ship_features` builds
    from scratch under it)."""
    _ENABLED.append(False)
    try:
        yield
    finally:
        _ENABLED.pop()


def find(catalog_name: str, content_hash: str | None, key: str, image_size: int | None,
         folder: Path = DATA) -> dict | None:
    """The manifest entry for artifact `key` of this exact catalog (name, content hash and
    the image size it was computed from), or None."""
    if content_hash is None or not _ENABLED[-1]:
        return None
    for entry in manifest(folder)["artifacts"]:
        if (entry.get("key"), entry.get("catalog"), entry.get("content_hash"),
                entry.get("image_size")) == (key, catalog_name, content_hash, image_size):
            return entry
    return None


def has(config_catalog: str, key: str, image_size: int, folder: Path = DATA) -> bool:
    """Whether some shipped artifact `key` exists for a catalog named `config_catalog` with
    images of `image_size` (checked before the catalog is built: its content hash is
    checked at install)."""
    return _ENABLED[-1] and any(
        (e.get("key"), e.get("catalog"), e.get("image_size")) == (key, config_catalog,
                                                                 image_size)
        for e in manifest(folder)["artifacts"])


def image_size(catalog: Catalog) -> int | None:
    """The size of the images `catalog` serves (None when it does not say)."""
    return getattr(catalog.images, "image_size", None)


def _read_verified(entry: dict, folder: Path) -> bytes:
    path = folder / entry["file"]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ShippedDataError(f"{path}: listed in {folder / MANIFEST} but missing from the "
                               f"package; reinstall fashion-dialog") from None
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ShippedDataError(f"{path}: does not match the SHA-256 recorded in "
                               f"{folder / MANIFEST} (a damaged install); reinstall "
                               f"fashion-dialog")
    return data


def install(catalog: Catalog, cache_path: Path, key: str, folder: Path = DATA) -> bool:
    """Write the shipped artifact `key` of `catalog` to `cache_path` (an ordinary cache
    entry from then on: checksum sidecar recording `derived_from`); False when none is
    shipped for this catalog's exact contents."""
    entry = find(catalog.name, catalog.meta.get("content_hash"), key, image_size(catalog),
                 folder)
    if entry is None:
        return False
    data = _read_verified(entry, folder)
    derived = entry["derived_from"]
    if entry["kind"] == "features":
        with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("features.npy") as f:
            array = np.load(f, allow_pickle=False)
        atomic_save_npy(cache_path, np.ascontiguousarray(array, dtype=np.float32), derived)
    else:  # a file copied as it is (weights, their JSON config)
        atomic_write(cache_path, lambda p: p.write_bytes(data))
        if entry.get("checksum", True):
            write_checksum(cache_path, derived)
    return True


def ship(path: Path, kind: str, key: str, catalog: Catalog, derived_from: dict,
         folder: Path = DATA, checksum: bool = True) -> dict:
    """Copy the cache file `path` into the package folder as shipped artifact `key` (the
    features of a `.npy` as a compressed `.npz`), and record it in the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "features":
        name = path.with_suffix(".npz").name
        buf = io.BytesIO()
        np.savez_compressed(buf, features=np.load(path, allow_pickle=False))
        data = buf.getvalue()
    else:
        name, data = path.name, path.read_bytes()
    (folder / name).write_bytes(data)
    entry = {"key": key, "kind": kind, "file": name, "catalog": catalog.name,
             "content_hash": catalog.meta.get("content_hash"),
             "image_size": image_size(catalog), "derived_from": derived_from,
             "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
             "checksum": checksum}
    data_ = manifest(folder)
    data_["artifacts"] = [e for e in data_["artifacts"] if e.get("key") != key] + [entry]
    (folder / MANIFEST).write_text(json.dumps(data_, indent=1, sort_keys=True) + "\n")
    return entry
