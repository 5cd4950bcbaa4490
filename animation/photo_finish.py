"""How a photograph is finished: its sharpness and its grain, so what we paint can match them.

Blur: at the strongest edges of the face, the gradient of an edge blurred by a Gaussian of
sigma s falls by sqrt(s² + r²) / s when the picture is blurred again by r, so the ratio of the
two gradients gives s (Hu and de Haan's re-blur estimator). Grain: the robust spread (median
absolute deviation) of the fine detail of the cheeks, relative to their brightness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import topology as topo

LUMA = np.array([0.299, 0.587, 0.114])  # BT.601 luma weights of R, G, B
REBLUR_SIGMA = 1.5  # px, the second blur of the re-blur estimator
EDGE_SHARE = 0.03  # the strongest this share of the face's gradients measure the blur


@dataclass(frozen=True)
class PhotoFinish:
    blur_px: float  # Gaussian sigma of the photograph's own softness, px
    grain: float  # fine-detail noise, as a share of the local brightness (0.01 = 1 %)


def measure_finish(image: np.ndarray, points: np.ndarray) -> PhotoFinish:
    """Blur and grain of a portrait (H, W, 3) uint8 RGB around its face (landmarks (478, 3))."""
    import cv2

    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    oval = np.round(points[list(topo.FACE_OVAL), :2]).astype(np.int32)
    face = np.zeros(luma.shape, np.uint8)
    cv2.fillPoly(face, [oval], 1)
    if face.sum() < 100:
        return PhotoFinish(1.0, 0.01)
    gx, gy = cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1)
    soft = cv2.GaussianBlur(luma, (0, 0), REBLUR_SIGMA)
    sx, sy = cv2.Sobel(soft, cv2.CV_32F, 1, 0), cv2.Sobel(soft, cv2.CV_32F, 0, 1)
    grad, grad_soft = np.hypot(gx, gy)[face > 0], np.hypot(sx, sy)[face > 0]
    strong = grad >= np.quantile(grad, 1 - EDGE_SHARE)
    ratio = float(np.median(grad[strong] / np.maximum(grad_soft[strong], 1e-3)))
    blur = REBLUR_SIGMA / np.sqrt(max(ratio**2 - 1, 1e-3))
    # Grain on the cheeks: the face minus the eyes, brows, nose and mouth.
    features = np.zeros_like(face)
    for ids in (topo.LIPS_ALL, topo.NOSE, topo.RIGHT_EYEBROW + topo.RIGHT_EYE_UPPER,
                topo.LEFT_EYEBROW + topo.LEFT_EYE_UPPER):  # fmt: skip
        hull = cv2.convexHull(np.round(points[list(ids), :2]).astype(np.int32))
        cv2.fillConvexPoly(features, hull, 1)
    iod = float(np.linalg.norm(points[topo.LEFT_IRIS_CENTER, :2]
                               - points[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
    grow = max(3, int(0.15 * iod)) | 1
    features = cv2.dilate(features, np.ones((grow, grow), np.uint8))
    cheeks = (face > 0) & (features == 0)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), 1.0)
    if cheeks.sum() < 50:
        cheeks = face > 0
    spread = 1.4826 * float(np.median(np.abs(detail[cheeks])))
    grain = spread / max(float(np.mean(luma[cheeks])), 1.0)
    return PhotoFinish(float(np.clip(blur, 0.3, 4.0)), float(np.clip(grain, 0.0, 0.08)))
