"""Lip layer: the lips drawn from the portrait's own lip pixels, wherever the rig puts them.

A spline cannot close an open mouth: lips that meet where the portrait shows teeth ask it to
squeeze the whole opening into a line, which it does only approximately (a smear of teeth) and
at the price of ripples around the mouth. So the spline sees the inner lips riding along with
the outer ones (`spline_targets`), and this layer takes over between and around the lips: in a
mouth-aligned frame (u from corner to corner, -1..1; v down, px) each column is remapped
piecewise-linearly so that the target's upper lip samples the portrait's upper lip, the
target's lower lip its lower lip, and the skin beyond follows with a unit slope that blends
into the spline's map. When the lips close over an opening, the layer samples the lips just
clear of their inner edges (where teeth bleed in) and the two reds meet along a thin dark seam
drawn where they touch (`seam_shade`). With the target equal to the portrait, the map is the
identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import topology as topo
from .batch_interp import interp as _interp
from .local_frame import corner_frame
from .photo_finish import LUMA
from .rest_mouth import CAVITY_UNDER_LIP

LEFT, RIGHT = topo.MOUTH_CORNERS_OUTER
OUTER_UPPER = list(topo.LIPS_OUTER_UPPER)
INNER_UPPER = [LEFT] + list(topo.LIPS_INNER_UPPER) + [RIGHT]
INNER_LOWER = [LEFT] + list(topo.LIPS_INNER_LOWER) + [RIGHT]
OUTER_LOWER = list(topo.LIPS_OUTER_LOWER)
INNER = list(topo.LIPS_INNER_UPPER[1:-1] + topo.LIPS_INNER_LOWER[1:-1])
TABLE_SIZE = 257  # u samples of the contour tables (a pixel's contours are looked up)
EDGE_COLUMNS = 49  # columns where the lips' real inner edges are measured
FILL_MARGIN_IOD = 0.6  # the lip-filled copy of the portrait reaches this far around the lips
EDGE_STEP_PX = 0.25  # sampling step of that search
OPEN_PX = 2.0  # a portrait's lips this far apart or more are an opening to close over
SLIT_IOD = (0.03, 0.06)  # target lips parted up to the first are lip-filled all over, from
# the second on the lip-filled copy stays out of their opening
LIP_LUMA_RANGE = (0.82, 1.12)  # a pixel this bright against the lips' median is lip


@dataclass(frozen=True)
class LipConfig:
    blend_iod: float = 0.1  # beyond the lips the layer hands over to the spline over this
    trim_iod: float = 0.02  # without pixels to go by, closing lips are sampled this far clear
    seam_width_iod: float = 0.008  # half-width of the dark line where the lips meet
    min_seam_width_px: float = 0.5
    seam_tone: float = 0.4  # the line is the lips' own colour at this brightness
    seam_depth: float = 0.25  # darkening at the middle of that line ...
    seam_corner_depth: float = 0.15  # ... and this much more at the mouth corners
    shadow_depth: float = 0.1  # the upper lip's soft shadow on the lower lip


def mouth_frame(points: torch.Tensor):
    """Mouth-aligned frame of (B, N, 2) px points: centre (B, 2), unit axes ex, ey (B, 2) and
    the half corner-to-corner distance (B, 1)."""
    return corner_frame(points[:, LEFT, :2], points[:, RIGHT, :2])


def to_mouth(xy: torch.Tensor, frame) -> tuple[torch.Tensor, torch.Tensor]:
    """Points (B, ..., 2) px -> u (corner to corner, -1..1), v (px down) in `frame`."""
    center, ex, ey, half = frame
    shape = (xy.shape[0],) + (1,) * (xy.dim() - 2)
    rel = xy - center.view(*shape, 2)
    u = (rel * ex.view(*shape, 2)).sum(-1) / half.view(shape)
    v = (rel * ey.view(*shape, 2)).sum(-1)
    return u, v


def contour_rows(points: torch.Tensor, frame, u: torch.Tensor) -> list[torch.Tensor]:
    """v (B, ...) of the outer-upper, inner-upper, inner-lower and outer-lower lip contours at
    each u (B, ...) of `frame`."""
    rows = []
    for ids in (OUTER_UPPER, INNER_UPPER, INNER_LOWER, OUTER_LOWER):
        cu, cv = to_mouth(points[:, ids, :2], frame)  # (B, K)
        rows.append(_interp(u, cu, cv))
    return rows


def contour_table(points: torch.Tensor, frame) -> torch.Tensor:
    """(B, 4, TABLE_SIZE) v of the four lip contours (`contour_rows`) at u from -1 to 1."""
    grid = torch.linspace(-1.0, 1.0, TABLE_SIZE, device=points.device).expand(points.shape[0], -1)
    return torch.stack(contour_rows(points, frame, grid), 1)


def lookup(table: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Rows of `table` (B, C, TABLE_SIZE) at u (B, ...) -> (B, C, ...), linearly interpolated
    (u beyond +-1 takes the ends: the corners). One `grid_sample` does every row at once."""
    B, C, _ = table.shape
    x = u.reshape(B, -1, 1, 1)
    grid = torch.cat([x, torch.zeros_like(x)], -1)  # (B, P, 1, 2)
    out = torch.nn.functional.grid_sample(table[:, :, None], grid, mode="bilinear",
                                          padding_mode="border", align_corners=True)  # fmt: skip
    return out.view(B, C, *u.shape[1:])


