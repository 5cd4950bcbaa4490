"""Synthesized mouth interior: cavity shading, upper and lower teeth and a hint of tongue.

A warp can only stretch the lips, so wherever the target inner-lip contour opens wider than the
portrait's own mouth, the inside is painted procedurally in a mouth-aligned coordinate system:
u runs corner to corner (-1..1), v is the distance (px) below the mouth axis. The upper teeth
hang from the upper lip (skull), the lower teeth and the tongue rise from the lower lip (jaw).
Colours come from the portrait itself (lip colour, its white, and for grayscale or sepia
photographs its tone curve), so the interior matches old photographs too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import topology as topo

SEAM_TABLE_SIZE = 512  # resolution of the tooth-gap profile across the mouth


@dataclass(frozen=True)
class MouthConfig:
    upper_teeth_iod: float = 0.115  # visible height of the upper incisors below the upper lip
    lower_teeth_iod: float = 0.07  # visible height of the lower incisors above the lower lip
    teeth_span: float = 0.78  # |u| where the teeth fade into the dark corners
    tongue_iod: float = 0.12  # tallest the tongue shows above the lower lip
    edge_softness_px: float = 0.6  # anti-aliasing width of the lip edges
    open_threshold_px: float = 0.6  # opening beyond the portrait's own before we paint
    open_ramp_px: float = 2.0  # opening over which the interior fades fully in
    margin_px: int = 3  # padding of the painted box around the inner lips


@dataclass(frozen=True)
class MouthPalette:
    cavity: tuple[float, float, float]  # RGB 0..255 of the deep mouth
    tongue: tuple[float, float, float]  # RGB of the tongue
    teeth: tuple[float, float, float]  # RGB of lit teeth
    lips_shadow: tuple[float, float, float]  # RGB of the shadow the lips cast inwards


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114])


def estimate_palette(image: np.ndarray, points: np.ndarray) -> MouthPalette:
    """Colours for the interior, taken from the portrait (H, W, 3) and its landmarks (478, 3)."""
    import cv2

    h, w = image.shape[:2]
    img = image.astype(np.float64)
    outer = np.concatenate([points[list(topo.LIPS_OUTER_UPPER), :2],
                            points[list(topo.LIPS_OUTER_LOWER[::-1]), :2]])  # fmt: skip
    inner = np.concatenate([points[list(topo.LIPS_INNER_UPPER), :2],
                            points[list(topo.LIPS_INNER_LOWER[::-1]), :2]])  # fmt: skip
    lip_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lip_mask, [np.round(outer).astype(np.int32)], 1)
    inner_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inner_mask, [np.round(inner).astype(np.int32)], 1)
    lips = img[(lip_mask > 0) & (inner_mask == 0)]
    lip = lips.mean(0) if len(lips) else np.array([150.0, 80.0, 80.0])
    # Face pixels (inside the oval, below the brows) give the skin and the tone curve.
    face_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face_mask, [np.round(points[list(topo.FACE_OVAL), :2]).astype(np.int32)], 1)
    face = img[face_mask > 0]
    if len(face) < 20:
        face = img.reshape(-1, 3)
    luma = _luma(face)
    # Teeth: the portrait's own if its mouth shows them, else ivory at the face's exposure.
    inside = img[inner_mask > 0]
    if len(inside) >= 12 and _luma(inside).max() > np.percentile(luma, 60):
        bright = inside[_luma(inside) >= np.percentile(_luma(inside), 80)]
        teeth = bright.mean(0)
    else:
        exposure = np.clip(np.percentile(luma, 90) / 200.0, 0.6, 1.15)
        teeth = np.array([236.0, 228.0, 210.0]) * exposure
    # A dark, lip-tinted cavity and a tongue in its shade (lit tongues read as lip tissue).
    cavity = lip * np.array([0.25, 0.13, 0.13]) + 6.0
    tongue = lip * np.array([0.62, 0.43, 0.43]) + np.array([8.0, 0.0, 0.0])
    shadow = lip * 0.45
    colours = np.stack([cavity, tongue, teeth, shadow])
    # Monochrome photographs (grayscale, sepia): every colour is a function of brightness.
    # Regress each channel on luma over the whole picture (a face alone is nearly one hue even
    # in colour, so it cannot tell); if that explains the colours, map ours through it too.
    every = img.reshape(-1, 3)[:: max(1, (h * w) // 20_000)]
    design = np.stack([_luma(every), np.ones(len(every))], 1)
    coef, *_ = np.linalg.lstsq(design, every, rcond=None)
    spread = every.std(0).sum() + 1e-6
    unexplained = np.sqrt(np.mean((every - design @ coef) ** 2, 0)).sum() / spread
    if unexplained < 0.12:
        mapped = np.stack([_luma(colours), np.ones(len(colours))], 1) @ coef
        colours = mapped
    colours = np.clip(colours, 0, 255)
    return MouthPalette(*(tuple(map(float, c)) for c in colours))


class MouthInterior(nn.Module):
    """Paints the mouth interior for a batch of frames inside a fixed pixel box.

    forward(target (B, 478, 2) px, box) -> (rgb (B, 3, bh, bw) 0..255, alpha (B, 1, bh, bw)).
    """

    def __init__(
        self,
        source_points: np.ndarray,  # (478, 3) px: the portrait's own mouth
        palette: MouthPalette,
        config: MouthConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = config or MouthConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        self.iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2]
                                        - pts[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
        gap = pts[list(topo.LIPS_INNER_LOWER[1:-1]), 1] - pts[list(topo.LIPS_INNER_UPPER[1:-1]), 1]
        self.register_buffer("source_gap", torch.tensor(gap, dtype=torch.float32))  # (9,)
        for name in ("cavity", "tongue", "teeth", "lips_shadow"):
            self.register_buffer(name, torch.tensor(getattr(palette, name)).view(1, 3, 1, 1))
        # Darkening between neighbouring teeth as a function of u, tabulated once.
        u = np.linspace(-1, 1, SEAM_TABLE_SIZE)
        seams = sum(np.exp(-(((u - k) / 0.018) ** 2)) * (0.7 if k == 0 else 0.45)
                    for k in (0.0, 0.17, -0.17, 0.32, -0.32, 0.45, -0.45, 0.57, -0.57))  # fmt: skip
        seams[seams < 1e-6] = 0.0  # no float32 denormals (slow)
        self.register_buffer("seam_table", torch.tensor(seams, dtype=torch.float32))
        self.upper_ids = list(topo.LIPS_INNER_UPPER)
        self.lower_ids = list(topo.LIPS_INNER_LOWER)

    def box(self, targets: torch.Tensor, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer (x0, y0, x1, y1) box holding the inner lips of all frames in the batch."""
        ids = self.upper_ids + self.lower_ids
        xy = targets[:, ids, :2].reshape(-1, 2)
        m = self.config.margin_px
        x0 = max(0, int(xy[:, 0].min().floor()) - m)
        y0 = max(0, int(xy[:, 1].min().floor()) - m)
        x1 = min(width, int(xy[:, 0].max().ceil()) + m + 1)
        y1 = min(height, int(xy[:, 1].max().ceil()) + m + 1)
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def forward(
        self, targets: torch.Tensor, box: tuple[int, int, int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        dev = targets.device
        x0, y0, x1, y1 = box
        L = self.iod
        up = targets[:, self.upper_ids, :2].float()  # (B, 11, 2)
        low = targets[:, self.lower_ids, :2].float()  # (B, 11, 2)
        left, right = up[:, 0], up[:, -1]  # inner corners (B, 2)
        center = (left + right) / 2
        ex = right - left
        half = ex.norm(dim=-1, keepdim=True).clamp_min(1e-3) / 2  # (B, 1)
        ex = ex / (2 * half)
        ey = torch.stack([-ex[:, 1], ex[:, 0]], -1)

        def to_uv(xy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            rel = xy - center.view(-1, *([1] * (xy.dim() - 2)), 2)
            u = (rel * ex.view(-1, *([1] * (xy.dim() - 2)), 2)).sum(-1)
            v = (rel * ey.view(-1, *([1] * (xy.dim() - 2)), 2)).sum(-1)
            return u / half.view(-1, *([1] * (xy.dim() - 2))), v

        ys = torch.arange(y0, y1, device=dev, dtype=torch.float32)
        xs = torch.arange(x0, x1, device=dev, dtype=torch.float32)
        pix = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None]  # (1, bh, bw, 2)
        u, v = to_uv(pix.expand(targets.shape[0], -1, -1, -1))  # (B, bh, bw)
        uu, vu = to_uv(up)  # (B, 11)
        ul, vl = to_uv(low)
        v_up = _interp(u, uu, vu)  # (B, bh, bw) upper inner-lip edge at each pixel's u
        v_low = _interp(u, ul, vl)
        gap = (v_low - v_up).clamp_min(0.0)
        s = c.edge_softness_px
        inside = _sig((v - v_up) / s) * _sig((v_low - v) / s)
        inside = inside * (u.abs() < 1.0)

        # How much wider than the portrait's own mouth: paint only the extra opening.
        tgt_gap = (low[:, 1:-1] - up[:, 1:-1])[..., 1]  # (B, 9) roughly vertical gaps
        extra = (tgt_gap - self.source_gap).max(dim=1).values  # (B,)
        strength = ((extra - c.open_threshold_px) / c.open_ramp_px).clamp(0, 1)
        strength = strength * strength * (3 - 2 * strength)

        au = u.abs()
        t_up = (v - v_up).clamp_min(0)  # px below the upper lip edge
        t_low = (v_low - v).clamp_min(0)  # px above the lower lip edge
        # Cavity: darkest deep in the middle and towards the corners, lighter under the lips.
        depth = _exp(-torch.minimum(t_up, t_low) / (0.05 * L))
        rgb = self.cavity * (0.55 + 0.45 * depth[:, None]) * (0.7 + 0.3 * (1 - au**2))[:, None]
        # Tongue: a low dome rising from the lower lip, shaded towards the back.
        dome = (1 - (au / 0.62).clamp(max=1) ** 2).clamp_min(0)
        tongue_top = v_low - torch.minimum(0.5 * gap, torch.full_like(gap, c.tongue_iod * L)) * dome
        m_tongue = _sig((v - tongue_top) / (s * 1.5)) * (dome > 0)
        tongue_shade = 0.65 + 0.35 * ((v - tongue_top) / (0.06 * L)).clamp(0, 1)
        rgb = torch.lerp(rgb, self.tongue * tongue_shade[:, None], m_tongue[:, None])
        # Teeth: bright in front, darker round the arch; small gaps between incisors.
        arch = (1 - (au / c.teeth_span).clamp(max=1) ** 2).clamp_min(0).sqrt()
        table_idx = ((u.clamp(-1, 1) + 1) * (SEAM_TABLE_SIZE - 1) / 2).round().long()
        seams = self.seam_table[table_idx]
        tooth_light = (0.45 + 0.55 * arch) * (1 - 0.35 * seams.clamp(max=1))
        lower_show = ((gap - 0.08 * L) / (0.12 * L)).clamp(0, 1)
        lower_edge = v_low - c.lower_teeth_iod * L * (1 - 0.45 * au**2) * lower_show
        m_lower = _sig((v - lower_edge) / s) * (arch > 0) * (lower_show > 0)
        rgb = torch.lerp(rgb, self.teeth * (0.72 * tooth_light)[:, None], m_lower[:, None])
        upper_edge = v_up + c.upper_teeth_iod * L * (1 - 0.3 * au**2)
        m_upper = _sig((upper_edge - v) / s) * (arch > 0)
        under_lip = 0.72 + 0.28 * (t_up / (0.035 * L)).clamp(0, 1)
        rgb = torch.lerp(rgb, self.teeth * (tooth_light * under_lip)[:, None], m_upper[:, None])
        # The lips cast a soft shadow just inside the opening.
        rim = _exp(-torch.minimum(t_up, t_low) / max(0.6, 0.02 * L))
        rgb = torch.lerp(rgb, self.lips_shadow.expand_as(rgb), (0.35 * rim)[:, None])
        alpha = (inside * strength.view(-1, 1, 1))[:, None]  # (B, 1, bh, bw)
        return rgb.clamp(0, 255), alpha


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation per batch item: x (B, ...), knots xp, fp (B, K)."""
    order = xp.argsort(dim=1)
    xp = xp.gather(1, order)
    fp = fp.gather(1, order)
    flat = x.reshape(x.shape[0], -1)
    idx = torch.searchsorted(xp.contiguous(), flat.contiguous()).clamp(1, xp.shape[1] - 1)
    x_lo, x_hi = xp.gather(1, idx - 1), xp.gather(1, idx)
    f_lo, f_hi = fp.gather(1, idx - 1), fp.gather(1, idx)
    t = ((flat - x_lo) / (x_hi - x_lo).clamp_min(1e-6)).clamp(0, 1)
    return (f_lo + t * (f_hi - f_lo)).view_as(x)


def _sig(x: torch.Tensor) -> torch.Tensor:
    # Clamped: far tails would produce float denormals, which are ~50x slower on CPUs.
    return torch.sigmoid(x.clamp(-30.0, 30.0))


def _exp(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x.clamp_min(-60.0))
