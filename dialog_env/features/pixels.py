"""`pixels`: PCA of downsampled pixels — an honest but weak visual feature.

Images are box-downsampled to `grid x grid x 3`, centred, projected on the top `dim`
principal components fitted on (up to `fit_items`) train items, and L2-normalised.
"""

from __future__ import annotations

import numpy as np

from dialog_env.catalog.catalog import Catalog


class PixelPCA:
    name = "pixels"

    def __init__(self, dim: int = 128, grid: int = 16, fit_items: int = 20_000, seed: int = 0):
        if dim > grid * grid * 3:
            raise ValueError(f"pixels: dim {dim} exceeds the {grid}x{grid}x3 = "
                             f"{grid * grid * 3} downsampled pixels")
        self._dim, self.grid, self.fit_items, self.seed = dim, grid, fit_items, seed
        self.mean: np.ndarray | None = None
        self.components: np.ndarray | None = None  # (dim, grid*grid*3)

    @property
    def dim(self) -> int:
        return self._dim

    def key(self) -> str:
        return f"pixels-d{self._dim}-g{self.grid}-f{self.fit_items}-s{self.seed}"

    def _downsample(self, images: np.ndarray) -> np.ndarray:
        n, h, w, _ = images.shape
        if h % self.grid or w % self.grid:
            raise ValueError(f"pixels: image size {h}x{w} is not a multiple of grid {self.grid}")
        f = h // self.grid
        x = images.reshape(n, self.grid, f, self.grid, f, 3).astype(np.float32).mean((2, 4))
        return x.reshape(n, -1) / 255.0

    def fit(self, catalog: Catalog) -> None:
        train = catalog.indices("train")
        if len(train) == 0:
            raise ValueError(f"pixels: catalog {catalog.name!r} has no train items to fit PCA")
        rng = np.random.default_rng(self.seed)
        pick = np.sort(rng.choice(train, size=min(self.fit_items, len(train)), replace=False))
        x = self._downsample(catalog.images(pick)).astype(np.float64)
        self.mean = x.mean(0)
        _, _, vt = np.linalg.svd(x - self.mean, full_matrices=False)
        if vt.shape[0] < self._dim:
            raise ValueError(f"pixels: only {vt.shape[0]} train items to fit {self._dim} "
                             f"components")
        # Fix each component's sign so results do not depend on the SVD implementation.
        signs = np.sign(vt[:, np.argmax(np.abs(vt), axis=1)].diagonal())
        self.components = (vt[: self._dim] * signs[: self._dim, None]).astype(np.float32)

    def transform(self, catalog: Catalog, indices: np.ndarray) -> np.ndarray:
        if self.components is None or self.mean is None:
            raise RuntimeError("pixels: call fit() before transform()")
        z = (self._downsample(catalog.images(indices)) - self.mean.astype(np.float32)) \
            @ self.components.T
        z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-8
        return z.astype(np.float32)
