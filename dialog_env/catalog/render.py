"""Pillow renderer of synthetic catalog items.

An item is drawn at twice the output size (for anti-aliasing) in unit coordinates:
silhouette mask (category, silhouette, length, fit, sleeves, neckline, heel, toe), fill
colour (hue x tone), pattern overlay (stripes, dots, plaid, floral, animal print,
geometric, graphic print, logo), fabric texture, shine highlight, visible parts (collar,
buttons, pockets, belt, zipper, ruffles, bow, hood, laces, straps, buckle, platform sole),
then the per-item nuisance (shift, scale, rotation, lighting, background tint).
Rendering is deterministic: same attributes + nuisance -> same bytes.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from dialog_env.catalog.schema import HUE_RGB

NUISANCE_FIELDS = ("dx", "dy", "scale", "rotation", "light", "light_dir", "bg_r", "bg_g", "bg_b",
                   "phase")
TONE_MIX = {"very-light": ("w", 0.55), "light": ("w", 0.28), "medium": ("w", 0.0),
            "dark": ("k", 0.35), "very-dark": ("k", 0.6)}
MAX_IMAGE_SIZE = 224


def fill_colour(hue: str, tone: str) -> tuple[int, int, int]:
    base = np.array(HUE_RGB[hue], dtype=np.float64)
    kind, a = TONE_MIX[tone]
    if hue in ("black", "white"):
        a = 0.0
    target = 255.0 if kind == "w" else 0.0
    return tuple(int(round(v)) for v in base * (1 - a) + target * a)  # type: ignore[return-value]


def _luma(rgb) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _contrast(rgb) -> tuple[int, int, int]:
    return (35, 35, 40) if _luma(rgb) > 135 else (240, 240, 236)


@functools.lru_cache(maxsize=64)
def _tile(kind: str, r: int) -> Image.Image:
    """A (2r, 2r) 'L' mask of a repeating pattern; items crop it at their phase."""
    img = Image.new("L", (2 * r, 2 * r), 0)
    d = ImageDraw.Draw(img)
    s = 2 * r
    if kind == "striped":
        p = max(4, r // 8)
        for y in range(0, s, p):
            d.rectangle([0, y, s, y + p // 2 - 1], fill=255)
    elif kind == "polka-dot":
        p, rad = max(6, r // 6), max(2, r // 22)
        for j, y in enumerate(range(0, s + p, p)):
            for x in range(-p, s + p, p):
                cx = x + (p // 2 if j % 2 else 0)
                d.ellipse([cx - rad, y - rad, cx + rad, y + rad], fill=255)
    elif kind == "plaid":
        p, w = max(8, r // 4), max(2, r // 14)
        for x in range(0, s, p):
            d.rectangle([x, 0, x + w, s], fill=170)
            d.rectangle([0, x, s, x + w], fill=170)
            d.line([x + w + 2, 0, x + w + 2, s], fill=255)
            d.line([0, x + w + 2, s, x + w + 2], fill=255)
    elif kind == "floral":
        p, rad = max(8, r // 4), max(2, r // 20)
        rng = np.random.default_rng(7)
        for y in range(0, s + p, p):
            for x in range(0, s + p, p):
                j = rng.integers(-p // 4, p // 4 + 1, size=2)
                cx, cy = x + j[0], y + j[1]
                for k in range(5):
                    a = 2 * math.pi * k / 5
                    px, py = cx + 1.6 * rad * math.cos(a), cy + 1.6 * rad * math.sin(a)
                    d.ellipse([px - rad, py - rad, px + rad, py + rad], fill=255)
                d.ellipse([cx - rad // 2, cy - rad // 2, cx + rad // 2, cy + rad // 2], fill=120)
    elif kind == "animal-print":
        rng = np.random.default_rng(11)
        for _ in range(max(20, (s * s) // (r * r // 10 + 1))):
            cx, cy = rng.integers(0, s, size=2)
            a, b = rng.integers(max(2, r // 24), max(3, r // 10), size=2)
            d.ellipse([cx - a, cy - b, cx + a, cy + b], outline=255, width=max(1, r // 40))
            d.ellipse([cx - a // 2, cy - b // 2, cx + a // 2, cy + b // 2], fill=200)
    elif kind == "geometric":
        p = max(8, r // 4)
        for y in range(0, s + p, p):
            for x in range(0, s + p, p):
                d.polygon([(x, y - p // 3), (x + p // 3, y), (x, y + p // 3), (x - p // 3, y)],
                          outline=255, width=max(1, r // 40))
    elif kind == "denim":
        for k in range(-s, s, max(3, r // 20)):
            d.line([k, s, k + s, 0], fill=60)
    elif kind == "knit":
        for x in range(0, s, max(3, r // 18)):
            d.line([x, 0, x, s], fill=70)
    elif kind == "linen" or kind == "canvas":
        p = max(3, r // 22)
        for y in range(0, s, p):
            d.line([0, y, s, y], fill=40)
        if kind == "canvas":
            for x in range(0, s, p):
                d.line([x, 0, x, s], fill=40)
    elif kind == "mesh":
        p = max(3, r // 16)
        for y in range(0, s, p):
            for x in range(0, s, p):
                d.point((x, y), fill=140)
    elif kind == "suede":
        rng = np.random.default_rng(3)
        arr = (rng.random((s, s)) < 0.12).astype(np.uint8) * 60
        return Image.fromarray(arr, "L")
    elif kind == "sequin":
        p = max(4, r // 10)
        for j, y in enumerate(range(0, s, p)):
            for x in range(0, s, p):
                cx = x + (p // 2 if j % 2 else 0)
                d.ellipse([cx - 1, y - 1, cx + 1, y + 1], fill=255)
    elif kind == "highlight":
        d.ellipse([int(0.25 * s), int(0.05 * s), int(0.45 * s), int(0.95 * s)], fill=255)
        return img.filter(ImageFilter.GaussianBlur(r / 14))
    return img


def _crop(kind: str, r: int, phase: float) -> Image.Image:
    off = int(phase * r) % r
    return _tile(kind, r).crop((off, off, off + r, off + r))


class _Canvas:
    def __init__(self, r: int):
        self.r = r

    def p(self, *xy: float) -> list[tuple[float, float]]:
        return [(xy[i] * self.r, xy[i + 1] * self.r) for i in range(0, len(xy), 2)]

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * self.r, y0 * self.r, x1 * self.r, y1 * self.r]


def _garment_masks(cat: str, a: set[str], c: _Canvas) -> tuple[Image.Image, dict]:
    r = c.r
    mask = Image.new("L", (r, r), 0)
    d = ImageDraw.Draw(mask)
    fit = 0.85 if "fitted" in a else 1.18 if "loose" in a else 1.0
    sw = 0.16 * fit
    top = 0.14
    geo: dict = {"top": top, "sw": sw}
    if cat == "dress":
        waist_y, ww = 0.42, 0.12 * fit
        hem = {"mini": 0.6, "knee-length": 0.72, "midi": 0.83, "maxi": 0.95}
        hem_y = next((v for k, v in hem.items() if k in a), 0.72)
        hw = {"a-line": 0.26, "bodycon": 0.13, "shift": 0.17, "wrap": 0.23,
              "fit-and-flare": 0.33, "slip": 0.15}
        half = next((v for k, v in hw.items() if k in a), 0.2) * fit
        body = [0.5 - sw, top, 0.5 + sw, top, 0.5 + ww, waist_y, 0.5 + half, hem_y,
                0.5 - half, hem_y, 0.5 - ww, waist_y]
    else:
        hem = {"cropped": 0.48, "hip-length": 0.7, "long-length": 0.86}
        hem_y = next((v for k, v in hem.items() if k in a), 0.7)
        waist_y, ww = 0.42, sw * 0.92
        half = sw * (1.05 if "tunic" in a else 0.95)
        if "crop-top" in a:
            hem_y = min(hem_y, 0.52)
        body = [0.5 - sw, top, 0.5 + sw, top, 0.5 + half, hem_y, 0.5 - half, hem_y]
    d.polygon(c.p(*body), fill=255)
    geo.update(hem_y=hem_y, waist_y=waist_y, ww=ww, half=half)
    # Shoulders / straps / necklines.
    if "strapless" in a or "off-shoulder" in a:
        cut = 0.22 if "strapless" in a else 0.19
        d.rectangle(c.box(0, 0, 1, cut), fill=0)
        if "off-shoulder" in a:
            d.rectangle(c.box(0.5 - sw - 0.07, cut, 0.5 + sw + 0.07, cut + 0.05), fill=255)
    elif "halter" in a:
        d.polygon(c.p(0, 0, 0.44, 0, 0.5 - sw, 0.27, 0, 0.27), fill=0)
        d.polygon(c.p(1, 0, 0.56, 0, 0.5 + sw, 0.27, 1, 0.27), fill=0)
        d.polygon(c.p(0.44, 0.06, 0.56, 0.06, 0.5 + sw * 0.7, 0.2, 0.5 - sw * 0.7, 0.2), fill=255)
    elif "straps" in a or "camisole" in a or "slip" in a or "tank-top" in a:
        narrow = "tank-top" in a
        d.rectangle(c.box(0, 0, 1, 0.2 if not narrow else 0.17), fill=0)
        for sgn in (-1, 1):
            x = 0.5 + sgn * (0.09 if not narrow else 0.08)
            w = 0.012 if not narrow else 0.035
            d.polygon(c.p(x - w, 0.07, x + w, 0.07, x + w + sgn * 0.02, 0.21,
                          x - w + sgn * 0.02, 0.21), fill=255)
    # Sleeves (ordinal sleeve length).
    sl = {"short-sleeve": 0.12, "elbow-sleeve": 0.25, "long-sleeve": 0.42}
    length = next((v for k, v in sl.items() if k in a), 0.0)
    if length and "strapless" not in a:
        w = 0.085 * fit
        for sgn in (-1, 1):
            x0 = 0.5 + sgn * sw
            dx, dy = 0.42 * sgn, 0.9
            d.polygon(c.p(x0 - sgn * 0.01, top, x0 + dx * length, top + dy * length,
                          x0 + dx * length - sgn * w * 0.9, top + dy * length + w * 0.45,
                          x0 - sgn * 0.02, top + 0.12), fill=255)
    neck = ImageDraw.Draw(mask)
    if "v-neck" in a:
        neck.polygon(c.p(0.44, top - 0.01, 0.56, top - 0.01, 0.5, top + 0.14), fill=0)
    elif "scoop-neck" in a:
        neck.ellipse(c.box(0.41, top - 0.07, 0.59, top + 0.08), fill=0)
    elif "crew-neck" in a or "collar" in a:
        neck.ellipse(c.box(0.45, top - 0.035, 0.55, top + 0.035), fill=0)
    elif "turtleneck" in a:
        neck.rectangle(c.box(0.45, top - 0.07, 0.55, top + 0.01), fill=255)
    return mask, geo


def _shoe_masks(a: set[str], c: _Canvas) -> tuple[Image.Image, Image.Image, dict]:
    """Upper mask and sole mask of a shoe seen from the side, toe to the left."""
    r = c.r
    upper = Image.new("L", (r, r), 0)
    sole = Image.new("L", (r, r), 0)
    du, ds = ImageDraw.Draw(upper), ImageDraw.Draw(sole)
    ground, toe_x, back_x = 0.8, 0.1, 0.86
    heel_h = {"flat": 0.0, "low-heel": 0.07, "mid-heel": 0.14, "high-heel": 0.23}
    h = next((v for k, v in heel_h.items() if k in a), 0.0)
    t = 0.065 if "platform" in a else 0.05 if "thick-sole" in a else 0.025
    if "clog" in a or "sneaker" in a:
        t = max(t, 0.045)
    ball_x = 0.36
    bed_back = ground - t - h
    bed_ball = ground - t - (0.045 if "platform" in a else 0.0)
    # Sole under the forefoot; a heel block (or a wedge) under the back.
    ds.polygon(c.p(toe_x + 0.02, ground - t, ball_x, bed_ball, ball_x, ground, toe_x + 0.03,
                   ground), fill=255)
    if "wedge" in a or h == 0.0:
        ds.polygon(c.p(ball_x, bed_ball, back_x, bed_back, back_x, ground, ball_x, ground),
                   fill=255)
    else:
        ds.polygon(c.p(ball_x, bed_ball, back_x, bed_back, back_x, bed_back + 0.025, ball_x,
                       bed_ball + 0.025), fill=255)
        ds.polygon(c.p(back_x - 0.07, bed_back, back_x, bed_back, back_x - 0.01, ground,
                       back_x - 0.045, ground), fill=255)
    # Upper.
    top_back = {"boot": 0.15, "ankle-boot": 0.4}
    sil = next((k for k in ("boot", "ankle-boot", "sneaker", "loafer", "clog", "sandal", "pump",
                            "wedge") if k in a), "pump")
    vamp = {"sneaker": 0.16, "loafer": 0.12, "clog": 0.17, "boot": 0.17, "ankle-boot": 0.16,
            "pump": 0.08, "wedge": 0.09, "sandal": 0.05}[sil]
    collar_dip = {"pump": 0.035, "wedge": 0.04, "loafer": 0.06, "sneaker": 0.1, "clog": 0.08}
    tip = 0.03 if "pointed-toe" in a else toe_x
    if sil in top_back:
        ty = top_back[sil]
        du.polygon(c.p(tip, bed_ball - 0.01, ball_x - 0.08, bed_ball - vamp, 0.58, ty + 0.1,
                       0.6, ty, back_x - 0.02, ty, back_x, bed_back), fill=255)
        du.polygon(c.p(tip, bed_ball, back_x, bed_back, back_x, bed_back - 0.02), fill=255)
    elif sil != "sandal":
        mid_y = bed_ball - vamp
        back_y = bed_back - collar_dip.get(sil, 0.06) - 0.03
        du.polygon(c.p(tip, bed_ball, tip + 0.04, bed_ball - vamp * 0.7, ball_x, mid_y,
                       0.62, (mid_y + back_y) / 2 + collar_dip.get(sil, 0.05), back_x - 0.02,
                       back_y, back_x, bed_back), fill=255)
    if "round-toe" in a or "open-toe" in a or "square-toe" in a:
        if "square-toe" in a:
            du.rectangle(c.box(toe_x - 0.02, bed_ball - vamp * 0.6, toe_x + 0.06, bed_ball),
                         fill=255)
        else:
            du.ellipse(c.box(toe_x - 0.035, bed_ball - vamp * 0.8, toe_x + 0.1, bed_ball + 0.01),
                       fill=255)
    if "open-toe" in a and sil != "sandal":
        du.ellipse(c.box(toe_x - 0.04, bed_ball - vamp * 0.75, toe_x + 0.07, bed_ball - 0.005),
                   fill=0)
    if sil == "sandal":
        for x in (0.2, 0.3):
            du.polygon(c.p(x - 0.03, bed_ball, x + 0.03, bed_ball - 0.005, x + 0.05,
                           bed_ball - 0.09, x - 0.01, bed_ball - 0.09), fill=255)
        du.rectangle(c.box(back_x - 0.1, bed_back - 0.1, back_x, bed_back), fill=255)
    geo = {"ground": ground, "bed_back": bed_back, "bed_ball": bed_ball, "ball_x": ball_x,
           "back_x": back_x, "vamp": vamp, "sil": sil, "toe_x": toe_x}
    return upper, sole, geo


def _decorate(img: Image.Image, mask: Image.Image, fill, a: set[str], phase: float
              ) -> Image.Image:
    """Fill colour, pattern, fabric texture, extras and shine inside `mask`."""
    r = img.size[0]
    layer = Image.new("RGB", (r, r), fill)
    contrast = _contrast(fill)
    pattern = next((p for p in ("striped", "polka-dot", "plaid", "floral", "animal-print",
                                "geometric") if p in a), None)
    if pattern:
        pc = contrast
        if pattern == "floral":
            pc = (250, 200, 60) if _luma(fill) < 135 else (200, 40, 90)
        if pattern == "animal-print":
            pc = (50, 30, 15) if _luma(fill) > 90 else (200, 160, 90)
        layer.paste(pc, mask=_crop(pattern, r, phase))
    for fabric in ("denim", "knit", "linen", "canvas", "mesh", "suede"):
        if fabric in a:
            layer.paste((0, 0, 0), mask=_crop(fabric, r, phase))
    if "velvet" in a:
        layer = Image.blend(layer, Image.new("RGB", (r, r), (0, 0, 0)), 0.18)
    if "sequin" in a or "glitter" in a:
        layer.paste((255, 255, 250), mask=_crop("sequin", r, phase))
    shine = 150 if "shiny" in a else 70 if "satin-finish" in a else 0
    if shine:
        hl = _tile("highlight", r).crop((0, 0, r, r)).point(lambda v, s=shine: v * s // 255)
        layer.paste((255, 255, 255), mask=hl)
    m = mask
    if "sheer" in a or "chiffon" in a:
        m = mask.point(lambda v: v * (150 if "sheer" in a else 215) // 255)
    img.paste(layer, mask=m)
    return img


def _garment_parts(d: ImageDraw.ImageDraw, a: set[str], geo: dict, fill, c: _Canvas,
                   cat: str) -> None:
    con = _contrast(fill)
    top, hem, waist = geo["top"], geo["hem_y"], geo["waist_y"]
    lw = max(1, c.r // 48)
    if "collar" in a:
        for sgn in (-1, 1):
            d.polygon(c.p(0.5, top + 0.035, 0.5 + sgn * 0.07, top - 0.03, 0.5 + sgn * 0.1,
                          top + 0.05), fill=(245, 245, 245) if _luma(fill) < 200 else (60, 60, 70))
    if "turtleneck" in a:
        for y in (top - 0.05, top - 0.025):
            d.line(c.p(0.45, y, 0.55, y), fill=con, width=lw)
    if "hood" in a:
        d.arc(c.box(0.38, top - 0.1, 0.62, top + 0.1), 180, 360, fill=con, width=2 * lw)
    if "buttons" in a:
        end = min(hem - 0.05, 0.6 if cat == "dress" else hem - 0.05)
        for y in np.linspace(top + 0.08, end, 5):
            d.ellipse(c.box(0.49, y - 0.01, 0.51, y + 0.01), fill=con)
    if "zipper" in a:
        d.line(c.p(0.5, top + 0.02, 0.5, waist + 0.05), fill=(150, 150, 155), width=lw)
        for y in np.linspace(top + 0.04, waist + 0.04, 8):
            d.line(c.p(0.49, y, 0.51, y), fill=(150, 150, 155), width=1)
    if "pockets" in a:
        y = 0.22 if cat == "shirt" else min(waist + 0.08, hem - 0.12)
        for x in ((0.57,) if cat == "shirt" else (0.38, 0.56)):
            d.rectangle(c.box(x, y, x + 0.07, y + 0.07), outline=con, width=lw)
    if "belt" in a:
        w = geo["ww"] + 0.01
        d.rectangle(c.box(0.5 - w, waist - 0.02, 0.5 + w, waist + 0.02), fill=(40, 30, 25))
        d.rectangle(c.box(0.48, waist - 0.025, 0.52, waist + 0.025), outline=(210, 170, 60),
                    width=lw)
    if "bow" in a:
        y = waist if cat == "dress" else top + 0.05
        d.polygon(c.p(0.5, y, 0.43, y - 0.035, 0.43, y + 0.035), fill=con)
        d.polygon(c.p(0.5, y, 0.57, y - 0.035, 0.57, y + 0.035), fill=con)
    if "ruffles" in a:
        half = geo["half"]
        n = 7
        xs = np.linspace(0.5 - half, 0.5 + half, n + 1)
        for x0, x1 in zip(xs[:-1], xs[1:]):
            d.arc(c.box(x0, hem - 0.04, x1, hem + 0.02), 0, 180, fill=con, width=lw)
    if "lace" in a:
        half = geo["half"]
        for x in np.linspace(0.5 - half, 0.5 + half, 9):
            d.ellipse(c.box(x - 0.02, hem - 0.02, x + 0.02, hem + 0.02), outline=(250, 250, 250),
                      width=lw)
    if "graphic" in a:
        y0 = top + 0.1
        d.ellipse(c.box(0.41, y0, 0.59, y0 + 0.16), fill=con)
        d.rectangle(c.box(0.44, y0 + 0.05, 0.56, y0 + 0.07), fill=fill)
        d.rectangle(c.box(0.46, y0 + 0.1, 0.54, y0 + 0.115), fill=fill)
    if "logo" in a:
        d.ellipse(c.box(0.55, top + 0.07, 0.61, top + 0.13), fill=con)
        d.line(c.p(0.565, top + 0.1, 0.595, top + 0.1), fill=fill, width=lw)


def _shoe_parts(d: ImageDraw.ImageDraw, a: set[str], geo: dict, fill, c: _Canvas) -> None:
    con = _contrast(fill)
    lw = max(1, c.r // 48)
    bb, ball, vamp = geo["bed_ball"], geo["ball_x"], geo["vamp"]
    if "laces" in a:
        for k, x in enumerate(np.linspace(ball - 0.12, ball + 0.06, 5)):
            y = bb - vamp * 0.75 - 0.01 * k
            d.line(c.p(x - 0.02, y, x + 0.02, y - 0.03), fill=con, width=lw)
            d.line(c.p(x - 0.02, y - 0.03, x + 0.02, y), fill=con, width=lw)
    if "strap" in a:
        d.polygon(c.p(ball + 0.02, bb - 0.005, ball + 0.06, bb - 0.005, ball + 0.05,
                      bb - vamp - 0.06, ball + 0.01, bb - vamp - 0.06), fill=con)
    if "ankle-strap" in a:
        y = geo["bed_back"] - 0.12
        d.rectangle(c.box(geo["back_x"] - 0.16, y, geo["back_x"], y + 0.025), fill=con)
    if "buckle" in a:
        y = geo["bed_back"] - 0.12
        d.rectangle(c.box(geo["back_x"] - 0.2, y - 0.01, geo["back_x"] - 0.16, y + 0.035),
                    outline=(205, 205, 210), width=lw)
    if "velcro" in a:
        for x in (ball - 0.08, ball):
            d.rectangle(c.box(x, bb - vamp - 0.01, x + 0.035, bb - 0.01), fill=con)
    if "zipper" in a:
        d.line(c.p(geo["back_x"] - 0.1, bb - 0.05, geo["back_x"] - 0.1, bb - 0.3),
               fill=(160, 160, 165), width=lw)
    if "bow" in a:
        x, y = geo["toe_x"] + 0.1, bb - vamp * 0.8
        d.polygon(c.p(x, y, x - 0.05, y - 0.03, x - 0.05, y + 0.03), fill=con)
        d.polygon(c.p(x, y, x + 0.05, y - 0.03, x + 0.05, y + 0.03), fill=con)
    if "graphic" in a or "logo" in a:
        d.arc(c.box(ball, bb - vamp - 0.02, ball + 0.2, bb + 0.05), 200, 330, fill=con, width=lw)
    if "fur" in a:
        y = bb - vamp - 0.04
        for x in np.linspace(ball + 0.05, geo["back_x"], 8):
            d.line(c.p(x, y, x + 0.01, y - 0.035), fill=(235, 225, 205), width=lw)


def render_item(category: str, attributes: set[str], nuisance: np.ndarray,
                size: int = 64) -> np.ndarray:
    """Render one item as uint8 `(size, size, 3)`."""
    if not 8 <= size <= MAX_IMAGE_SIZE:
        raise ValueError(f"image size must be in 8..{MAX_IMAGE_SIZE}, got {size}")
    r = 2 * size
    c = _Canvas(r)
    a = attributes
    hue = next((h for h in HUE_RGB if h in a), "grey")
    tone = next((t for t in TONE_MIX if t in a), "medium")
    fill = fill_colour(hue, tone)
    if len(nuisance) != len(NUISANCE_FIELDS):
        raise ValueError(f"nuisance must have {len(NUISANCE_FIELDS)} fields {NUISANCE_FIELDS}, "
                         f"got {len(nuisance)}")
    dx, dy, scale, rot, light, light_dir, br, bg_, bb, phase = map(float, nuisance)
    bg = (int(np.clip(236 + br, 0, 255)), int(np.clip(236 + bg_, 0, 255)),
          int(np.clip(236 + bb, 0, 255)))
    img = Image.new("RGB", (r, r), bg)
    if category == "shoes":
        upper, sole, geo = _shoe_masks(a, c)
        img = _decorate(img, upper, fill, a, phase)
        sole_col = (245, 245, 240) if geo["sil"] == "sneaker" else (
            (70, 50, 35) if _luma(fill) > 90 else (150, 120, 90))
        img.paste(sole_col, mask=sole)
        _shoe_parts(ImageDraw.Draw(img), a, geo, fill, c)
    else:
        mask, geo = _garment_masks(category, a, c)
        img = _decorate(img, mask, fill, a, phase)
        _garment_parts(ImageDraw.Draw(img), a, geo, fill, c, category)
    # Nuisance: scale, rotation and shift about the centre, background fill.
    cos, sin = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    inv = 1.0 / scale
    cx = cy = r / 2
    ox, oy = cx - dx * r, cy - dy * r
    coeffs = (inv * cos, inv * sin, cx - inv * (cos * ox + sin * oy),
              -inv * sin, inv * cos, cy - inv * (-sin * ox + cos * oy))
    img = img.transform((r, r), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR,
                        fillcolor=bg)
    img = img.reduce(2)
    arr = np.asarray(img, dtype=np.float32)
    ramp = 1.0 + 0.12 * light_dir * (np.linspace(-1, 1, size, dtype=np.float32))
    arr = arr * (light * ramp)[None, :, None]
    return np.clip(arr + 0.5, 0, 255).astype(np.uint8)
