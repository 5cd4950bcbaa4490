"""Dense backward warp: thin-plate spline from target to source landmarks on a coarse grid.

For every output pixel we need where to sample the portrait, so the spline is fitted per frame
with the *target* landmarks as centres and the *source* positions as values (lips that part are
then a compression, never a tear). It is evaluated on a grid a few pixels apart and upsampled
bilinearly (FACTS: 60-100 fps at 512² versus ~2 fps at full resolution). Anchors on an ellipse
around the head map to themselves and the displacement is faded to zero there, so the
background outside the head never moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import topology as topo


@dataclass(frozen=True)
class WarpConfig:
    grid_step_iod: float = 1 / 13  # spacing of the coarse grid, in inter-ocular distances
    min_grid_step_px: float = 2.0  # never evaluate the spline closer than this
    regularization: float = 2e-4  # TPS smoothing (IOD² units); >0 keeps close points stable
    support_scale: tuple[float, float] = (1.75, 1.55)  # head ellipse radii / face-oval radii (x, y)
    falloff: float = 0.35  # share of the ellipse radius over which the warp fades out
    n_anchors: int = 20  # fixed points on the support ellipse
    extra_points: int = 30  # mesh points added by farthest-point sampling beyond the contours
    chunk_frames: int = 8  # frames whose spline kernels are held in memory at once


def control_indices(source_points: np.ndarray, extra: int) -> np.ndarray:
    """Contours (lips, eye corners and lower lids, brows, oval, nose) + evenly spread points.

    The upper lids and irises are left out: blinks and glances are drawn by the eyelid layer.
    """
    # Every lip point (the mouth needs them all); the slower-moving contours thinned out.
    base = sorted(
        set(topo.LIPS_ALL + topo.RIGHT_EYE_LOWER[::2] + topo.LEFT_EYE_LOWER[::2]
            + topo.RIGHT_EYEBROW[::2] + topo.LEFT_EYEBROW[::2] + topo.FACE_OVAL[::2]
            + topo.NOSE[::2])
    )  # fmt: skip
    xy = np.asarray(source_points)[: topo.N_FACE_POINTS, :2].copy()
    excluded = list(topo.RIGHT_EYE_UPPER[1:-1] + topo.LEFT_EYE_UPPER[1:-1])
    chosen = list(base)
    dist = np.min(np.linalg.norm(xy[:, None] - xy[chosen][None], axis=2), axis=1)
    dist[excluded] = 0.0
    inside_eyes = _inside_eyes(xy)
    dist[inside_eyes] = 0.0
    for _ in range(extra):
        i = int(np.argmax(dist))
        if dist[i] <= 0:
            break
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(xy - xy[i], axis=1))
    return np.array(sorted(chosen), dtype=np.int64)


def _inside_eyes(xy: np.ndarray) -> np.ndarray:
    """Mask of mesh points within the eye openings or on the upper lids' skin."""
    import cv2

    mask = np.zeros(len(xy), dtype=bool)
    for upper, lower in ((topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
                         (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER)):  # fmt: skip
        contour = np.concatenate([xy[list(upper)], xy[list(lower[::-1])]]).astype(np.float32)
        center = contour.mean(0)
        grown = (contour - center) * 1.6 + center  # include the lid fold above the lash line
        for i, p in enumerate(xy):
            if cv2.pointPolygonTest(grown, (float(p[0]), float(p[1])), False) >= 0:
                mask[i] = True
    for i in topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_LOWER:
        mask[i] = False
    return mask


@dataclass(frozen=True)
class HeadSupport:
    """Ellipse (in image pixels) outside which nothing moves."""

    center: tuple[float, float]  # (x, y) px
    radii: tuple[float, float]  # semi-axes along `axes` rows, px
    axes: np.ndarray  # (2, 2) unit vectors: face x (eye line), face y (down)

    @staticmethod
    def from_landmarks(points: np.ndarray, config: WarpConfig) -> HeadSupport:
        right = points[topo.RIGHT_IRIS_CENTER, :2]
        left = points[topo.LEFT_IRIS_CENTER, :2]
        ex = (left - right) / np.linalg.norm(left - right)
        axes = np.stack([ex, [-ex[1], ex[0]]])
        oval = points[list(topo.FACE_OVAL), :2]
        local = oval @ axes.T
        lo, hi = local.min(0), local.max(0)
        center_local = (lo + hi) / 2
        # The oval's top is the hairline: shift the ellipse up a little to hold the hair.
        half = (hi - lo) / 2
        center_local[1] -= 0.12 * half[1]
        center = center_local @ axes
        radii = half * np.array(config.support_scale)
        return HeadSupport((float(center[0]), float(center[1])), tuple(map(float, radii)), axes)

    def bbox(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer (x0, y0, x1, y1) box holding the ellipse, clipped to the image."""
        ex, ey = self.axes
        ext_x = np.hypot(self.radii[0] * ex[0], self.radii[1] * ey[0])
        ext_y = np.hypot(self.radii[0] * ex[1], self.radii[1] * ey[1])
        cx, cy = self.center
        x0 = max(0, int(np.floor(cx - ext_x)) - 1)
        y0 = max(0, int(np.floor(cy - ext_y)) - 1)
        x1 = min(width, int(np.ceil(cx + ext_x)) + 2)
        y1 = min(height, int(np.ceil(cy + ext_y)) + 2)
        return x0, y0, x1, y1

    def radius(self, xy: np.ndarray) -> np.ndarray:
        """Normalised elliptic radius of points (..., 2): 1 on the ellipse."""
        rel = (xy - np.array(self.center)) @ self.axes.T
        return np.hypot(rel[..., 0] / self.radii[0], rel[..., 1] / self.radii[1])

    def anchors(self, n: int) -> np.ndarray:
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
        local = np.stack([np.cos(angles) * self.radii[0], np.sin(angles) * self.radii[1]], 1)
        return local @ self.axes + np.array(self.center)


class ThinPlateWarp(nn.Module):
    """Target landmarks (B, N, 2) -> absolute source sampling coordinates (B, h, w, 2) in px.

    Built once per portrait: the source control points, the anchors, the ROI and its coarse
    grid are fixed; only the target positions change per frame.
    """

    def __init__(
        self,
        source_points: np.ndarray,  # (478, 3) px in the output image
        image_size: tuple[int, int],  # (width, height) of the output image
        config: WarpConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = c = config or WarpConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        iod = float(
            np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2] - pts[topo.RIGHT_IRIS_CENTER, :2])
        )
        self.support = HeadSupport.from_landmarks(pts, c)
        self.roi = self.support.bbox(*image_size)  # (x0, y0, x1, y1)
        x0, y0, x1, y1 = self.roi
        self.roi_size = (x1 - x0, y1 - y0)  # (w, h)
        self.indices = control_indices(pts, c.extra_points)
        anchors = self.support.anchors(c.n_anchors)
        step = max(c.min_grid_step_px, c.grid_step_iod * iod)
        gw = max(2, int(np.ceil((x1 - x0 - 1) / step)) + 1)
        gh = max(2, int(np.ceil((y1 - y0 - 1) / step)) + 1)
        gx = np.linspace(x0, x1 - 1, gw)
        gy = np.linspace(y0, y1 - 1, gh)
        grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)  # (G, 2) px
        r = self.support.radius(grid)
        fade = 1.0 - _smoothstep(1.0 - c.falloff, 1.0, r)
        # Normalise coordinates (centre, IOD units) so the spline system is well conditioned.
        self.scale = iod
        self.offset = np.array(self.support.center)
        f32 = torch.float32
        self.register_buffer("source_ctrl", torch.tensor(
            self._norm(np.concatenate([pts[self.indices, :2], anchors])), dtype=f32))  # fmt: skip
        self.register_buffer("anchors", torch.tensor(self._norm(anchors), dtype=f32))
        self.register_buffer("grid", torch.tensor(self._norm(grid), dtype=f32))  # (G, 2)
        self.register_buffer("fade", torch.tensor(fade, dtype=f32))  # (G,)
        self.grid_shape = (gh, gw)
        self.register_buffer(
            "pixel_grid",
            torch.stack(torch.meshgrid(torch.arange(x0, x1, dtype=f32),
                                       torch.arange(y0, y1, dtype=f32), indexing="xy"), -1),
        )  # (h, w, 2) absolute px  # fmt: skip
        radius_full = self.support.radius(self.pixel_grid.numpy().astype(np.float64))
        fade_full = 1.0 - _smoothstep(1.0 - c.falloff, 1.0, radius_full)
        # Paste-back alpha: 1 inside the head, feathered to 0 at the ellipse (the seam).
        self.register_buffer("paste_alpha", torch.tensor(fade_full, dtype=f32))  # (h, w)

    def _norm(self, xy: np.ndarray) -> np.ndarray:
        return (xy - self.offset) / self.scale

    def forward(self, target_points: torch.Tensor) -> torch.Tensor:
        """(B, 478, 2+) target px -> (B, h, w, 2) source px to sample for each ROI pixel."""
        B = target_points.shape[0]
        dev = self.grid.device
        offset = torch.tensor(self.offset, dtype=torch.float32, device=dev)
        tgt = (target_points[:, self.indices, :2].to(dev, torch.float32) - offset) / self.scale
        tgt = torch.cat([tgt, self.anchors.expand(B, -1, -1)], 1)  # (B, N, 2)
        src = self.source_ctrl.expand(B, -1, -1)  # (B, N, 2)
        coarse = []
        for s in range(0, B, self.config.chunk_frames):
            coarse.append(self._tps(tgt[s : s + self.config.chunk_frames],
                                    src[s : s + self.config.chunk_frames]))  # fmt: skip
        mapped = torch.cat(coarse)  # (B, G, 2) normalised source coordinates
        disp = (mapped - self.grid) * self.fade[None, :, None] * self.scale  # (B, G, 2) px
        gh, gw = self.grid_shape
        disp = disp.view(B, gh, gw, 2).permute(0, 3, 1, 2)  # (B, 2, gh, gw)
        w, h = self.roi_size
        dense = F.interpolate(disp, size=(h, w), mode="bilinear", align_corners=True)
        return self.pixel_grid + dense.permute(0, 2, 3, 1)  # (B, h, w, 2)

    def _tps(self, ctrl: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """Fit f(ctrl) = values per batch item and evaluate it on the grid. (b, G, 2)."""
        b, n, _ = ctrl.shape
        kernel = _tps_kernel(_sq_dist(ctrl, ctrl))  # (b, n, n)
        kernel = kernel + self.config.regularization * torch.eye(n, device=ctrl.device)
        ones = torch.ones(b, n, 1, device=ctrl.device)
        poly = torch.cat([ones, ctrl], -1)  # (b, n, 3)
        top = torch.cat([kernel, poly], -1)  # (b, n, n+3)
        bottom = torch.cat([poly.transpose(1, 2), torch.zeros(b, 3, 3, device=ctrl.device)], -1)
        system = torch.cat([top, bottom], 1)  # (b, n+3, n+3)
        rhs = torch.cat([values, torch.zeros(b, 3, 2, device=ctrl.device)], 1)  # (b, n+3, 2)
        coef = torch.linalg.solve(system, rhs)  # (b, n+3, 2)
        grid = self.grid.expand(b, -1, -1)  # (b, G, 2)
        basis = _tps_kernel(_sq_dist(grid, ctrl))  # (b, G, n)
        return basis @ coef[:, :n] + coef[:, n : n + 1] + grid @ coef[:, n + 1 :]


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances (B, P, Q) between point sets (B, P, 2) and (B, Q, 2), as one bmm."""
    a_aug = torch.cat([a, a.square().sum(-1, keepdim=True), torch.ones_like(a[..., :1])], -1)
    b_aug = torch.cat([-2 * b, torch.ones_like(b[..., :1]), b.square().sum(-1, keepdim=True)], -1)
    return torch.bmm(a_aug, b_aug.transpose(1, 2)).clamp_min_(0.0)


def _tps_kernel(r2: torch.Tensor) -> torch.Tensor:
    """U(r) = r² log r² from squared distances, in place (r2 = 0 gives 0, the limit)."""
    return r2.mul_(torch.log(r2.clamp_min(1e-12)))


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
