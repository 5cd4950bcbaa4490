"""Rig: deform the portrait's 3D landmarks by mouth parameters, behaviour and head pose.

Works in a face frame computed once from the source: origin between the irises, x along the eye
line, y down, z away from the camera, unit = inter-ocular distance (IOD). Each expression is a
fixed per-landmark displacement pattern (precomputed from the source geometry) scaled by its
parameter; then the head is rotated about a pivot behind the face and projected orthographically.
All of it is batched over frames: (T, ...) parameters in, (T, 478, 3) target landmarks out.

Every mouth parameter counts from a rest mouth of the rig's own, not from the portrait's: the
lips meeting along a gently curved line, no teeth, no smile (`rest_mouth` reads what the
portrait's mouth does). A per-frame `rest` weight blends from the portrait's own mouth (0: the
untouched portrait) to that rest (1, the default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import topology as topo
from .motion import JAW_OPEN, LIP_CLOSURE, LIP_ROUND, LIP_WIDTH
from .rest_mouth import MouthState, estimate_mouth_state, face_frame

OVERBITE_COVER_IOD = 0.01  # at rest the lower lip covers the upper teeth's edge by this much


@dataclass(frozen=True)
class RigConfig:
    jaw_open_iod: float = 0.3  # lower-lip drop at jaw_open = 1, in IOD
    upper_lip_lift: float = 0.10  # upper lip rises by this share of the jaw drop
    lip_spread: float = 0.12  # mouth widens by this fraction at lip_width = 1
    lip_round_narrow: float = 0.18  # mouth narrows by this fraction at lip_round = 1
    lip_round_open_iod: float = 0.035  # rounding also parts the lip centres a little, in IOD
    lip_round_push_iod: float = 0.08  # rounding pushes the lips forward (z), in IOD
    closure_residual: float = 0.04  # share of the gap left when lips press (keeps points apart)
    closure_onset: float = 0.25  # lip_closure below this leaves the lips where they are ...
    closure_full: float = 0.75  # ... and from this on presses them shut (smoothstep between):
    # a predictor's coarticulated closure on a vowel stays open, a bilabial's closes
    blink_depth: float = 1.0  # share of the eye opening the upper lid travels on a blink
    gaze_iod: tuple[float, float] = (0.07, 0.025)  # iris travel at gaze = +-1 (x, y)
    smile_iod: tuple[float, float] = (0.05, 0.05)  # mouth-corner travel at smile = 1 (out, up)
    pivot_depth_iod: float = 1.1  # head rotation pivot behind the mean face depth
    pivot_drop_iod: float = 0.6  # pivot below the eye line
    rest_width_iod: float = 0.84  # widest a resting mouth gets, corner to corner
    rest_corner_drop_iod: float = 0.02  # resting corners sit this far below the lip line's middle
    rest_upper_share: float = 0.45  # share of a gap the upper lip closes (no teeth to go by)
    rest_reach_iod: float = 0.15  # how far the skin around the lips follows them to rest
    rest_fullness_iod: float = 0.025  # a smile's thinned upper lip fills out by this at rest
    rest_lip_iod: tuple[float, float] = (0.07, 0.1)  # lips at rest are at least this thick
    # (upper, lower) in the middle: an open jaw stretches them thin
    rest_jaw_share: float = 0.6  # share of an open jaw that comes up at rest (lips do the rest;
    # raising the chin all the way drags the neck up with it)


def lip_press(closure, config: RigConfig):
    """Share of the lip gap that `lip_closure` presses shut: 0 below `closure_onset`, 1 from
    `closure_full` on, smoothstep between. Arrays or tensors (differentiable)."""
    t = ((closure - config.closure_onset) / (config.closure_full - config.closure_onset)).clip(0, 1)
    return t * t * (3 - 2 * t)


def central_lip_gap(mouth, config: RigConfig | None = None):
    """Inner-lip gap (IOD) at the middle of the mouth that the rig opens from rest for mouth
    parameters (..., 4): the jaw's drop with the upper lip's lift and rounding's parting, less
    what the closure presses shut. Arrays or tensors (differentiable); what a re-detection of
    the rendered lips measures, without a portrait (the rig's weights are 1 at the centre)."""
    c = config or RigConfig()
    jaw, rounding = mouth[..., JAW_OPEN], mouth[..., LIP_ROUND]
    gap = jaw * c.jaw_open_iod * (1 + c.upper_lip_lift) + rounding * c.lip_round_open_iod
    press = lip_press(mouth[..., LIP_CLOSURE], c)
    return gap.clip(0, None) * (1 - press * (1 - c.closure_residual))


class FaceRig(nn.Module):
    """Source landmarks (478, 3) px + per-frame parameters -> target landmarks (T, 478, 3) px."""

    def __init__(
        self,
        source_points: np.ndarray,
        config: RigConfig | None = None,
        mouth_state: MouthState | None = None,  # None: estimated from the landmarks alone
    ) -> None:
        super().__init__()
        self.config = c = config or RigConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        origin, axes, iod, q = face_frame(pts)
        self.iod = iod
        self.mouth_state = mouth_state or estimate_mouth_state(pts)
        self.register_buffer("origin", torch.tensor(origin, dtype=torch.float32))
        self.register_buffer("axes", torch.tensor(axes, dtype=torch.float32))
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
        # Along the lips the opening tapers into the corners, pointed like a lens.
        inner_half = abs(q[topo.MOUTH_CORNERS_INNER[1], 0] - q[topo.MOUTH_CORNERS_INNER[0], 0]) / 2
        rel = np.clip(np.abs(x - mouth_c[0]) / max(inner_half, 1e-6), 0.0, 1.0)
        taper = 1.0 - rel**2
        jaw[list(lower)] = (0.25 + 0.75 * taper)[list(lower)]
        jaw[list(upper)] = 0.0
        jaw[corners] = 0.25
        lift = np.zeros(n)
        lift += (
            0.5
            * _smoothstep(mouth_c[1] - 0.25, mouth_c[1] - 0.05, y)
            * (1 - below)
            * (np.abs(x - mouth_c[0]) < mouth_half)
        )
        lift[corners] = 0.3
        lift[list(upper)] = (0.3 + 0.7 * taper)[list(upper)]

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
        rest = self._rest_pattern(q, c, jaw, eye_pts)
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
        self.register_buffer("rest_vec", torch.tensor(rest, dtype=f32))
        self.register_buffer("w_gaze", torch.tensor(gaze, dtype=f32))
        self.register_buffer("mouth_center", torch.tensor(mouth_c, dtype=f32))
        pivot = [0.0, c.pivot_drop_iod, float(q[:, 2].mean()) + c.pivot_depth_iod]
        self.register_buffer("pivot", torch.tensor(pivot, dtype=f32))

    def _rest_pattern(
        self, q: np.ndarray, c: RigConfig, jaw: np.ndarray, eye_pts: list[int]
    ) -> np.ndarray:
        """(478, 2) displacement from the portrait's mouth to the rest mouth.

        A lowered jaw comes up first; then each inner-lip pair meets at a share of its gap (the
        upper teeth's edge, when the portrait shows it, ends just behind the lower lip); a
        smile's corners come in to a resting width and down to the lip line, which flattens to
        a gentle curve. Outer lip points keep their lip's thickness, and the skin around the
        lips follows with a Gaussian fall-off (the nose and the eyes stay).
        """
        state = self.mouth_state
        n = topo.N_LANDMARKS
        jaw_disp = np.zeros((n, 2))
        jaw_disp[:, 1] = -c.rest_jaw_share * state.jaw_open_iod * jaw
        cur = q[:, :2] + jaw_disp
        up_in, low_in = list(topo.LIPS_INNER_UPPER), list(topo.LIPS_INNER_LOWER)
        pair_gap = np.clip(cur[low_in, 1] - cur[up_in, 1], 0.0, None)  # (11,) corners: 0
        centre_gap = float(np.mean(pair_gap[3:8]))
        share = c.rest_upper_share
        if state.incisal_iod is not None and centre_gap > 1e-3:
            # The lower lip ends up just over the upper teeth's edge.
            edge = state.incisal_iod - OVERBITE_COVER_IOD
            share = float(np.clip(edge / centre_gap, 0.35, 0.6))
        meet = cur[up_in, 1] + share * pair_gap  # (11,)
        left, right = topo.MOUTH_CORNERS_OUTER
        cx = (cur[left, 0] + cur[right, 0]) / 2
        half = abs(cur[right, 0] - cur[left, 0]) / 2
        ratio = min(1.0, c.rest_width_iod / 2 / max(half, 1e-6))
        smile = state.smile
        lips = list(topo.LIPS_ALL)
        target = cur.copy()
        target[lips, 0] = cx + (cur[lips, 0] - cx) * ratio

        def lip_line(x: np.ndarray) -> np.ndarray:
            return meet[5] + c.rest_corner_drop_iod * ((x - cx) / (half * ratio)) ** 2

        seam = (1 - smile) * meet + smile * lip_line(target[up_in, 0])  # (11,)
        target[up_in, 1] = seam
        target[low_in, 1] = seam
        for corner in (left, right):
            target[corner, 1] = (1 - smile) * cur[corner, 1] + smile * lip_line(target[corner, 0])
        # Outer contours move with the inner one at the same x (each lip keeps its thickness),
        # except that a lip thins out into the corners (an opened mouth's lower lip, pulled
        # down with the jaw, can reach far below its corners).
        upper_outer = list(topo.LIPS_OUTER_UPPER[1:-1])
        for inner, outer in ((up_in, topo.LIPS_OUTER_UPPER), (low_in, topo.LIPS_OUTER_LOWER)):
            chain = [left] + inner + [right]
            xs, order = q[chain, 0], np.argsort(q[chain, 0])
            along = target[chain, 1][order]
            ids = list(outer[1:-1])
            thickness = np.abs(q[ids, 1] - np.interp(q[ids, 0], xs[order], q[chain, 1][order]))
            rel = np.clip(np.abs(target[ids, 0] - cx) / (half * ratio), 0.0, 1.0)
            profile = np.sqrt(1.0 - rel**2)
            limit = 1.3 * thickness.max() * profile
            natural = c.rest_lip_iod[0 if outer is topo.LIPS_OUTER_UPPER else 1] * profile
            thickness = np.maximum(thickness, np.minimum(natural, limit))
            sign = np.sign(q[ids, 1] - np.interp(q[ids, 0], xs[order], q[chain, 1][order]))
            base = np.interp(q[ids, 0], xs[order], along)
            target[ids, 1] = base + sign * np.minimum(thickness, limit)
        # A smile stretches the upper lip thin; relaxed, it fills out (most in the middle).
        middle = 1 - ((target[upper_outer, 0] - cx) / (half * ratio)) ** 2
        target[upper_outer, 1] -= c.rest_fullness_iod * smile * np.clip(middle, 0, 1)
        # Mesh points on the lips between the contours move with their lip.
        outer_ring = list(topo.LIPS_OUTER_UPPER) + list(topo.LIPS_OUTER_LOWER[::-1])
        on_lips = _inside(q[:, :2], q[outer_ring, :2]) & ~np.isin(np.arange(n), lips)
        on_lips = np.flatnonzero(on_lips)
        up_line = np.interp(q[on_lips, 0], *_sorted_xy(q[up_in, :2]))
        low_line = np.interp(q[on_lips, 0], *_sorted_xy(q[low_in, :2]))
        upper_lip = q[on_lips, 1] <= (up_line + low_line) / 2
        for inner, chosen in ((up_in, upper_lip), (low_in, ~upper_lip)):
            chain = [left] + inner + [right]
            xs, moved = q[chain, 0], target[chain, 1] - q[chain, 1]
            order = np.argsort(xs)
            idx = on_lips[chosen]
            target[idx, 0] = cx + (cur[idx, 0] - cx) * ratio
            target[idx, 1] = q[idx, 1] + np.interp(q[idx, 0], xs[order], moved[order])
        lips = lips + list(on_lips)
        disp = jaw_disp.copy()
        disp[lips] = target[lips] - q[lips, :2]
        # The skin around the lips follows their own move (beyond the jaw's), fading with the
        # distance to the nearest lip point; the nose and the eyes stay.
        own = disp[lips] - jaw_disp[lips]  # (L, 2)
        others = np.setdiff1d(np.arange(n), lips + list(topo.NOSE) + eye_pts)
        d2 = ((cur[others, None, :] - cur[None, lips, :]) ** 2).sum(-1)  # (O, L)
        weight = np.exp(-d2 / (2 * c.rest_reach_iod**2))
        falloff = np.exp(-d2.min(1) / (2 * c.rest_reach_iod**2))
        disp[others] += (weight @ own) / weight.sum(1, keepdims=True) * falloff[:, None]
        return disp

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
        rest: torch.Tensor | None = None,  # (T,) 0 = the portrait's own mouth .. 1 (None) = rest
    ) -> torch.Tensor:  # (T, 478, 3) target landmarks in pixels
        c = self.config
        T = mouth.shape[0]
        q = self.q.expand(T, -1, -1).clone()  # (T, 478, 3)
        rest_xy = self.rest_vec if rest is None else rest[:, None, None] * self.rest_vec
        q[..., :2] += rest_xy
        jaw = mouth[:, JAW_OPEN, None]  # (T, 1)
        width = mouth[:, LIP_WIDTH, None]
        rounding = mouth[:, LIP_ROUND, None]
        closure = lip_press(mouth[:, LIP_CLOSURE, None], c)
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
        return self._still(rest=0.0)

    def rest_points(self) -> torch.Tensor:
        """The landmarks of the rest mouth (478, 3) px: lips meeting, no teeth, no smile."""
        return self._still(rest=1.0)

    def _still(self, rest: float) -> torch.Tensor:
        dev = self.q.device
        zeros = torch.zeros
        return self.forward(
            zeros(1, 4, device=dev), zeros(1, 3, device=dev), zeros(1, 2, device=dev),
            zeros(1, device=dev), zeros(1, 2, device=dev), zeros(1, device=dev),
            rest=torch.full((1,), rest, device=dev),
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


def _inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) whether each point (N, 2) lies inside the closed polygon (M, 2) (even-odd rule)."""
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    at = x0 + (y - y0) * (x1 - x0) / np.where(y1 == y0, 1e-12, y1 - y0)
    return ((crosses & (x < at)).sum(1) % 2) == 1


def _sorted_xy(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(xy[:, 0])
    return xy[order, 0], xy[order, 1]


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
