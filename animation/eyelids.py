"""Eyelid layer: blinks and glances drawn by remapping the warped eye region column by column.

A spline through a closing eye rings (the eye has to vanish into a line), so the warp keeps the
eyes open and this layer closes them: in an eye-aligned frame (u corner to corner, v down, px),
each column is remapped piecewise-linearly. The lid skin between the brow and the lash line
stretches down to the target upper-lid curve, the lash line itself moves down at its own
thickness (a stretched lash line reads as a squint), and the eye below the lid stays where it
is, covered by the lid as it comes down (an eyeball does not squash); at full closure the lash
line rests on the lower lid and nothing of the eye shows.

A closing lid unfolds, so the shadowed fold above the lashes would stretch into a dark band
that reads as an open eye. As the lid shuts, the stretched skin keeps its own fine texture but
takes its shading from the lid skin higher up, darkening only towards the lashes, as a lid
that bulges over the eyeball does. Glances shift the content between the lids sideways, fading
to nothing at the corners. With the lids where the portrait has them and no glance, the map is
the identity.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import topology as topo
from .batch_interp import interp as _interp
from .local_frame import corner_frame

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
        shading_blur_iod: float = 0.1,
        fold_share: float = 0.35,
    ) -> None:
        super().__init__()
        pts = np.asarray(source_points, dtype=np.float64)
        self.iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2]
                                        - pts[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
        self.reach = lid_reach_iod * self.iod  # px of lid skin above the lash line that stretches
        self.lash = min(lash_iod * self.iod, 0.5 * self.reach)  # px: moved down unstretched
        self.blur = max(1, int(round(shading_blur_iod * self.iod / 2))) * 2 + 1  # odd box, px
        self.fold = fold_share * self.reach  # px above the lash line whose shade is the fold's
        src = torch.tensor(pts[:, :2], dtype=torch.float32)
        self.register_buffer("source", src)  # (478, 2)

    @staticmethod
    def _frame(points: torch.Tensor, upper: tuple[int, ...]):
        """Eye frame from the two corners: centre (B, 2), unit axis (B, 2), normal, half width."""
        a, b = points[:, upper[0]], points[:, upper[-1]]
        left = torch.where((a[:, :1] <= b[:, :1]), a, b)
        right = torch.where((a[:, :1] <= b[:, :1]), b, a)
        return corner_frame(left, right)

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
            closing = ((tv - sv * scale).abs().amax(1) > 0.05) | (gaze_u.abs() > 0.01)
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
            v_low = _interp(u, lu, lv)  # the lower lid
            v_lid = torch.minimum(_interp(u, tu, tv), v_low)  # the target lid, never below it
            v_top = v_open - self.reach
            lash = self.lash
            # How far the lid has come down (px; negative when it lifts, as in surprise).
            drop = (v_lid - v_open).clamp_min(-0.5 * (self.reach - lash))
            skin = (v >= v_top) & (v < v_lid - lash)  # stretched lid skin
            lashes = (v >= v_lid - lash) & (v < v_lid)  # the lash line, moved as it is
            between = (v >= v_lid) & (v <= v_low)
            stretch = (self.reach - lash) / (self.reach - lash + drop)
            v_src = torch.where(skin, v_top + (v - v_top) * stretch, v)
            v_src = torch.where(lashes, v - drop, v_src)
            # Below a lowered lid the eye stays put (covered); a lifted lid uncovers it evenly.
            lifted = v_open + (v - v_lid) * (v_low - v_open) / (v_low - v_lid).clamp_min(1e-3)
            v_src = torch.where(between & (drop < 0), lifted, v_src)
            # How shut the eye is (0 open .. 1 closed), per column.
            shut = (drop / (v_low - v_open).clamp_min(1e-3)).clamp(0, 1)
            # Glance: shift between the lids, fading at the corners and towards the lids.
            inside = (1 - u.square()).clamp_min(0)
            u_src = u - gaze_u.view(-1, 1, 1) * inside * between.float()
            inlid = (u.abs() < 1).float()
            v_src = v + (v_src - v) * inlid
            u_src = u + (u_src - u) * inlid
            src_xy = self._to_xy(u_src, v_src, tc, ta, tn, th)
            patch = _sample(head, src_xy, origin)
            corner = ((1 - u.abs()) / 0.12).clamp(0, 1)  # the reshading fades out at the corners
            lid = (
                ((shut - 0.15) / 0.6).clamp(0, 1)
                * skin.float()
                * corner
                * corner
                * (3 - 2 * corner)
            )
            if bool((lid > 0).any()):
                # Only the eye's box (and the blur's reach) is blurred.
                m = self.blur // 2 + 2
                cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
                blurred = _box_blur(head[:, :, cy0:cy1, cx0:cx1], self.blur)
                reshaded = self._reshaded(blurred, (ox + cx0, oy + cy0), patch, u_src, v_src,
                                          v_open, v_top, (tc, ta, tn, th))  # fmt: skip
                patch = torch.lerp(patch, reshaded, lid[:, None])
            keep = closing.view(-1, 1, 1, 1).float()
            head[:, :, y0:y1, x0:x1] = torch.lerp(head[:, :, y0:y1, x0:x1], patch, keep)
        return head

    @staticmethod
    def _to_xy(u, v, center, axis, normal, half) -> torch.Tensor:
        """Eye-frame (u, v) (B, bh, bw) -> image px (B, bh, bw, 2)."""
        along = (u * half.view(-1, 1, 1))[..., None] * axis.view(-1, 1, 1, 2)
        return center.view(-1, 1, 1, 2) + along + v[..., None] * normal.view(-1, 1, 1, 2)

    def _reshaded(self, blurred, origin, patch, u_src, v_src, v_open, v_top, frame):
        """The stretched lid skin with its shading replaced by the upper lid's own tone.

        `blurred` is the head around the eye, box-blurred, its pixel (0, 0) at image px
        `origin`. Fine texture (patch minus its blurred self) is kept; the coarse shading
        becomes the blurred skin tone up the lid, turning towards the fold's tone near the
        lashes."""
        coarse = _sample(blurred, self._to_xy(u_src, v_src, *frame), origin)
        top, bottom = v_top, v_open - self.lash
        high_lid = top + 0.55 * (bottom - top)
        # The lid's tone: the brightest of a few heights up the lid skin (skin, not the shadow
        # of a fold, a brow hair or the rim of a pair of glasses).
        lid_tone = None
        for share in (-0.15, 0.05, 0.2, 0.35):
            tone = _sample(
                blurred, self._to_xy(u_src, top + share * (bottom - top), *frame), origin
            )
            if lid_tone is None:
                lid_tone = tone
            else:
                brighter = tone.sum(1, keepdim=True) > lid_tone.sum(1, keepdim=True)
                lid_tone = torch.where(brighter, tone, lid_tone)
        fold_tone = _sample(blurred, self._to_xy(u_src, bottom - 0.5 * self.fold, *frame), origin)
        depth = ((v_src - high_lid) / (bottom - high_lid).clamp_min(1e-3)).clamp(0, 1)
        # Below the upper lid's tone the lid darkens towards the fold's tone over its last part.
        toward_fold = (0.35 * depth**3)[:, None]
        shade = torch.lerp(lid_tone, torch.minimum(fold_tone, lid_tone), toward_fold)
        above = (v_src < high_lid)[:, None]
        blend = ((v_src - top) / (high_lid - top).clamp_min(1e-3)).clamp(0, 1)[:, None]
        reshaded = patch - coarse + shade
        return torch.where(above, torch.lerp(patch, reshaded, blend), reshaded)


def _sample(image: torch.Tensor, xy: torch.Tensor, origin: tuple[int, int]) -> torch.Tensor:
    """`image` (B, C, h, w) whose pixel (0, 0) is image px `origin`, sampled at xy (B, ..., 2)."""
    _, _, h, w = image.shape
    ox, oy = origin
    grid = torch.empty_like(xy)
    grid[..., 0] = (xy[..., 0] - ox) * (2.0 / max(w - 1, 1)) - 1.0
    grid[..., 1] = (xy[..., 1] - oy) * (2.0 / max(h - 1, 1)) - 1.0
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


def _box_blur(image: torch.Tensor, size: int) -> torch.Tensor:
    """Separable box blur of (B, C, h, w), edges replicated; same shape."""
    pad = size // 2
    x = F.pad(image, (pad, pad, 0, 0), mode="replicate")
    x = F.avg_pool2d(x, (1, size), stride=1)
    x = F.pad(x, (0, 0, pad, pad), mode="replicate")
    return F.avg_pool2d(x, (size, 1), stride=1)
