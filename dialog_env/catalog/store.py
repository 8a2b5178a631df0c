"""Build, cache and load the embedded synthetic catalog.

`load_synthetic(n_items, seed, image_size)` returns a `Catalog`; the first call generates
attributes (seconds, even for 1M items) and renders images in chunks with a progress bar
(in a process pool when there are enough items), writing everything under
`cache_root()/synthetic-v<generator>-seed<seed>-n<items>/`. Later calls load from there.
Each build (the arrays, then the images of one size) runs under its artifact's
`cache_lock`: processes loading the same catalog at once build it once, the others wait
and load it.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from dialog_env.cache import (
    CacheMismatch,
    atomic_write,
    atomic_write_json,
    cache_lock,
    cache_root,
    clean_stale_temp,
    verify,
    write_checksum,
)
from dialog_env.catalog.catalog import Catalog
from dialog_env.catalog.render import MAX_IMAGE_SIZE, render_item
from dialog_env.catalog.schema import CATEGORIES, ORDINAL_SLOTS
from dialog_env.catalog.synthetic import (
    GENERATOR_VERSION,
    SyntheticConfig,
    build_vocab,
    sample_items,
    to_arrays,
)
from dialog_env.catalog.titles import SyntheticIds, SyntheticTitles

CHUNK = 2048
# Above this many bytes of images, images are rendered on demand instead of cached.
MAX_IMAGE_CACHE_BYTES = 4 << 30


class RenderedImages:
    """Images of a synthetic catalog: from the on-disk cache when built, else rendered.

    `cache_file` is where the image cache of this catalog lives (None: no cache, e.g. too
    large); `ensure_cached` renders every image into it once (under the cache lock) and reads
    from it from then on. Until then images are rendered on access, so a world that never
    reads pixels (its features shipped or cached) never renders the catalog."""

    def __init__(self, category: np.ndarray, attributes: np.ndarray, vocab_names: tuple[str, ...],
                 nuisance: np.ndarray, image_size: int, cache_file: Path | None = None,
                 label: str = "catalog"):
        if not 8 <= image_size <= MAX_IMAGE_SIZE:
            raise ValueError(f"image_size must be in 8..{MAX_IMAGE_SIZE}, got {image_size}")
        self.image_size = image_size
        self._category = category
        self._attributes = attributes
        self._names = vocab_names
        self._nuisance = nuisance
        self._cache_file, self._label = cache_file, label
        self._cache: np.ndarray | None = None

    @property
    def cached(self) -> bool:
        """Whether images are read from the on-disk cache."""
        return self._cache is not None

    def ensure_cached(self, progress: bool = True, verified: bool = False) -> bool:
        """Render every image into the on-disk cache unless it is there and verifies (once,
        under the cache lock: a second process waits and loads it), then read from it; False
        when this catalog has no image cache. `verified`: the caller has just verified the
        file against its checksum."""
        if self._cache is not None:
            return True
        f = self._cache_file
        if f is None:
            return False
        if not verified and not _cached_images(f, quiet=True):
            with cache_lock(f, what=f"the {self.image_size}px images of {self._label}"):
                if not _cached_images(f):
                    _render_all(self, f, len(self._category), progress)
        cache = np.load(f, mmap_mode="r", allow_pickle=False)
        shape = (len(self._category), self.image_size, self.image_size, 3)
        if cache.shape != shape:
            raise ValueError(f"{f}: image cache shape {cache.shape} does not match "
                             f"{shape[0]} items of size {self.image_size}; delete it to rebuild")
        self._cache = cache
        return True

    def render(self, indices: np.ndarray) -> np.ndarray:
        out = np.empty((len(indices), self.image_size, self.image_size, 3), np.uint8)
        for k, i in enumerate(indices):
            names = {self._names[j] for j in np.flatnonzero(self._attributes[i])}
            out[k] = render_item(CATEGORIES[self._category[i]], names, self._nuisance[i],
                                 self.image_size)
        return out

    def __call__(self, indices) -> np.ndarray:
        idx = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        n = len(self._category)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"image index out of range for {n} items: "
                             f"{idx[(idx < -n) | (idx >= n)][:5].tolist()}")
        if self._cache is not None:
            return np.asarray(self._cache[idx])
        return self.render(idx)


def _render_chunk(args) -> np.ndarray:
    images, lo, hi = args
    return images.render(np.arange(lo, hi))


def synthetic_name(n_items: int, seed: int) -> str:
    """The name of the synthetic catalog of (`n_items`, `seed`)."""
    return f"synthetic-seed{seed}-n{n_items}"


def catalog_dir(cfg: SyntheticConfig) -> Path:
    """The cache folder of a synthetic catalog (its arrays, images and features)."""
    return cache_root() / f"synthetic-v{GENERATOR_VERSION}-seed{cfg.seed}-n{cfg.n_items}"


def _render_all(images: RenderedImages, path: Path, n: int, progress: bool) -> None:
    size = images.image_size

    def write(tmp: Path) -> None:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8,
                                        shape=(n, size, size, 3))
        chunks = [(images, lo, min(n, lo + CHUNK)) for lo in range(0, n, CHUNK)]
        workers = min(os.cpu_count() or 1, 8) if n >= 2 * CHUNK else 1
        bar = tqdm(total=n, desc=f"render {size}px", unit="img", disable=not progress)
        if workers > 1:  # workers die with this process (never orphaned by a kill)
            with ProcessPoolExecutor(workers, initializer=die_with_parent) as pool:
                for (_, lo, hi), block in zip(chunks, pool.map(_render_chunk, chunks)):
                    out[lo:hi] = block
                    bar.update(hi - lo)
        else:
            for ch in chunks:
                out[ch[1]:ch[2]] = _render_chunk(ch)
                bar.update(ch[2] - ch[1])
        bar.close()
        out.flush()
        del out

    atomic_write(path, write)
    write_checksum(path)


def die_with_parent() -> None:
    """Ask Linux to kill this (worker) process when its parent dies, even by SIGKILL."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)
    except (OSError, AttributeError):  # not Linux: workers exit when the pool's pipe closes
        pass