class LipLayer(nn.Module):
    """Remaps the sampling coordinates around the lips; see the module docstring."""

    def __init__(
        self,
        source_points: np.ndarray,  # (478, 3) px
        image: np.ndarray | None = None,  # (H, W, 3) uint8 RGB: finds where the lips end
        config: LipConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = c = config or LipConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        self.iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2]
                                        - pts[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
        self.register_buffer("source", torch.tensor(pts[:, :2], dtype=torch.float32))  # (478, 2)
        src = self.source[None]
        frame = mouth_frame(src)
        # Where each lip's red really ends over the opening, column by column (landmarks often
        # sit a pixel into the teeth, and an opening's dark corners reach past them).
        knots = torch.linspace(-0.98, 0.98, EDGE_COLUMNS)[None]  # (1, C)
        rows = [r[0].numpy().astype(np.float64) for r in contour_rows(src, frame, knots)]
        upper_edge, lower_edge = rows[1] - c.trim_iod * self.iod, rows[2] + c.trim_iod * self.iod
        filled, self.filled_origin = np.zeros((1, 1, 3), np.float32), (0, 0)
        seam_colour = np.array([60.0, 32.0, 30.0])
        if image is not None:
            *reference, lip_rgb = _lip_reference(image, frame, knots[0].numpy(), rows)
            seam_colour = c.seam_tone * lip_rgb
            upper_edge, lower_edge = _lip_edges(image, frame, knots[0].numpy(), rows, reference)
            filled, self.filled_origin = _fill_lips(image, pts, reference, self.iod)
        self.register_buffer("filled", torch.tensor(filled).permute(2, 0, 1)[None].contiguous())
        self.register_buffer("seam_colour", torch.tensor(seam_colour, dtype=torch.float32).view(
            1, 3, 1, 1))  # fmt: skip
        grid = np.linspace(-1.0, 1.0, TABLE_SIZE)
        edges = np.stack([np.interp(grid, knots[0].numpy(), e) for e in (upper_edge, lower_edge)])
        edges = torch.tensor(edges[None], dtype=torch.float32)
        # The portrait's four contours, then its lips' real inner edges: (1, 6, N).
        self.register_buffer("source_table", torch.cat([contour_table(src, frame), edges], 1))
        # Each inner-lip point's place between the outer contours, as a share of the lips'
        # full height at its u: the spline moves it with the lips, never squeezing the opening.
        u, v = to_mouth(src[:, INNER], frame)
        top, _, _, bottom = contour_rows(src, frame, u)
        share = ((v - top) / (bottom - top).clamp_min(1e-3)).clamp(0, 1)
        self.register_buffer("inner_share", share[0])  # (18,)

    def spline_targets(self, targets: torch.Tensor) -> torch.Tensor:
        """Targets (B, 478, 2+) with the inner lips where the spline should take them."""
        frame = mouth_frame(targets)
        u, _ = to_mouth(targets[:, INNER, :2], frame)
        top, _, _, bottom = contour_rows(targets, frame, u)
        v = top + self.inner_share * (bottom - top)
        center, ex, ey, half = frame
        xy = center[:, None] + (u * half)[..., None] * ex[:, None] + v[..., None] * ey[:, None]
        out = targets.clone()
        out[:, INNER, :2] = xy.to(targets.dtype)
        return out

    def box(self, targets: torch.Tensor, roi: tuple[int, int, int, int]):
        """Integer (x0, y0, x1, y1) box around the lips of all frames plus the blend margin."""
        x0, y0, x1, y1 = roi
        xy = targets[:, list(topo.LIPS_ALL), :2].reshape(-1, 2)
        m = self.config.blend_iod * self.iod + 2
        bx0 = max(x0, int((xy[:, 0].min() - m).floor()))
        by0 = max(y0, int((xy[:, 1].min() - m).floor()))
        bx1 = min(x1, int((xy[:, 0].max() + m).ceil()) + 1)
        by1 = min(y1, int((xy[:, 1].max() + m).ceil()) + 1)
        return bx0, by0, max(bx1, bx0 + 1), max(by1, by0 + 1)

    def forward(
        self, coords: torch.Tensor, targets: torch.Tensor, roi: tuple[int, int, int, int]
    ) -> tuple[torch.Tensor, tuple[int, int, int, int], torch.Tensor, torch.Tensor]:
        """coords (B, h, w, 2) source px for the ROI (changed in place) -> (coords, lip box, seam
        (B, 1, bh, bw):
        how much of `seam_colour` to lay over the box, fill (B, 1, bh, bw): how much of the
        box to take from `sample_filled` instead of the portrait: on the lips only)."""
        c = self.config
        targets = targets[..., :2].float()
        B = targets.shape[0]
        bx0, by0, bx1, by1 = box = self.box(targets, roi)
        x0, y0 = roi[:2]
        dev = targets.device
        xs = torch.arange(bx0, bx1, device=dev, dtype=torch.float32)
        ys = torch.arange(by0, by1, device=dev, dtype=torch.float32)
        pix = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None]  # (1, bh, bw, 2)
        frame_t = mouth_frame(targets)
        u, v = to_mouth(pix.expand(B, -1, -1, -1), frame_t)  # (B, bh, bw)
        tables = torch.cat([contour_table(targets, frame_t),
                            self.source_table.expand(B, -1, -1)], 1)  # fmt: skip
        a_t, b_t, c_t, d_t, a_s, b_s, c_s, d_s, b_clear, c_clear = lookup(tables, u).unbind(1)
        frame_s = mouth_frame(self.source[None].expand(B, -1, -1))
        # Closing over an opening: sample the lips clear of their inner edges (a portrait whose
        # lips already meet, seam and all, is sampled as it is).
        gap_s, gap_t = (c_s - b_s).clamp_min(0), (c_t - b_t).clamp_min(0)
        closing = ((gap_s - gap_t) / gap_s.clamp_min(1e-3)).clamp(0, 1)
        closing = closing * (gap_s / OPEN_PX).clamp(max=1)
        b_s = torch.lerp(b_s, b_clear, closing)
        c_s = torch.lerp(c_s, c_clear, closing)
        v_s = torch.where(v < a_t, a_s + (v - a_t), d_s + (v - d_t))
        for lo_t, hi_t, lo_s, hi_s in ((a_t, b_t, a_s, b_s), (b_t, c_t, b_s, c_s),
                                       (c_t, d_t, c_s, d_s)):  # fmt: skip
            inside = (v >= lo_t) & (v < hi_t)
            t = (v - lo_t) / (hi_t - lo_t).clamp_min(1e-4)
            v_s = torch.where(inside, lo_s + t * (hi_s - lo_s), v_s)
        center, ex, ey, half = frame_s
        half = half.view(B, 1, 1)
        along = u * half
        mapped = torch.stack([
            center[:, 0, None, None] + along * ex[:, 0, None, None] + v_s * ey[:, 0, None, None],
            center[:, 1, None, None] + along * ex[:, 1, None, None] + v_s * ey[:, 1, None, None],
        ], -1)  # fmt: skip
        # Full weight on the lips, handing over to the spline beyond them.
        reach = c.blend_iod * self.iod
        beyond = torch.maximum(a_t - v, v - d_t).clamp_min(0) / reach
        sideways = (u.abs() - 1).clamp_min(0) * half / reach
        weight = _fade(beyond) * _fade(sideways)  # (B, bh, bw)
        region = coords[:, by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]  # a view: set in place
        region.lerp_(mapped, weight[..., None])
        seam = self.seam(u, v, b_t, c_t, gap_s)
        # How much the mouth closed, per frame (per column it would step at the corners).
        src_gap = (self.source[INNER[9:], 1] - self.source[INNER[:9], 1]).clamp_min(0)  # (9,)
        tgt_gap = (targets[:, INNER[9:], 1] - targets[:, INNER[:9], 1]).clamp_min(0)  # (B, 9)
        shut = ((src_gap.max() - tgt_gap.amax(1)) / src_gap.max().clamp_min(1e-3)).clamp(0, 1)
        shut = shut * (src_gap.max() / OPEN_PX).clamp(max=1)
        # The filled copy goes on the lips only. Inside the target's opening the interior is
        # painted over the portrait's own opening, and lip there would show through its soft
        # edge and narrow the opening: a wide-open portrait, whose every vowel is a closing
        # over its own opening, read at two thirds of the size asked for. A mere slit is still
        # lip on both sides.
        outside = ((b_t - v).clamp_min(0) + (v - c_t).clamp_min(0)).clamp(max=1.0)
        slit = (SLIT_IOD[1] * self.iod - gap_t) / ((SLIT_IOD[1] - SLIT_IOD[0]) * self.iod)
        on_lips = torch.maximum(outside, slit.clamp(0, 1))
        fill = (weight * shut.view(B, 1, 1) * on_lips)[:, None]  # (B, 1, bh, bw)
        return coords, box, seam[:, None], fill

    def sample_filled(self, coords: torch.Tensor) -> torch.Tensor:
        """The portrait with its opening filled by lip, at source px `coords` (B, h, w, 2)
        -> (B, 3, h, w)."""
        th, tw = self.filled.shape[-2:]
        ox, oy = self.filled_origin
        grid = torch.stack([(coords[..., 0] - ox) * (2.0 / max(tw - 1, 1)) - 1.0,
                            (coords[..., 1] - oy) * (2.0 / max(th - 1, 1)) - 1.0], -1)  # fmt: skip
        return torch.nn.functional.grid_sample(
            self.filled.expand(coords.shape[0], -1, -1, -1), grid, mode="bilinear",
            padding_mode="border", align_corners=True,
        )  # fmt: skip

    def seam(self, u, v, b_t, c_t, gap_s) -> torch.Tensor:
        """(B, bh, bw) how much of `seam_colour` to lay where the lips touch over what was an
        opening (a portrait's own closed lips bring their own seam): a thin line with the upper
        lip's soft shadow below it, fading out at the very corners."""
        c = self.config
        width = max(c.min_seam_width_px, c.seam_width_iod * self.iod)
        gap_t = (c_t - b_t).clamp_min(0)
        line = (b_t + c_t) / 2
        closing = ((gap_s - gap_t) / gap_s.clamp_min(1e-3)).clamp(0, 1)
        touching = (1 - gap_t / 1.5).clamp(0, 1) * (gap_s / (2 * width + 1.0)).clamp(0, 1)
        au = u.abs()
        along = (c.seam_depth + c.seam_corner_depth * au**2) * _fade((au - 0.75) / 0.25)
        core = torch.exp(-0.5 * ((v - line) / width) ** 2)
        shadow = torch.exp(-0.5 * ((v - line - 2 * width) / (2.5 * width)) ** 2)
        dark = along * core + c.shadow_depth * shadow * _fade((au - 0.8) / 0.2)
        return (dark * touching * closing).clamp(0, 0.9)


