"""Rig: deform the portrait's 3D landmarks by mouth parameters, behaviour and head pose.

Works in a face frame computed once from the source: origin between the irises, x along the eye
line, y down, z away from the camera, unit = inter-ocular distance (IOD). Each expression is a
fixed per-landmark displacement pattern (precomputed from the source geometry) scaled by its
parameter; then the head is rotated about a pivot behind the face and projected orthographically.
All of it is batched over frames: (T, ...) parameters in, (T, 478, 3) target landmarks out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import topology as topo
from .motion import JAW_OPEN, LIP_CLOSURE, LIP_ROUND, LIP_WIDTH


@dataclass(frozen=True)
class RigConfig:
    jaw_open_iod: float = 0.28  # lower-lip drop at jaw_open = 1, in IOD
    upper_lip_lift: float = 0.10  # upper lip rises by this share of the jaw drop
    lip_spread: float = 0.12  # mouth widens by this fraction at lip_width = 1
    lip_round_narrow: float = 0.18  # mouth narrows by this fraction at lip_round = 1
    lip_round_open_iod: float = 0.035  # rounding also parts the lip centres a little, in IOD
    lip_round_push_iod: float = 0.08  # rounding pushes the lips forward (z), in IOD
    closure_residual: float = 0.04  # share of the gap left when lips press (keeps points apart)
    blink_depth: float = 0.96  # share of the eye opening the upper lid travels on a blink
    gaze_iod: tuple[float, float] = (0.07, 0.025)  # iris travel at gaze = +-1 (x, y)
    smile_iod: tuple[float, float] = (0.05, 0.05)  # mouth-corner travel at smile = 1 (out, up)
    pivot_depth_iod: float = 1.1  # head rotation pivot behind the mean face depth
    pivot_drop_iod: float = 0.6  # pivot below the eye line


class FaceRig(nn.Module):
    """Source landmarks (478, 3) px + per-frame parameters -> target landmarks (T, 478, 3) px."""

    def __init__(self, source_points: np.ndarray, config: RigConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or RigConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        right, left = pts[topo.RIGHT_IRIS_CENTER, :2], pts[topo.LEFT_IRIS_CENTER, :2]
        iod = float(np.linalg.norm(left - right))
        ex = (left - right) / iod
        ey = np.array([-ex[1], ex[0]])
        origin = (left + right) / 2
        rel = pts[:, :2] - origin
        q = np.stack([rel @ ex / iod, rel @ ey / iod, (pts[:, 2] - pts[:, 2].mean()) / iod], 1)
        self.iod = iod
        self.register_buffer("origin", torch.tensor(origin, dtype=torch.float32))
        self.register_buffer("axes", torch.tensor(np.stack([ex, ey]), dtype=torch.float32))
        self.register_buffer("q", torch.tensor(q, dtype=torch.float32))  # (478, 3) face frame
        self._build_patterns(q, c)

    # -- fixed displacement patterns ---------------------------------------------------------
    def _build_patterns(self, q: np.ndarray, c: RigConfig) -> None:
        n = topo.N_LANDMARKS
        x, y = q[:, 0], q[:, 1]
        corners = list(topo.MOUTH_CORNERS_OUTER + topo.MOUTH_CORNERS_INNER)
        upper = set(topo.LIPS_OUTER_UPPER + topo.LIPS_INNER_UPPER) - set(corners)
        lower = set(topo.LIPS_OUTER_LOWER + topo.LIPS_INNER_LOWER) - set(corners)
        mouth_c = q[list(topo.MOUTH_CORNERS_OUTER), :2].mean(0)
        mouth_half = abs(q[291, 0] - q[61, 0]) / 2
        lower_lip_bottom = q[list(topo.LIPS_OUTER_LOWER), 1].max()

        # Jaw: the lower lip and chin ride the jaw fully; the lower face blends in below the
        # mouth line and fades laterally towards the jaw angles (rotation near the ears).
        below = _smoothstep(mouth_c[1], lower_lip_bottom + 0.05, y)
        lateral = 1.0 - 0.7 * _smoothstep(0.45, 1.05, np.abs(x - mouth_c[0]))
        jaw = below * lateral
        jaw[list(lower)] = 1.0
        jaw[list(upper)] = 0.0
        jaw[corners] = 0.45
        lift = np.zeros(n)
        lift[list(upper)] = 1.0
        lift += (
            0.5
            * _smoothstep(mouth_c[1] - 0.25, mouth_c[1] - 0.05, y)
            * (1 - below)
            * (np.abs(x - mouth_c[0]) < mouth_half)
        )
        lift[corners] = 0.3
        lift[list(upper)] = 1.0

        # Mouth region weight for width changes: lips fully, cheeks around the mouth partly.
        dist = np.hypot((x - mouth_c[0]) / (mouth_half + 0.35), (y - mouth_c[1]) / 0.45)
        region = 1.0 - _smoothstep(0.55, 1.0, dist)
        region[list(topo.LIPS_ALL)] = 1.0
        eye_pts = list(topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_UPPER
                       + topo.LEFT_EYE_LOWER + topo.RIGHT_IRIS + topo.LEFT_IRIS)  # fmt: skip
        region[eye_pts] = 0.0

        # Rounding parts the centre of the lips a little (an "o").
        rel_x = np.clip(np.abs(x - mouth_c[0]) / max(mouth_half, 1e-6), 0, 1)
        round_open = np.zeros(n)
        for i in topo.LIPS_INNER_UPPER + topo.LIPS_OUTER_UPPER:
            round_open[i] = -(1 - rel_x[i] ** 2) * 0.5
        for i in topo.LIPS_INNER_LOWER + topo.LIPS_OUTER_LOWER:
            round_open[i] = (1 - rel_x[i] ** 2) * 0.5
        round_open[corners] = 0.0

        # Closure: each lip point follows the inner-lip pair nearest to it horizontally.
        pairs_up = topo.LIPS_INNER_UPPER[1:-1]
        pairs_low = topo.LIPS_INNER_LOWER[1:-1]
        pair_x = q[list(pairs_low), 0]
        close_up = np.zeros((n, len(pairs_up)))
        close_low = np.zeros((n, len(pairs_up)))
        for i in set(topo.LIPS_INNER_UPPER + topo.LIPS_OUTER_UPPER) - set(corners):
            close_up[i, np.argmin(np.abs(pair_x - x[i]))] = 1.0
        for i in set(topo.LIPS_INNER_LOWER + topo.LIPS_OUTER_LOWER) - set(corners):
            close_low[i, np.argmin(np.abs(pair_x - x[i]))] = 1.0
        self._pairs = (list(pairs_up), list(pairs_low))

        # Smile: corners out and up, with the cheeks around them.
        smile = np.zeros((n, 2))
        for corner, side in ((61, -1.0), (291, 1.0)):
            d2 = (x - q[corner, 0]) ** 2 + (y - q[corner, 1]) ** 2
            w = np.exp(-d2 / (2 * 0.18**2)) * (y > q[topo.NOSE_TIP, 1])
            smile[:, 0] += side * w * c.smile_iod[0]
            smile[:, 1] -= w * c.smile_iod[1]
        smile[eye_pts] = 0.0

        blink = self._blink_pattern(q, c)
        gaze = np.zeros(n)
        gaze[list(topo.RIGHT_IRIS + topo.LEFT_IRIS)] = 1.0

        f32 = torch.float32
        self.register_buffer("w_jaw", torch.tensor(jaw, dtype=f32))
        self.register_buffer("w_lift", torch.tensor(lift, dtype=f32))
        self.register_buffer("w_region", torch.tensor(region, dtype=f32))
        self.register_buffer("w_round_open", torch.tensor(round_open, dtype=f32))
        self.register_buffer("close_up", torch.tensor(close_up, dtype=f32))
        self.register_buffer("close_low", torch.tensor(close_low, dtype=f32))
        self.register_buffer("smile_vec", torch.tensor(smile, dtype=f32))
        self.register_buffer("blink_vec", torch.tensor(blink, dtype=f32))
        self.register_buffer("w_gaze", torch.tensor(gaze, dtype=f32))
        self.register_buffer("mouth_center", torch.tensor(mouth_c, dtype=f32))
        pivot = [0.0, c.pivot_drop_iod, float(q[:, 2].mean()) + c.pivot_depth_iod]
        self.register_buffer("pivot", torch.tensor(pivot, dtype=f32))

    def _blink_pattern(self, q: np.ndarray, c: RigConfig) -> np.ndarray:
        """(478, 2) displacement at a full blink: the upper lid comes down onto the lower lid.

        Only the upper lid and the irises move; the generator's eyelid layer turns that into
        pixels (a spline through a closing eye would ring), so the warp never sees a blink.
        """
        out = np.zeros((topo.N_LANDMARKS, 2))
        eyes = (
            (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_IRIS),
            (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_IRIS),
        )
        for upper, lower, iris in eyes:
            lx, ly = q[list(lower), 0], q[list(lower), 1]
            order = np.argsort(lx)
            ux, uy = q[list(upper), 0], q[list(upper), 1]
            order_u = np.argsort(ux)

            def lower_at(xs, lx=lx[order], ly=ly[order]):
                return np.interp(xs, lx, ly)

            def upper_at(xs, ux=ux[order_u], uy=uy[order_u]):
                return np.interp(xs, ux, uy)

            for i in upper[1:-1]:
                out[i, 1] = c.blink_depth * (lower_at(q[i, 0]) - q[i, 1])
            # Points inside the eye (irises) keep their place between the lids: no folds.
            for i in iris:
                top, bottom = upper_at(q[i, 0]), lower_at(q[i, 0])
                t = np.clip((q[i, 1] - top) / max(bottom - top, 1e-6), 0.0, 1.0)
                out[i, 1] = (1 - t) * c.blink_depth * (bottom - top)
        return out

    # -- per-frame deformation ---------------------------------------------------------------
    def forward(
        self,
        mouth: torch.Tensor,  # (T, 4) in MOUTH_PARAMETERS order
        pose_deg: torch.Tensor,  # (T, 3) yaw, pitch, roll
        translation: torch.Tensor,  # (T, 2) IOD units
        blink: torch.Tensor,  # (T,) 0..1
        gaze: torch.Tensor,  # (T, 2) -1..1
        smile: torch.Tensor,  # (T,) 0..1
        expression: torch.Tensor | None = None,  # (T, 478, 3) extra offsets in IOD (driving)
    ) -> torch.Tensor:  # (T, 478, 3) target landmarks in pixels
        c = self.config
        T = mouth.shape[0]
        q = self.q.expand(T, -1, -1).clone()  # (T, 478, 3)
        jaw = mouth[:, JAW_OPEN, None]  # (T, 1)
        width = mouth[:, LIP_WIDTH, None]
        rounding = mouth[:, LIP_ROUND, None]
        closure = mouth[:, LIP_CLOSURE, None]
        dx = torch.zeros_like(q[..., 0])  # (T, 478)
        dy = torch.zeros_like(q[..., 0])
        dz = torch.zeros_like(q[..., 0])

        drop = jaw * c.jaw_open_iod  # (T, 1)
        dy += drop * self.w_jaw - drop * c.upper_lip_lift * self.w_lift
        dy += rounding * c.lip_round_open_iod * self.w_round_open
        # Closure: pull each inner-lip pair together from wherever jaw and rounding left them.
        up_idx, low_idx = self._pairs
        gap = (q[:, low_idx, 1] + dy[:, low_idx]) - (q[:, up_idx, 1] + dy[:, up_idx])  # (T, K)
        gap = gap.clamp_min(0.0) * closure * (1.0 - c.closure_residual)
        dy += 0.45 * gap @ self.close_up.T - 0.55 * gap @ self.close_low.T
        # Width and rounding scale the mouth about its centre.
        scale = c.lip_spread * width - c.lip_round_narrow * rounding  # (T, 1)
        dx += scale * (q[..., 0] - self.mouth_center[0]) * self.w_region
        dz -= rounding * c.lip_round_push_iod * self.w_region
        # Smile, blink, gaze.
        s = smile[:, None]
        dx += s * self.smile_vec[:, 0]
        dy += s * self.smile_vec[:, 1]
        dy += blink[:, None] * self.blink_vec[:, 1]
        open_eye = (1.0 - blink)[:, None]
        dx += gaze[:, 0, None] * c.gaze_iod[0] * self.w_gaze * open_eye
        dy += gaze[:, 1, None] * c.gaze_iod[1] * self.w_gaze * open_eye
        q = q + torch.stack([dx, dy, dz], dim=-1)
        if expression is not None:
            q = q + expression

        # Head pose about a pivot behind the face, then orthographic projection.
        rot = rotation_matrices(pose_deg)  # (T, 3, 3)
        q = (q - self.pivot) @ rot.transpose(1, 2) + self.pivot
        q[..., :2] += translation[:, None, :]
        xy = self.origin + self.iod * (q[..., :1] * self.axes[0] + q[..., 1:2] * self.axes[1])
        return torch.cat([xy, q[..., 2:] * self.iod], dim=-1)

    def neutral(self) -> torch.Tensor:
        """The source landmarks as the rig sees them (478, 3) px, after a zero deformation."""
        zeros = torch.zeros(1, 4, device=self.q.device)
        return self.forward(
            zeros, torch.zeros(1, 3, device=self.q.device), torch.zeros(1, 2, device=self.q.device),
            torch.zeros(1, device=self.q.device), torch.zeros(1, 2, device=self.q.device),
            torch.zeros(1, device=self.q.device),
        )[0]  # fmt: skip


def rotation_matrices(pose_deg: torch.Tensor) -> torch.Tensor:
    """(T, 3) yaw (about y), pitch (about x), roll (about z) in degrees -> (T, 3, 3)."""
    yaw, pitch, roll = (pose_deg * (math.pi / 180.0)).unbind(-1)
    cy, sy, cp, sp, cr, sr = yaw.cos(), yaw.sin(), pitch.cos(), pitch.sin(), roll.cos(), roll.sin()
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)
    r_yaw = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).view(-1, 3, 3)
    r_pitch = torch.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).view(-1, 3, 3)
    r_roll = torch.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).view(-1, 3, 3)
    return r_roll @ r_pitch @ r_yaw


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
