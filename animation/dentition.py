"""Teeth as textures in the portrait's own pixel frame: reused where it shows them, else drawn.

Two RGBA layers are built once per portrait, each in a box of source pixels around the mouth:
the upper teeth, fixed to the skull, and the lower teeth, riding on the jaw. The interior
(`mouth.MouthInterior`) samples them every frame through the head's motion (and the jaw's drop
for the lower layer), so teeth never stretch with the lips.

Where the portrait shows teeth, the layers are its own pixels: the part of the opening from the
upper lip down to the upper teeth's edge (column by column, where a dark band begins) goes to
the skull, what lies below to the jaw; rows hidden under the lips repeat the last visible one.
Where it does not, a tooth row is drawn: one crown per tooth along an arch (incisors, canine,
premolars, a molar), each with rounded incisal corners (pointed canines), a convex shading,
dark gaps that open into embrasures at the edge, a scalloped gum line, and the arch fading into
shadow towards the back. It is drawn four times oversampled, averaged down, softened to the
photograph's sharpness and given its grain (`photo_finish`). Colours come from the palette (the
portrait's own teeth, or its eyes' whites), mapped through its tone curve for monochrome
photographs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import topology as topo
from .lip_layer import contour_rows, mouth_frame, to_mouth
from .photo_finish import LUMA, PhotoFinish
from .rest_mouth import OVERBITE_IOD, MouthState

# Crowns from the middle outwards: (width along the arch, height), IOD (~63 mm).
UPPER_CROWNS = ((0.135, 0.17), (0.105, 0.145), (0.12, 0.165), (0.108, 0.135), (0.105, 0.13),
                (0.16, 0.115))  # fmt: skip
LOWER_CROWNS = ((0.085, 0.14), (0.09, 0.14), (0.108, 0.15), (0.108, 0.13), (0.108, 0.125),
                (0.17, 0.11))  # fmt: skip
UPPER_EDGE_LIFT = (0.0, 0.012, 0.003, 0.012, 0.017, 0.024)  # edges rise towards the back
LOWER_EDGE_DROP = (0.0, 0.0, 0.004, 0.012, 0.016, 0.022)
CANINE = 2
TOOTH_LENGTH_SD_IOD = 0.004  # crowns differ a little in length ...
TOOTH_SHADE_SD = 0.05  # ... and in shade
OVERSAMPLE = 4
REST_EDGE_IOD = 0.04  # drawn upper teeth end this far below the rest mouth's lip line
TEXTURE_MARGIN_IOD = 0.45  # the layers reach this far around the mouth (jaw drop, motion)


@dataclass(frozen=True)
class ArchShape:
    crowns: tuple[tuple[float, float], ...]  # (width, height) IOD per tooth, middle outwards
    edge_offset: tuple[float, ...]  # per tooth: edge shortfall from the line, IOD
    radius_iod: float  # arch radius: crowns foreshorten as the arch turns away


UPPER_ARCH = ArchShape(UPPER_CROWNS, UPPER_EDGE_LIFT, 0.42)
LOWER_ARCH = ArchShape(LOWER_CROWNS, LOWER_EDGE_DROP, 0.38)


@dataclass
class TeethLayers:
    skull: torch.Tensor  # (1, 5, h, w): premultiplied RGB, alpha, grain (upper teeth)
    jaw: torch.Tensor  # (1, 4, h, w): premultiplied RGB, alpha (lower teeth)
    origin: tuple[int, int]  # source px of texel (0, 0)


def build_layers(
    image: np.ndarray,  # (H, W, 3) uint8 RGB
    source_points: np.ndarray,  # (478, 3) px
    rest_points: np.ndarray,  # (478, 3) px, the rig's rest mouth in the same image
    state: MouthState,
    palette,  # mouth.MouthPalette
    finish: PhotoFinish,
    seed: int = 0,
) -> TeethLayers:
    import cv2

    src = np.asarray(source_points, dtype=np.float64)
    rest = np.asarray(rest_points, dtype=np.float64)
    iod = float(np.linalg.norm(src[topo.LEFT_IRIS_CENTER, :2] - src[topo.RIGHT_IRIS_CENTER, :2]))
    lips = np.concatenate([src[list(topo.LIPS_ALL), :2], rest[list(topo.LIPS_ALL), :2]])
    m = TEXTURE_MARGIN_IOD * iod
    h_img, w_img = image.shape[:2]
    x0 = int(max(0, np.floor(lips[:, 0].min() - m)))
    y0 = int(max(0, np.floor(lips[:, 1].min() - m)))
    x1 = int(min(w_img, np.ceil(lips[:, 0].max() + m)))
    y1 = int(min(h_img, np.ceil(lips[:, 1].max() + m)))
    w, h = max(2, x1 - x0), max(2, y1 - y0)

    # The line the drawn teeth hang from, in the rest mouth's frame (skull-fixed).
    frame = mouth_frame(torch.tensor(rest[None, :, :2], dtype=torch.float32))
    center, ex, ey, half = (t[0].double().numpy() for t in frame)
    rest_t = torch.tensor(rest[None, :, :2], dtype=torch.float32)
    mid_u = torch.zeros(1, 1)
    _, b_mid, c_mid, _ = (r[0, 0].item() for r in contour_rows(rest_t, frame, mid_u))
    line_v = (b_mid + c_mid) / 2 + REST_EDGE_IOD * iod
    reuse = _reuse(image, src, iod, state, (x0, y0, w, h))
    if reuse is not None and reuse["edge_point"] is not None:
        line_v = float((reuse["edge_point"] - center) @ ey)  # the portrait's own teeth
    lower_v = line_v - OVERBITE_IOD * iod + state.jaw_open_iod * iod

    # Drawn rows, oversampled: texel centres in source px, then face-frame coordinates.
    s = OVERSAMPLE
    ys, xs = np.mgrid[0 : h * s, 0 : w * s]
    px = x0 + (xs + 0.5) / s - 0.5
    py = y0 + (ys + 0.5) / s - 0.5
    rel = np.stack([px - center[0], py - center[1]], -1)
    x_iod = (rel @ ex) / iod
    v = rel @ ey
    rng = np.random.default_rng(seed)
    upper_rgb, upper_a = _draw_arch(x_iod, (line_v - v) / iod, UPPER_ARCH, palette, rng)
    lower_rgb, lower_a = _draw_arch(x_iod, (v - lower_v) / iod, LOWER_ARCH, palette, rng)
    layers = []
    for rgb, alpha in ((upper_rgb, upper_a), (lower_rgb, lower_a)):
        pm = np.concatenate([rgb * alpha[..., None], alpha[..., None]], -1)
        pm = pm.reshape(h, s, w, s, 4).mean((1, 3))  # area average down to source texels
        extra = np.sqrt(max(finish.blur_px**2 - 0.35**2, 0.0))
        if extra > 0.05:
            pm = cv2.GaussianBlur(pm.astype(np.float32), (0, 0), extra).astype(np.float64)
        layers.append(pm)
    # Static grain, as soft as the photograph's own detail.
    rng = np.random.default_rng(seed)
    grain = rng.standard_normal((h, w)).astype(np.float32)
    if finish.blur_px > 0.5:
        grain = cv2.GaussianBlur(grain, (0, 0), 0.6 * finish.blur_px)
    grain = grain / max(float(grain.std()), 1e-6) * finish.grain
    for pm in layers:
        pm[..., :3] *= 1.0 + grain[..., None]
    upper, lower = layers
    if reuse is not None:
        upper = _over(reuse["upper"], upper)
        lower = _over(reuse["lower"], lower) if reuse["lower"] is not None else lower
        grain = grain * (1.0 - reuse["upper"][..., 3])
    skull = np.concatenate([upper, grain[..., None]], -1)
    return TeethLayers(
        torch.tensor(skull, dtype=torch.float32).permute(2, 0, 1)[None].contiguous(),
        torch.tensor(lower, dtype=torch.float32).permute(2, 0, 1)[None].contiguous(),
        (x0, y0),
    )


def _over(front: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Premultiplied `front` over `back`, both (h, w, 4)."""
    return front + back * (1.0 - front[..., 3:4])