def _fade(x: torch.Tensor) -> torch.Tensor:
    """1 at 0 falling smoothly to 0 at 1."""
    t = x.clamp(0, 1)
    return 1 - t * t * (3 - 2 * t)


def _lip_edges(image: np.ndarray, frame, us: np.ndarray, rows, reference):
    """(C,) v of the upper lip's lowest and the lower lip's highest lip-coloured pixel at each
    u of `us`, from the landmarks' inner contour: where it sits on lip (landmarks often put
    an open mouth's inner contour inside the lower lip), inwards to the last lip-like sample;
    where it sits on teeth or cavity, outwards to the first two lip-like samples in a row. At
    least a fifth of the lip is kept; never past the opening's middle."""
    a, b, cc, d = rows
    middle = (b + cc) / 2
    upper, lower = b.copy(), cc.copy()
    for edge, outer, inner, sign, lip in ((upper, a, b, -1.0, reference[0]),
                                          (lower, d, cc, 1.0, reference[1])):  # fmt: skip
        keep = outer + 0.2 * (inner - outer)  # never further out than this
        reach_out, reach_in = np.abs(keep - inner), np.abs(middle - inner)
        n_out = int(np.ceil(reach_out.max() / EDGE_STEP_PX)) + 1
        n_in = int(np.ceil(reach_in.max() / EDGE_STEP_PX)) + 1
        steps = np.concatenate([-np.arange(n_in)[::-1], np.arange(1, n_out)]) * EDGE_STEP_PX
        offset = np.clip(steps[None], -reach_in[:, None], reach_out[:, None])  # (C, S)
        vs = inner[:, None] + sign * offset  # outwards for positive steps
        colours = _sample(image, frame, np.repeat(us[:, None], len(steps), 1), vs)
        lip_like = _lip_like(colours, lip)
        at = n_in - 1  # the column of the contour itself
        for k in range(len(us)):
            if lip_like[k, at]:
                inwards = lip_like[k, : at + 1][::-1]  # from the contour towards the middle
                off = np.flatnonzero(~inwards)
                last = at - (off[0] - 1 if len(off) else at)
                edge[k] = vs[k, last] + sign * 0.5  # half a pixel back into the lip
                continue
            out = lip_like[k, at:]
            settled = np.flatnonzero(out[:-1] & out[1:])
            found = vs[k, at + settled[0]] + sign * 0.5 if len(settled) else keep[k]
            edge[k] = min(found, keep[k]) if sign > 0 else max(found, keep[k])
    return upper, lower


