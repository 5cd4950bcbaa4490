"""Eyelid layer: blinks and glances drawn by remapping the warped eye region column by column.

A spline through a closing eye rings (the eye has to vanish into a line), so the warp keeps the
eyes open and this layer closes them: in an eye-aligned frame (u corner to corner, v down, px),
each column is remapped piecewise-linearly so that the lid skin between the brow and the lash
line stretches down to the target upper-lid curve, the lash line itself moves down at its own
thickness (a stretched lash line reads as a squint), and the eye opening compresses between it
and the lower lid. As the lid shuts its skin unfolds, so the crease fades: the stretched skin
is blended towards a blurred copy of itself in proportion to the closure. Glances shift the
content between the lids sideways, fading to nothing at the corners. With the lids where the
portrait has them and no glance, the map is the identity.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import topology as topo
from .mouth import _interp

EYES = (
    (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_IRIS_CENTER),
    (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_IRIS_CENTER),
)


class EyelidLayer(nn.Module):
    """forward(head (B, 3, h, w), targets (B, 478, 3) px, roi origin) -> head with lids drawn."""

    def __init__(
        self,
        source_points: np.ndarray,
        lid_reach_iod: float = 0.2,
        lash_iod: float = 0.03,
        crease_blur_iod: float = 0.05,
    ) -> None:
        super().__init__()
        pts = np.asarray(source_points, dtype=np.float64)
        self.iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2]
                                        - pts[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
        self.reach = lid_reach_iod * self.iod  # px of lid skin above the lash line that stretches
        self.lash = min(lash_iod * self.iod, 0.5 * self.reach)  # px: moved down unstretched
        self.blur = max(1, int(round(crease_blur_iod * self.iod / 2))) * 2 + 1  # odd box, px
        src = torch.tensor(pts[:, :2], dtype=torch.float32)
        self.register_buffer("source", src)  # (478, 2)

    @staticmethod
    def _frame(points: torch.Tensor, upper: tuple[int, ...]):
        """Eye frame from the two corners: centre (B, 2), unit axis (B, 2), normal, half width."""
        a, b = points[:, upper[0]], points[:, upper[-1]]
        left = torch.where((a[:, :1] <= b[:, :1]), a, b)
        right = torch.where((a[:, :1] <= b[:, :1]), b, a)
        center = (left + right) / 2
        axis = right - left
        half = axis.norm(dim=-1, keepdim=True).clamp_min(1e-3) / 2
        axis = axis / (2 * half)
        normal = torch.stack([-axis[:, 1], axis[:, 0]], -1)
        return center, axis, normal, half

    @staticmethod
    def _uv(xy, center, axis, normal, half):
        shape = [-1] + [1] * (xy.dim() - 2) + [2]
        rel = xy - center.view(shape)
        u = (rel * axis.view(shape)).sum(-1) / half.view(shape[:-1])
        v = (rel * normal.view(shape)).sum(-1)
        return u, v

    def forward(
        self, head: torch.Tensor, targets: torch.Tensor, origin: tuple[int, int]
    ) -> torch.Tensor:
        B, _, h, w = head.shape
        dev = head.device
        tgt = targets[..., :2].float()
        src = self.source[None].expand(B, -1, -1)
        ox, oy = origin
        for upper, lower, iris in EYES:
            tc, ta, tn, th = self._frame(tgt, upper)
            sc, sa, sn, sh = self._frame(src, upper)
            scale = th / sh  # (B, 1) source px -> target px
            su, sv = self._uv(src[:, list(upper)], sc, sa, sn, sh)  # source upper lid (B, 9)
            tu, tv = self._uv(tgt[:, list(upper)], tc, ta, tn, th)  # target upper lid
            lu, lv = self._uv(tgt[:, list(lower)], tc, ta, tn, th)  # target lower lid
            siu, _ = self._uv(src[:, iris : iris + 1], sc, sa, sn, sh)
            tiu, _ = self._uv(tgt[:, iris : iris + 1], tc, ta, tn, th)
            gaze_u = (tiu - siu)[:, 0]  # (B,) iris travel in u units
            closing = ((tv - su * 0 - sv * scale).abs().amax(1) > 0.05) | (gaze_u.abs() > 0.01)
            if not bool(closing.any()):
                continue
            # Pixel box around the eye and its lid skin, in ROI pixels.
            pts = torch.cat([tgt[:, list(upper)], tgt[:, list(lower)]], 1).reshape(-1, 2)
            x0 = int(max(0, float(pts[:, 0].min()) - ox - 3))
            x1 = int(min(w, float(pts[:, 0].max()) - ox + 4))
            y0 = int(max(0, float(pts[:, 1].min()) - oy - self.reach - 3))
            y1 = int(min(h, float(pts[:, 1].max()) - oy + 4))
            if x1 <= x0 or y1 <= y0:
                continue
            xs = torch.arange(x0, x1, device=dev, dtype=torch.float32) + ox
            ys = torch.arange(y0, y1, device=dev, dtype=torch.float32) + oy
            pix = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None].expand(B, -1, -1, -1)
            u, v = self._uv(pix, tc, ta, tn, th)  # (B, bh, bw)
            v_open = _interp(u, su, sv * scale)  # where the lid would be, eye open
            v_lid = _interp(u, tu, tv)  # where the target wants it
            v_low = torch.maximum(_interp(u, lu, lv), v_lid + 1e-3)
            v_top = v_open - self.reach
            lash = self.lash
            # How far the lid has come down (px; negative when it lifts, as in surprise).
            drop = (v_lid - v_open).clamp_min(-0.5 * (self.reach - lash))
            skin = (v >= v_top) & (v < v_lid - lash)  # stretched lid skin
            lashes = (v >= v_lid - lash) & (v < v_lid)  # the lash line, moved as it is
            between = (v >= v_lid) & (v <= v_low)
            v_src = torch.where(
                skin,
                v_top + (v - v_top) * (self.reach - lash) / (self.reach - lash + drop),
                v,
            )
            v_src = torch.where(lashes, v - drop, v_src)
            v_src = torch.where(
                between,
                v_open + (v - v_lid) * (v_low - v_open) / (v_low - v_lid).clamp_min(1e-3),
                v_src,
            )
            # How shut the eye is (0 open .. 1 closed) and where the crease fades: mid lid skin.
            shut = (drop / (v_low - v_lid + drop).clamp_min(1e-3)).clamp(0, 1)
            depth = ((v - v_top) / (v_lid - lash - v_top).clamp_min(1e-3)).clamp(0, 1)
            unfold = ((shut - 0.1) / 0.9).clamp_min(0) * (4 * depth * (1 - depth)) * skin.float()
            # Glance: shift between the lids, fading at the corners and towards the lids.
            inside = (1 - u.square()).clamp_min(0)
            u_src = u - gaze_u.view(-1, 1, 1) * inside * between.float()
            inlid = (u.abs() < 1).float()
            v_src = v + (v_src - v) * inlid
            u_src = u + (u_src - u) * inlid
            along = (u_src * th.view(-1, 1, 1))[..., None] * ta.view(-1, 1, 1, 2)
            src_xy = tc.view(-1, 1, 1, 2) + along + v_src[..., None] * tn.view(-1, 1, 1, 2)
            grid = torch.empty_like(src_xy)
            grid[..., 0] = (src_xy[..., 0] - ox) * (2.0 / max(w - 1, 1)) - 1.0
            grid[..., 1] = (src_xy[..., 1] - oy) * (2.0 / max(h - 1, 1)) - 1.0
            patch = F.grid_sample(head, grid, mode="bilinear", padding_mode="border",
                                  align_corners=True)  # fmt: skip
            if bool((unfold > 0).any()):
                patch = torch.lerp(
                    patch, self._blurred(head, src_xy, origin), 0.8 * unfold[:, None]
                )
            keep = closing.view(-1, 1, 1, 1).float()
            head[:, :, y0:y1, x0:x1] = torch.lerp(head[:, :, y0:y1, x0:x1], patch, keep)
        return head

    def _blurred(
        self, head: torch.Tensor, src_xy: torch.Tensor, origin: tuple[int, int]
    ) -> torch.Tensor:
        """`head` box-blurred, sampled at the image points `src_xy` (B, bh, bw, 2).

        Only the rectangle the samples come from (plus the blur's reach) is blurred."""
        _, _, h, w = head.shape
        ox, oy = origin
        m = self.blur
        x0 = int(max(0, float(src_xy[..., 0].min()) - ox - m))
        x1 = int(min(w, float(src_xy[..., 0].max()) - ox + m + 2))
        y0 = int(max(0, float(src_xy[..., 1].min()) - oy - m))
        y1 = int(min(h, float(src_xy[..., 1].max()) - oy + m + 2))
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)  # never empty (samples clamp to the border)
        crop = _box_blur(head[:, :, y0:y1, x0:x1], self.blur)
        grid = torch.empty_like(src_xy)
        grid[..., 0] = (src_xy[..., 0] - ox - x0) * (2.0 / max(x1 - x0 - 1, 1)) - 1.0
        grid[..., 1] = (src_xy[..., 1] - oy - y0) * (2.0 / max(y1 - y0 - 1, 1)) - 1.0
        return F.grid_sample(crop, grid, mode="bilinear", padding_mode="border",
                             align_corners=True)  # fmt: skip


def _box_blur(image: torch.Tensor, size: int) -> torch.Tensor:
    """Separable box blur of (B, C, h, w), edges replicated; same shape."""
    pad = size // 2
    x = F.pad(image, (pad, pad, 0, 0), mode="replicate")
    x = F.avg_pool2d(x, (1, size), stride=1)
    x = F.pad(x, (0, 0, pad, pad), mode="replicate")
    return F.avg_pool2d(x, (size, 1), stride=1)