def _draw_arch(x: np.ndarray, h: np.ndarray, arch: ArchShape, palette, rng):
    """Colour (..., 3) and alpha (...,) of a tooth row at face-frame x (IOD from the mouth's
    middle) and h (IOD from the incisal line into the gum). Each crown (left and right apart)
    gets its own small differences in length and shade: no two teeth are alike."""
    widths = np.array([c[0] for c in arch.crowns])
    heights = np.array([c[1] for c in arch.crowns])
    bounds = np.concatenate([[0.0], np.cumsum(widths)])
    r = arch.radius_iod
    s = r * np.arcsin(np.clip(np.abs(x) / r, 0.0, 0.999))  # arc length from the middle
    k = np.clip(np.searchsorted(bounds, s, side="right") - 1, 0, len(widths) - 1)
    width = widths[k]
    t = np.clip((s - bounds[k]) / width, 0.0, 1.0)  # 0 at the middle side of the crown
    side = np.minimum(t, 1.0 - t) * width  # arc distance to the nearest neighbour
    tooth = k + len(widths) * (x > 0)  # left and right teeth apart
    length = rng.normal(0.0, TOOTH_LENGTH_SD_IOD, 2 * len(widths))[tooth]
    shade = 1.0 + rng.normal(0.0, TOOTH_SHADE_SD, 2 * len(widths))[tooth]
    edge = np.array(arch.edge_offset)[k] + length
    # Incisal outline: rounded corners, a pointed canine.
    corner = 0.22 * width
    rounding = np.where(side < corner, corner - np.sqrt(np.maximum(
        corner**2 - (corner - side) ** 2, 0.0)), 0.0)  # fmt: skip
    pointed = 0.3 * width * np.abs(2 * t - 1) ** 1.6
    edge = edge + np.where(k == CANINE, pointed, rounding)
    top = edge + heights[k] - 0.035 * (2 * t - 1) ** 2  # gum papillae between crowns
    inside = s < bounds[-1]
    enamel = (h >= edge) & (h <= top) & inside
    gum = (h > top) & inside
    alpha = (h >= edge) & inside
    # Shading: a convex crown, the arch turning away from the light, darker at the gum.
    theta = s / r
    arch_light = 0.25 + 0.75 * np.cos(theta) ** 1.5
    crown_light = 0.8 + 0.2 * np.sin(np.pi * t)
    depth = np.clip((h - edge) / np.maximum(heights[k], 1e-6), 0.0, 1.0)
    cervical = 1.0 - 0.12 * np.clip((depth - 0.55) / 0.45, 0.0, 1.0)
    translucent = np.clip((h - edge) / 0.02, 0.0, 1.0)  # the edge is thin and lets dark through
    gap = np.exp(-((side / (0.0025 + 0.008 * (1 - np.clip((h - edge) / 0.04, 0, 1)))) ** 2))
    teeth = np.array(palette.teeth)
    cavity = np.array(palette.cavity)
    light = (arch_light * crown_light * cervical * shade)[..., None]
    colour = teeth * light
    # The thin edge lets the dark behind it through (in the enamel's own hue).
    behind = teeth * (float(cavity @ LUMA) / max(float(teeth @ LUMA), 1.0))
    colour = (
        colour * (0.7 + 0.3 * translucent[..., None])
        + behind * (0.3 * (1 - translucent))[..., None]
    )
    colour = colour * (1 - 0.6 * gap[..., None]) + cavity * (0.6 * gap[..., None])
    gum_colour = np.array(palette.gum) * (0.55 + 0.45 * arch_light)[..., None]
    colour = np.where(gum[..., None], gum_colour, colour)
    colour = np.where((enamel | gum)[..., None], colour, cavity)
    return colour, alpha.astype(np.float64)