def _sample(image: np.ndarray, frame, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Colours (..., 3) of the portrait at mouth-frame coordinates u, v (...)."""
    import cv2

    center, ex, ey, half = (t[0].numpy().astype(np.float64) for t in frame)
    xy = (center + (u * half)[..., None] * ex + v[..., None] * ey).astype(np.float32)
    flat = xy.reshape(-1, 1, 2)
    out = cv2.remap(image.astype(np.float32), flat[..., 0], flat[..., 1], cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return out.reshape(*xy.shape[:-1], 3)


def _luma_red(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    luma = rgb @ LUMA.astype(np.float32)
    return luma, (rgb[..., 0] - rgb[..., 1]) / np.maximum(luma, 1.0)


def _lip_reference(image: np.ndarray, frame, us: np.ndarray, rows):
    """((luma, redness) of the upper lip, of the lower lip, median RGB (3,) of both), each
    along the middle of its lip (a lower lip often shines, an upper one is often shaded)."""
    a, b, cc, d = rows
    upper = _sample(image, frame, us, (a + b) / 2).reshape(-1, 3)
    lower = _sample(image, frame, us, (cc + d) / 2).reshape(-1, 3)
    refs = [tuple(float(np.median(x)) for x in _luma_red(lip)) for lip in (upper, lower)]
    return refs[0], refs[1], np.median(np.concatenate([upper, lower]), 0)


def _lip_like(rgb: np.ndarray, reference: tuple[float, float]) -> np.ndarray:
    """Whether colours (..., 3) pass for lip: not much darker (the cavity), and not brighter
    unless as red (teeth are bright and pale; a lip's highlight stays red)."""
    ref_luma, ref_red = reference
    luma, red = _luma_red(rgb)
    ratio = luma / max(ref_luma, 1.0)
    reddish = (red > 0.6 * ref_red) if ref_red > 0.05 else np.zeros_like(red, bool)
    return (ratio >= LIP_LUMA_RANGE[0]) & ((ratio <= LIP_LUMA_RANGE[1]) | reddish)


def _fill_lips(image: np.ndarray, points: np.ndarray, reference, iod: float):
    """(crop (h, w, 3) float32, origin (x, y) px): the portrait around the lips with every
    pixel inside the lips that is not lip (teeth, the cavity) painted over from the lip
    around it, so lips closing over an opening find lip wherever they sample. `reference`:
    (luma, redness) of the upper lip and of the lower lip."""
    import cv2

    h_img, w_img = image.shape[:2]
    xy = points[list(topo.LIPS_ALL), :2]
    m = FILL_MARGIN_IOD * iod + 4  # room for every place the layer samples around the lips
    x0, y0 = int(max(0, np.floor(xy[:, 0].min() - m))), int(max(0, np.floor(xy[:, 1].min() - m)))
    x1 = int(min(w_img, np.ceil(xy[:, 0].max() + m)))
    y1 = int(min(h_img, np.ceil(xy[:, 1].max() + m)))
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    outer = np.concatenate([points[list(topo.LIPS_OUTER_UPPER), :2],
                            points[list(topo.LIPS_OUTER_LOWER[::-1]), :2]]) - [x0, y0]  # fmt: skip
    inner = np.concatenate([points[list(topo.LIPS_INNER_UPPER), :2],
                            points[list(topo.LIPS_INNER_LOWER[::-1]), :2]]) - [x0, y0]  # fmt: skip
    lips = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(outer).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((3, 3), np.uint8))
    opening = np.zeros_like(lips)
    cv2.fillPoly(opening, [np.round(inner).astype(np.int32)], 1)
    # Teeth can only be in the opening (a lip's highlight is as bright), the cavity's dark
    # corners also reach past the landmarks into the lips.
    grow = max(3, int(round(0.04 * iod)) * 2 + 1)
    near_opening = cv2.dilate(opening, np.ones((grow, grow), np.uint8)) > 0
    colour = crop.astype(np.float32)
    luma, _ = _luma_red(colour)
    dark = luma < CAVITY_UNDER_LIP * min(reference[0][0], reference[1][0])
    lip_like = _lip_like(colour, reference[0]) | _lip_like(colour, reference[1])
    bad = (opening > 0) | ((lips > 0) & dark) | (near_opening & ~lip_like)
    bad = cv2.dilate(bad.astype(np.uint8), np.ones((3, 3), np.uint8))
    radius = max(2.0, 0.05 * iod)
    filled = cv2.inpaint(crop, bad, radius, cv2.INPAINT_TELEA)
    return filled.astype(np.float32), (x0, y0)
