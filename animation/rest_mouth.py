"""The portrait's own mouth: how open it is, whether it shows teeth, how much it smiles.

The rig animates every mouth from a neutral rest of its own (lips meeting, no teeth, no smile),
so it first has to know what the portrait's mouth is doing. Geometry comes from the landmarks,
in the face frame the rig uses (origin between the irises, x along the eye line, y down, unit =
inter-ocular distance, IOD). The pixels inside the inner-lip contour tell teeth (brighter than
the lips) from the cavity (much darker): an opening of teeth alone is lips drawn back (a smile,
the jaw closed); a dark band between the teeth, or no teeth at all, is a lowered jaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import topology as topo

CENTRAL_PAIRS = slice(3, 8)  # inner-lip points 3..7 of 11: the middle of the mouth
OVERBITE_IOD = 0.03  # upper incisors reach this far below the lower ones when the jaw is shut
TEETH_OVER_LIP = 1.08  # a pixel this much brighter than the lips' median reads as a tooth
CAVITY_UNDER_LIP = 0.55  # ... and one this much darker as the cavity
COLUMNS = 9  # vertical profiles sampled across the middle of the opening
ROWS = 24  # samples along each profile


@dataclass(frozen=True)
class MouthState:
    """What the portrait's mouth does, in inter-ocular units (IOD)."""

    gap_iod: float  # inner-lip gap in the middle of the mouth
    corner_lift_iod: float  # mouth corners above the middle of the lip line (smiles lift them)
    width_iod: float  # corner to corner
    teeth_shown: float  # share of the opening that looks like teeth (0..1)
    jaw_open_iod: float  # part of the gap that comes from a lowered jaw (the rest is the lips)
    incisal_iod: float | None  # upper teeth's edge below the upper inner lip (None: no teeth)

    @property
    def smile(self) -> float:
        """0 for a relaxed mouth .. 1 for a broad smile (lifted corners, a widened mouth)."""
        lift = (self.corner_lift_iod + 0.03) / 0.12
        widening = (self.width_iod - 0.82) / 0.16
        return float(np.clip(max(lift, widening), 0.0, 1.0))

    @property
    def closed(self) -> bool:
        return self.gap_iod <= 0.03


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(origin px (2,), axes (2, 2) rows x and y, IOD px, points in the face frame (N, 3))."""
    pts = np.asarray(points, dtype=np.float64)
    right, left = pts[topo.RIGHT_IRIS_CENTER, :2], pts[topo.LEFT_IRIS_CENTER, :2]
    iod = float(np.linalg.norm(left - right))
    ex = (left - right) / iod
    axes = np.stack([ex, [-ex[1], ex[0]]])
    origin = (left + right) / 2
    rel = (pts[:, :2] - origin) @ axes.T / iod
    q = np.concatenate([rel, ((pts[:, 2] - pts[:, 2].mean()) / iod)[:, None]], 1)
    return origin, axes, iod, q


def estimate_mouth_state(points: np.ndarray, image: np.ndarray | None = None) -> MouthState:
    """The mouth of a portrait from its landmarks (478, 3) px and, when given, its pixels
    (H, W, 3) uint8 RGB. Without pixels the jaw's share of the gap is guessed from its size."""
    _, _, iod, q = face_frame(points)
    up, low = list(topo.LIPS_INNER_UPPER), list(topo.LIPS_INNER_LOWER)
    gap = float(np.mean(q[low[CENTRAL_PAIRS], 1] - q[up[CENTRAL_PAIRS], 1]))
    gap = max(gap, 0.0)
    middle = (q[topo.LIPS_INNER_UPPER[5], 1] + q[topo.LIPS_INNER_LOWER[5], 1]) / 2
    corners = q[list(topo.MOUTH_CORNERS_OUTER)]
    lift = float(middle - corners[:, 1].mean())
    width = float(np.linalg.norm(corners[1, :2] - corners[0, :2]))
    teeth, dark, incisal = 0.0, 0.0, None
    if image is not None and gap * iod >= 2.0:
        teeth, dark, incisal = _opening_profile(np.asarray(image), np.asarray(points), iod)
    if image is None:
        # Lips alone part by up to ~0.12 IOD (a broad smile); anything beyond is the jaw.
        jaw = max(0.0, gap - 0.12)
    elif teeth < 0.15:
        jaw = max(0.0, gap - OVERBITE_IOD) if gap > 0.04 else 0.0  # open, teeth hidden
    elif dark > 0.02:
        jaw = min(gap, dark + OVERBITE_IOD)  # upper and lower teeth apart
    else:
        jaw = 0.0  # teeth together: the lips are drawn back
    return MouthState(gap, lift, width, teeth, float(jaw), incisal)


def _opening_profile(image: np.ndarray, points: np.ndarray, iod: float):
    """(teeth share, tallest dark band IOD, upper teeth edge below the upper lip IOD or None)
    from vertical profiles through the middle of the opening."""
    import cv2

    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    h, w = luma.shape
    outer, inner = lip_outlines(points)
    lips = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lips, [np.round(outer).astype(np.int32)], 1)
    cv2.fillPoly(lips, [np.round(inner).astype(np.int32)], 0)
    lip_luma = float(np.median(luma[lips > 0])) if lips.any() else float(np.median(luma))
    up = points[list(topo.LIPS_INNER_UPPER), :2]
    low = points[list(topo.LIPS_INNER_LOWER), :2]
    # Profiles between matching inner-lip points, interpolated across the middle of the mouth.
    t = np.linspace(0.25, 0.75, COLUMNS)
    along = np.linspace(0.0, 1.0, len(up))
    top = np.stack([np.interp(t, along, up[:, k]) for k in range(2)], 1)  # (C, 2)
    bottom = np.stack([np.interp(t, along, low[:, k]) for k in range(2)], 1)
    s = np.linspace(0.0, 1.0, ROWS)[None, :, None]
    xy = (top[:, None] * (1 - s) + bottom[:, None] * s).astype(np.float32)  # (C, R, 2)
    samples = cv2.remap(luma, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    teeth = samples > TEETH_OVER_LIP * lip_luma  # (C, R)
    dark = samples < CAVITY_UNDER_LIP * lip_luma
    length = np.linalg.norm(bottom - top, axis=1) / iod  # (C,) IOD
    row = length / (ROWS - 1)
    dark_band = np.median([_longest_run(d) for d in dark] * row)
    edges = []
    for column, step in zip(teeth, row, strict=True):
        hits = np.flatnonzero(column)
        if len(hits) and hits[0] <= ROWS // 3:  # teeth hanging from the upper lip
            run_end = hits[0] + _longest_run(column[hits[0] :], from_start=True)
            edges.append(run_end * step)
    incisal = float(np.median(edges)) if len(edges) > COLUMNS // 2 else None
    return float(teeth.mean()), float(dark_band), incisal


def _longest_run(mask: np.ndarray, from_start: bool = False) -> int:
    """Length of the longest run of True (or of the run that starts at index 0)."""
    best = run = 0
    for value in mask:
        if value:
            run += 1
            best = max(best, run)
        else:
            if from_start:
                return run
            run = 0
    return best


def lip_outlines(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outer and inner lip contours of (478, >=2) landmarks as closed (N, 2) polygons."""
    outer = np.concatenate([points[list(topo.LIPS_OUTER_UPPER), :2],
                            points[list(topo.LIPS_OUTER_LOWER[::-1]), :2]])  # fmt: skip
    inner = np.concatenate([points[list(topo.LIPS_INNER_UPPER), :2],
                            points[list(topo.LIPS_INNER_LOWER[::-1]), :2]])  # fmt: skip
    return outer, inner
