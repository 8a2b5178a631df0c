"""Save a grid of catalog images (with short captions) to PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dialog_env.cache import atomic_write
from dialog_env.catalog.catalog import Catalog


def save_gallery(catalog: Catalog, indices, path: str | Path, columns: int = 8,
                 scale: int = 2, captions: bool = True) -> Path:
    """Grid of `indices` images, each upscaled `scale` times, captioned with its key
    attributes, written atomically to `path`."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size == 0:
        raise ValueError("save_gallery: no item indices given")
    imgs = catalog.images(idx)
    s = imgs.shape[1] * scale
    cap_h = 30 if captions else 0
    rows = (len(idx) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * s, rows * (s + cap_h)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for k, (i, img) in enumerate(zip(idx, imgs)):
        x, y = (k % columns) * s, (k // columns) * (s + cap_h)
        sheet.paste(Image.fromarray(img).resize((s, s), Image.Resampling.NEAREST), (x, y))
        if captions:
            words = [w for w in catalog.attribute_names(int(i))
                     if w not in ("medium", "matte", "regular-fit", "solid")]
            text = " ".join(words)
            per_line = max(8, s // 6)
            draw.text((x + 2, y + s + 1), text[:per_line], fill=(0, 0, 0))
            draw.text((x + 2, y + s + 14), text[per_line:2 * per_line], fill=(0, 0, 0))
    path = Path(path)
    atomic_write(path, lambda p: sheet.save(p, format="PNG"))
    return path
