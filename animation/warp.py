"""Dense backward warp: thin-plate spline from target to source landmarks on a coarse grid.

For every output pixel we need where to sample the portrait, so the spline is fitted per frame
with the *target* landmarks as centres and the *source* positions as values (lips that part are
then a compression, never a tear). It is evaluated on a grid a few pixels apart and upsampled
bilinearly (FACTS: 60-100 fps at 512² versus ~2 fps at full resolution).

The head moves as one piece: two rings of points around the face oval (in the hair, over the
ears, under the chin) follow the head's overall motion (a similarity fitted to the face's stable
points), so hair and ears travel with the face instead of being dragged by it. A weight map
(`head_region.head_weight`: 1 on face, hair and ears, 0 on the background and the body) scales
the displacement, so the background gives way smoothly over a band next to the head and never
moves beyond it.

The map never folds: on the coarse grid the Jacobian determinant of the bilinear map is affine
in each cell, so its minimum is at a cell corner; wherever a corner falls below
`min_jacobian` (+ margin) the displacement is relaxed towards its neighbours' mean, locally, until
none does. The dense map, a bilinear upsampling of the grid, then keeps the bound everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import topology as topo
from .head_region import HeadRegionConfig, head_weight, ring_points


@dataclass(frozen=True)
class WarpConfig:
    grid_step_iod: float = 1 / 13  # spacing of the coarse grid, in inter-ocular distances
    min_grid_step_px: float = 2.0  # never evaluate the spline closer than this
    regularization: float = 2e-4  # TPS smoothing (IOD² units); >0 keeps close points stable
    extra_points: int = 30  # mesh points added by farthest-point sampling beyond the contours
    ring_offsets_iod: tuple[float, ...] = (0.45, 1.2)  # head rings outside the face oval, IOD
    edge_margin_iod: float = 0.5  # near the image's edges the warp only slides along them
    min_jacobian: float = 0.3  # the map's Jacobian determinant never falls below this
    repair_margin: float = 0.05  # repaired cells aim this much above min_jacobian
    repair_iterations: int = 400  # most relaxation sweeps per chunk (only bad cells move)
    chunk_frames: int = 8  # frames whose spline kernels are held in memory at once
    head: HeadRegionConfig = field(default_factory=HeadRegionConfig)  # what moves with the head


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


class ThinPlateWarp(nn.Module):
    """Target landmarks (B, N, 2) -> absolute source sampling coordinates (B, h, w, 2) in px.

    Built once per portrait: the source control points, the head rings, the weight map, the
    ROI and its coarse grid are fixed; only the target positions change per frame.
    """

    def __init__(
        self,
        source_points: np.ndarray,  # (478, 3) px in the output image
        image_size: tuple[int, int],  # (width, height) of the output image
        config: WarpConfig | None = None,
        person_mask: np.ndarray | None = None,  # (H', W') 0..1, any size; None: an ellipse
    ) -> None:
        super().__init__()
        self.config = c = config or WarpConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        width, height = image_size
        iod = float(
            np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2] - pts[topo.RIGHT_IRIS_CENTER, :2])
        )
        weight = head_weight(pts, (height, width), person_mask, c.head)  # (H, W)
        rows, cols = np.nonzero(weight > 0)
        x0, y0 = int(cols.min()), int(rows.min())
        x1, y1 = int(cols.max()) + 1, int(rows.max()) + 1
        self.roi = (x0, y0, x1, y1)
        self.roi_size = (x1 - x0, y1 - y0)  # (w, h)
        self.indices = control_indices(pts, c.extra_points)
        rings = ring_points(pts, c.ring_offsets_iod)  # (K, 2) px
        step = max(c.min_grid_step_px, c.grid_step_iod * iod)
        gw = max(2, int(np.ceil((x1 - x0 - 1) / step)) + 1)
        gh = max(2, int(np.ceil((y1 - y0 - 1) / step)) + 1)
        gx = np.linspace(x0, x1 - 1, gw)
        gy = np.linspace(y0, y1 - 1, gh)
        self.spacing = (float(gx[1] - gx[0]), float(gy[1] - gy[0]))  # px between grid nodes
        grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)  # (G, 2) px
        node_weight = _sample(weight, grid)
        # At the image's edges content may slide along the edge, never in from beyond it.
        margin = c.edge_margin_iod * iod
        slide = np.stack([_edge_fade(grid[:, 0], width - 1, margin),
                          _edge_fade(grid[:, 1], height - 1, margin)], 1)  # fmt: skip
        # Normalise coordinates (centre, IOD units) so the spline system is well conditioned.
        self.scale = iod
        self.offset = pts[topo.STABLE_POINTS, :2].mean(0)
        f32 = torch.float32
        self.register_buffer(
            "source_ctrl", torch.tensor(self._norm(pts[self.indices, :2]), dtype=f32)
        )
        self.register_buffer(
            "stable", torch.tensor(self._norm(pts[list(topo.STABLE_POINTS), :2]), dtype=f32)
        )
        self.register_buffer("rings", torch.tensor(self._norm(rings), dtype=f32))  # (K, 2)
        node_weight = node_weight[:, None] * slide  # (G, 2) per displacement component
        # The spline is evaluated only where it moves something (A of the G nodes).
        active = np.nonzero(node_weight.max(1) > 0)[0]
        self.register_buffer("active", torch.tensor(active, dtype=torch.int64))  # (A,)
        self.register_buffer("grid", torch.tensor(self._norm(grid[active]), dtype=f32))  # (A, 2)
        self.register_buffer("node_weight", torch.tensor(node_weight[active], dtype=f32))
        self.grid_shape = (gh, gw)
        self.register_buffer(
            "pixel_grid",
            torch.stack(torch.meshgrid(torch.arange(x0, x1, dtype=f32),
                                       torch.arange(y0, y1, dtype=f32), indexing="xy"), -1),
        )  # (h, w, 2) absolute px  # fmt: skip
        # Paste-back alpha: where the weight is 0 the map is the identity (the portrait itself).
        roi_weight = torch.tensor(weight[y0:y1, x0:x1] > 0, dtype=f32)
        self.register_buffer("paste_alpha", roi_weight)  # (h, w)

    def _norm(self, xy: np.ndarray) -> np.ndarray:
        return (xy - self.offset) / self.scale

    def forward(self, target_points: torch.Tensor) -> torch.Tensor:
        """(B, 478, 2+) target px -> (B, h, w, 2) source px to sample for each ROI pixel."""
        disp = self.coarse_displacement(target_points)  # (B, 2, gh, gw) px
        w, h = self.roi_size
        dense = F.interpolate(disp, size=(h, w), mode="bilinear", align_corners=True)
        return self.pixel_grid + dense.permute(0, 2, 3, 1)  # (B, h, w, 2)

    def coarse_displacement(self, target_points: torch.Tensor) -> torch.Tensor:
        """(B, 478, 2+) target px -> (B, 2, gh, gw) px: where each grid node samples, minus it."""
        B = target_points.shape[0]
        dev = self.grid.device
        offset = torch.tensor(self.offset, dtype=torch.float32, device=dev)
        targets = (target_points[..., :2].to(dev, torch.float32) - offset) / self.scale
        head = _similarity(self.stable, targets[:, list(topo.STABLE_POINTS)])  # (B, 2, 3)
        rings = self.rings @ head[:, :, :2].transpose(1, 2) + head[:, None, :, 2]  # (B, K, 2)
        tgt = torch.cat([targets[:, self.indices], rings], 1)  # (B, N, 2)
        src = torch.cat([self.source_ctrl.expand(B, -1, -1), self.rings.expand(B, -1, -1)], 1)
        n = self.config.chunk_frames
        gh, gw = self.grid_shape
        disp = torch.zeros(B, gh * gw, 2, device=dev)
        for s in range(0, B, n):
            mapped = self._tps(tgt[s : s + n], src[s : s + n])  # (b, A, 2) normalised
            disp[s : s + n, self.active] = (mapped - self.grid) * self.node_weight * self.scale
        disp = disp.view(B, gh, gw, 2).permute(0, 3, 1, 2)  # (B, 2, gh, gw) px
        return self._repair(disp)  # one repair for the whole batch: fewer, larger steps

    def _repair(self, disp: torch.Tensor) -> torch.Tensor:
        """Relax the displacement (b, 2, gh, gw) where a cell's Jacobian is below the bound."""
        c = self.config
        aim = c.min_jacobian + c.repair_margin
        for _ in range(c.repair_iterations):
            bad = corner_jacobians(disp, self.spacing).amin(1) < aim  # (b, gh-1, gw-1)
            if not bool(bad.any()):
                break
            # Nodes of bad cells, grown by one node, take their neighbours' mean.
            nodes = F.max_pool2d(F.pad(bad[:, None].float(), (1, 1, 1, 1)), 2, stride=1)
            nodes = F.max_pool2d(nodes, 3, stride=1, padding=1)  # (b, 1, gh, gw)
            mean = F.avg_pool2d(F.pad(disp, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
            disp = torch.where(nodes > 0, mean, disp)
        return disp

    def _tps(self, ctrl: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """Fit f(ctrl) = values per batch item and evaluate it on the grid's active nodes."""
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
        grid = self.grid.expand(b, -1, -1)  # (b, A, 2)
        basis = _tps_kernel(_sq_dist(grid, ctrl))  # (b, A, n)
        return basis @ coef[:, :n] + coef[:, n : n + 1] + grid @ coef[:, n + 1 :]


def corner_jacobians(disp: torch.Tensor, spacing: tuple[float, float]) -> torch.Tensor:
    """Jacobian determinants (B, 4, gh-1, gw-1) of grid + disp at each cell's four corners.

    disp (B, 2, gh, gw) px on a grid `spacing` (sx, sy) px apart. Within a cell the bilinear
    map's determinant is affine in each coordinate, so these four bound it over the cell.
    """
    sx, sy = spacing
    p = disp.clone()
    p[:, 0] += torch.arange(disp.shape[3], device=disp.device, dtype=disp.dtype) * sx
    p[:, 1] += torch.arange(disp.shape[2], device=disp.device, dtype=disp.dtype)[:, None] * sy
    top = p[:, :, :-1, 1:] - p[:, :, :-1, :-1]  # x edges (B, 2, gh-1, gw-1)
    bottom = p[:, :, 1:, 1:] - p[:, :, 1:, :-1]
    left = p[:, :, 1:, :-1] - p[:, :, :-1, :-1]  # y edges
    right = p[:, :, 1:, 1:] - p[:, :, :-1, 1:]

    def cross(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]

    corners = [cross(top, left), cross(top, right), cross(bottom, left), cross(bottom, right)]
    return torch.stack(corners, 1) / (sx * sy)


def jacobian_determinant(coords: torch.Tensor) -> torch.Tensor:
    """(B, h, w, 2) sampling coordinates px -> (B, h-1, w-1) determinant by finite differences."""
    dx = coords[:, :-1, 1:] - coords[:, :-1, :-1]
    dy = coords[:, 1:, :-1] - coords[:, :-1, :-1]
    return dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]


def _similarity(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Least-squares similarity (B, 2, 3) taking source (N, 2) onto target (B, N, 2)."""
    mean_s = source.mean(0)
    mean_t = target.mean(1)  # (B, 2)
    s = source - mean_s
    t = target - mean_t[:, None]
    norm = s.square().sum()
    a = (s[None] * t).sum((1, 2)) / norm  # (B,)
    b = (s[None, :, 0] * t[..., 1] - s[None, :, 1] * t[..., 0]).sum(1) / norm
    rot = torch.stack([torch.stack([a, -b], -1), torch.stack([b, a], -1)], 1)  # (B, 2, 2)
    shift = mean_t - (rot @ mean_s[:, None])[..., 0]
    return torch.cat([rot, shift[..., None]], -1)


def _edge_fade(x: np.ndarray, last: float, margin: float) -> np.ndarray:
    """0 at 0 and at `last`, rising to 1 over `margin` px inside (smoothstep)."""
    near = np.clip(np.minimum(x, last - x) / max(margin, 1e-6), 0.0, 1.0)
    return near * near * (3 - 2 * near)


def _sample(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear samples of a 2-D array at points (N, 2) px (edges clamped)."""
    h, w = image.shape
    x = np.clip(xy[:, 0], 0, w - 1)
    y = np.clip(xy[:, 1], 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(int), w - 2)
    y0 = np.minimum(np.floor(y).astype(int), h - 2)
    fx, fy = x - x0, y - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances (B, P, Q) between point sets (B, P, 2) and (B, Q, 2), as one bmm."""
    a_aug = torch.cat([a, a.square().sum(-1, keepdim=True), torch.ones_like(a[..., :1])], -1)
    b_aug = torch.cat([-2 * b, torch.ones_like(b[..., :1]), b.square().sum(-1, keepdim=True)], -1)
    return torch.bmm(a_aug, b_aug.transpose(1, 2)).clamp_min_(0.0)


def _tps_kernel(r2: torch.Tensor) -> torch.Tensor:
    """U(r) = r² log r² from squared distances, in place (r2 = 0 gives 0, the limit)."""
    return r2.mul_(torch.log(r2.clamp_min(1e-12)))