def _reuse(image: np.ndarray, points: np.ndarray, iod: float, state: MouthState, box):
    """The portrait's own teeth as premultiplied layers (h, w, 4) in the texture box, split
    into upper (skull) and lower (jaw) at the upper teeth's edge; None without teeth."""
    if state.incisal_iod is None or state.teeth_shown < 0.15:
        return None
    x0, y0, w, h = box
    img = image[y0 : y0 + h, x0 : x0 + w].astype(np.float64)
    src = torch.tensor(points[None, :, :2], dtype=torch.float32)
    frame = mouth_frame(src)
    ys, xs = np.mgrid[y0 : y0 + h, x0 : x0 + w]
    pix = torch.tensor(np.stack([xs, ys], -1)[None], dtype=torch.float32)
    u, v = to_mouth(pix, frame)
    _, b, c, _ = contour_rows(src, frame, u)
    u, v, b, c = (a[0].double().numpy() for a in (u, v, b, c))
    trim = min(0.02 * iod, 1.0)
    top, bottom = b + trim, c - trim
    opening = (v >= top) & (v <= bottom) & (np.abs(u) < 1)
    if opening.sum() < 6:
        return None
    luma = img @ LUMA
    teeth_luma = np.percentile(luma[opening], 85)
    dark_luma = np.percentile(luma[opening], 5)
    dark = luma < (teeth_luma + dark_luma) / 2
    # Column by column: the upper teeth end where a dark band begins below a bright run.
    split = np.full(w, np.inf)
    for j in range(w):
        rows = np.flatnonzero(opening[:, j])
        if len(rows) < 2:
            continue
        bright = np.flatnonzero(~dark[rows, j])
        if not len(bright):
            split[j] = v[rows[0], j]
            continue
        below = rows[bright[0] :][dark[rows[bright[0] :], j]]
        if len(below):
            split[j] = v[below[0], j]
    finite = np.isfinite(split)
    if finite.any():
        split[finite] = _median_filter(split[finite], 5)
    upper_mask = opening & (v < split[None, :])
    lower_mask = opening & (v >= split[None, :])
    upper = _extend(img, upper_mask, up=True)
    lower_shows_teeth = lower_mask.any() and np.mean(~dark[lower_mask]) > 0.3
    lower = _extend(img, lower_mask, up=False) if lower_shows_teeth else None
    # The upper teeth's edge: where the dark band begins, or the lower lip when none does.
    lowest = np.where(opening, v, -np.inf).max(0)
    edge = np.minimum(split, lowest)
    edges = edge[np.isfinite(edge) & (np.abs(u[h // 2]) < 0.3)]
    edge_point = None
    if len(edges):
        center, _, ey, _ = (t[0].double().numpy() for t in frame)
        edge_point = center + float(np.median(edges)) * ey  # source px
    return {"upper": upper, "lower": lower, "edge_point": edge_point}


def _extend(img: np.ndarray, mask: np.ndarray, up: bool) -> np.ndarray:
    """Premultiplied layer (h, w, 4) of `img` where `mask`, its outermost row repeated into
    the rows the lip hides (above for the upper teeth, below for the lower), feathered by a
    texel on the cavity side."""
    import cv2

    h, w = mask.shape
    colour = img.copy()
    cover = np.zeros((h, w), bool)
    for j in range(w):
        rows = np.flatnonzero(mask[:, j])
        if not len(rows):
            continue
        first, last = rows[0], rows[-1]
        if up:
            colour[:first, j] = img[first, j]
            cover[: last + 1, j] = True
        else:
            colour[last + 1 :, j] = img[last, j]
            cover[first:, j] = True
    soft = cv2.GaussianBlur(cover.astype(np.float32), (0, 0), 0.7).astype(np.float64)
    alpha = np.where(cover, soft, 0.0)
    return np.concatenate([colour * alpha[..., None], alpha[..., None]], -1)


def _median_filter(values: np.ndarray, size: int) -> np.ndarray:
    pad = size // 2
    padded = np.pad(values, pad, mode="edge")
    return np.array([np.median(padded[i : i + size]) for i in range(len(values))])
