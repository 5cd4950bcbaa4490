"""Which pixels move with the head: face, hair and ears fully, the background not at all.

A head turn in a photograph moves the face together with the hair and ears around it; only the
background next to the head gives way. The warp therefore needs a weight map over the portrait:
1 on the head (the person, as mediapipe's selfie segmentation sees it, limited to a generous
region around the face so hands and shoulders stay put), falling smoothly to 0 over a band of
background around it and over the neck below the chin. Without a segmentation the head is an
ellipse a little larger than the face oval.

The selfie segmentation model ships inside the mediapipe wheel (nothing is downloaded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import topology as topo


@dataclass(frozen=True)
class HeadRegionConfig:
    head_extent: tuple[float, float] = (2.4, 2.1)  # largest head (with hair), oval half-sizes
    neck_iod: tuple[float, float] = (0.1, 0.7)  # below the chin the head fades out between these
    band_iod: float = 0.8  # background band over which the head's motion fades to nothing
    smooth_iod: float = 0.08  # Gaussian smoothing of the weight map (no jagged mask edges)
    fallback_scale: float = 1.3  # without a person mask: the head is the oval scaled by this


@dataclass(frozen=True)
class FaceFrame:
    """The face oval's box in face axes (x along the eye line, y down), in image pixels."""

    center: np.ndarray  # (2,) px, centre of the oval's box
    axes: np.ndarray  # (2, 2) rows: unit face x, unit face y
    half: np.ndarray  # (2,) px, half width and half height of the oval
    iod: float  # px between the iris centres

    @staticmethod
    def from_landmarks(points: np.ndarray) -> FaceFrame:
        pts = np.asarray(points, dtype=np.float64)
        right, left = pts[topo.RIGHT_IRIS_CENTER, :2], pts[topo.LEFT_IRIS_CENTER, :2]
        iod = float(np.linalg.norm(left - right))
        ex = (left - right) / iod
        axes = np.stack([ex, [-ex[1], ex[0]]])
        local = pts[list(topo.FACE_OVAL), :2] @ axes.T
        lo, hi = local.min(0), local.max(0)
        return FaceFrame(((lo + hi) / 2) @ axes, axes, (hi - lo) / 2, iod)

    def local(self, xy: np.ndarray) -> np.ndarray:
        """Points (..., 2) px -> (..., 2) in oval half-sizes from the oval's centre."""
        return ((np.asarray(xy, dtype=np.float64) - self.center) @ self.axes.T) / self.half


class PersonSegmenter:
    """Person-versus-background mask of a portrait (mediapipe selfie segmentation, lazy graph)."""

    def __init__(self) -> None:
        self._graph = None

    def _ensure(self):
        if self._graph is None:
            os.environ.setdefault("GLOG_minloglevel", "2")
            from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

            self._graph = SelfieSegmentation(model_selection=0)
        return self._graph

    def warm_up(self) -> PersonSegmenter:
        self.mask(np.zeros((64, 64, 3), np.uint8))
        return self

    def mask(self, image: np.ndarray) -> np.ndarray:
        """(H, W) float32, 1 on the person, 0 on the background, for (H, W, 3) uint8 RGB."""
        result = self._ensure().process(np.ascontiguousarray(image[..., :3]))
        return np.asarray(result.segmentation_mask, dtype=np.float32).copy()

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def __enter__(self) -> PersonSegmenter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def head_weight(
    points: np.ndarray,
    shape: tuple[int, int],
    person_mask: np.ndarray | None = None,
    config: HeadRegionConfig | None = None,
) -> np.ndarray:
    """(H, W) float32 in 0..1: how fully each pixel follows the head (shape = (H, W))."""
    import cv2

    c = config or HeadRegionConfig()
    height, width = shape
    frame = FaceFrame.from_landmarks(points)
    yy, xx = np.mgrid[:height, :width]
    uv = frame.local(np.stack([xx, yy], -1))  # (H, W, 2)
    radius = np.hypot(uv[..., 0] / c.head_extent[0], uv[..., 1] / c.head_extent[1])
    # Below the chin (v = 1 at the oval's bottom) the head gives way to the neck.
    depth_iod = (uv[..., 1] - 1.0) * frame.half[1] / frame.iod
    region = (1.0 - _smoothstep(0.9, 1.0, radius)) * (
        1.0 - _smoothstep(c.neck_iod[0], c.neck_iod[1], depth_iod)
    )
    if person_mask is None:
        scale = c.fallback_scale
        head = 1.0 - _smoothstep(scale - 0.1, scale, np.hypot(uv[..., 0], uv[..., 1]))
    else:
        person = cv2.resize(np.asarray(person_mask, np.float32), (width, height),
                            interpolation=cv2.INTER_LINEAR)  # fmt: skip
        head = np.clip(person, 0.0, 1.0)
    # The face itself always moves, whatever the segmentation says.
    oval = np.zeros(shape, np.uint8)
    cv2.fillPoly(oval, [np.round(points[list(topo.FACE_OVAL), :2]).astype(np.int32)], 1)
    core = np.maximum(head * region, oval.astype(np.float64))
    # A band of background around the head fades the motion out.
    outside = (core < 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    band = 1.0 - _smoothstep(0.0, c.band_iod * frame.iod, distance)
    weight = np.maximum(core, band)
    sigma = c.smooth_iod * frame.iod
    if sigma >= 0.5:
        weight = cv2.GaussianBlur(weight, (0, 0), sigma)
    weight[weight < 1e-3] = 0.0
    return weight.astype(np.float32)


def ring_points(points: np.ndarray, offsets_iod: tuple[float, ...], step: int = 3) -> np.ndarray:
    """(K, 2) px: every `step`-th face-oval point pushed outwards by each offset (in IOD)."""
    frame = FaceFrame.from_landmarks(points)
    oval = np.asarray(points, dtype=np.float64)[list(topo.FACE_OVAL), :2]
    rings = []
    for k, offset in enumerate(offsets_iod):
        picked = oval[(k * step // 2) % step :: step]  # stagger the rings
        rel = picked - frame.center
        length = np.linalg.norm(rel, axis=1, keepdims=True)
        rings.append(frame.center + rel * (1.0 + offset * frame.iod / np.maximum(length, 1e-6)))
    return np.concatenate(rings)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