def _load_arrays(arrays_file: Path, n_items: int, n_vocab: int,
                 quiet: bool = False) -> dict | None:
    """The cached item arrays, or None (with a warning unless `quiet`) when they are missing
    or fail their checksum. `quiet` is for the look without the build lock, where another
    process may be between renaming the file into place and writing its checksum."""
    if not arrays_file.exists():
        return None
    try:
        digest = verify(arrays_file)
        with np.load(arrays_file, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except CacheMismatch as e:
        if not quiet:
            warnings.warn(f"{e}; rebuilding the catalog", stacklevel=4)
        return None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        if not quiet:
            warnings.warn(f"{arrays_file}: unreadable catalog cache ({type(e).__name__}: {e}); "
                          f"rebuilding the catalog", stacklevel=4)
        return None
    if arrays["attributes"].shape != (n_items, n_vocab):
        raise ValueError(f"{arrays_file}: attributes shape {arrays['attributes'].shape} "
                         f"does not match ({n_items}, {n_vocab}); delete it to rebuild")
    arrays["content_hash"] = digest
    return arrays


def _cached_images(image_file: Path, quiet: bool = False) -> bool:
    """Whether the rendered-image cache exists and matches its checksum. When it does not
    match, it is deleted with a warning, to be rendered again — unless `quiet` (the look
    without the build lock, which must not delete what another process is finishing)."""
    if not image_file.exists():
        return False
    try:
        verify(image_file)
        return True
    except CacheMismatch as e:
        if quiet:
            return False
        warnings.warn(f"{e}; rendering the images again", stacklevel=3)
        image_file.unlink()
        return False


def _build_arrays(cfg: SyntheticConfig, vocab) -> dict:
    items = sample_items(cfg)
    attributes, ordinal = to_arrays(items, vocab)
    return {"category": items.category, "split": items.split, "attributes": attributes,
            "ordinal": ordinal, "nuisance": items.nuisance, "parent": items.parent}


def _load_or_build_arrays(cfg: SyntheticConfig, vocab, folder: Path) -> dict:
    """The cached arrays; else built and written under the arrays' build lock (checked
    again under it, so a process that waited loads what the holder wrote)."""
    arrays_file = folder / "items.npz"
    arrays = _load_arrays(arrays_file, cfg.n_items, len(vocab), quiet=True)
    if arrays is not None:
        return arrays
    with cache_lock(arrays_file, what=f"the arrays of catalog {folder.name}"):
        arrays = _load_arrays(arrays_file, cfg.n_items, len(vocab))
        if arrays is not None:
            return arrays
        arrays = _build_arrays(cfg, vocab)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        atomic_write(arrays_file, write)
        arrays["content_hash"] = write_checksum(arrays_file)
        atomic_write_json(folder / "meta.json", {
            "generator_version": GENERATOR_VERSION, "seed": cfg.seed, "n_items": cfg.n_items,
            "vocab": list(vocab.names)})
    return arrays


def load_synthetic(n_items: int = 10_000, seed: int = 0, image_size: int = 64,
                   cache: bool = True, render: bool = True, progress: bool = True) -> Catalog:
    """The synthetic catalog for (`n_items`, `seed`), built once and cached.

    `render=False` skips building the image cache (images are then rendered on access,
    until `catalog.images.ensure_cached()` builds it); an image cache already on disk is
    used either way.
    """
    cfg = SyntheticConfig(n_items=n_items, seed=seed)
    vocab = build_vocab()
    folder = catalog_dir(cfg)
    if cache:
        clean_stale_temp(folder)
        arrays = _load_or_build_arrays(cfg, vocab, folder)
    else:
        arrays = _build_arrays(cfg, vocab)
    nbytes = n_items * image_size * image_size * 3
    image_file = folder / f"images-{image_size}.npy" if cache and nbytes <= \
        MAX_IMAGE_CACHE_BYTES else None
    images = RenderedImages(arrays["category"], arrays["attributes"], vocab.names,
                            arrays["nuisance"], image_size, cache_file=image_file,
                            label=f"catalog {folder.name}")
    if image_file is not None and _cached_images(image_file, quiet=True):
        images.ensure_cached(progress, verified=True)
    elif render:
        images.ensure_cached(progress)
    return Catalog(
        name=synthetic_name(n_items, seed),
        item_ids=SyntheticIds(seed, n_items),
        categories=CATEGORIES,
        category=arrays["category"],
        split=arrays["split"],
        vocab=vocab,
        attributes=arrays["attributes"],
        ordinal_names=tuple(s.name for s in ORDINAL_SLOTS),
        ordinal_levels=tuple(s.values for s in ORDINAL_SLOTS),
        ordinal=arrays["ordinal"],
        titles=SyntheticTitles(vocab, arrays["attributes"], arrays["category"]),
        images=images,
        meta={"generator_version": GENERATOR_VERSION, "seed": seed, "cache_dir": str(folder),
              "content_hash": arrays.get("content_hash"),
              "parent": arrays["parent"], "nuisance": arrays["nuisance"]},
    )
