"""Driving-video mode: motion from a driving clip's landmarks, relative to its first frame.

Each driving frame's landmarks are aligned to the first frame's with a 3D similarity fitted on
points that expressions barely move (eye corners, nose bridge, forehead, temples). The rotation
of that fit gives the head pose, its translation the head sway, and what remains after the
alignment is the expression, expressed in inter-ocular units of the driving face, so it
transfers to any portrait whatever the two faces' sizes (the reenactment use).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import topology as topo
from .errors import DrivingVideoError, NoFaceError


@dataclass
class DrivingMotion:
    pose_deg: np.ndarray  # (T, 3) yaw, pitch, roll relative to the first frame
    translation: np.ndarray  # (T, 2) head sway in IOD units (face x, face y)
    expression: np.ndarray  # (T, 478, 3) landmark offsets in IOD units (face frame)


def retarget(landmarks: list[np.ndarray | None], max_pose_deg: float = 25.0) -> DrivingMotion:
    """Turn tracked driving landmarks (T x (478, 3) px, None where lost) into rig inputs."""
    if not landmarks or landmarks[0] is None:
        raise NoFaceError(
            "No face was found on the first frame of the driving video; start the clip on a "
            "clearly visible face."
        )
    filled: list[np.ndarray] = []
    for points in landmarks:
        filled.append(points if points is not None else filled[-1])
    ref = filled[0]
    right, left = ref[topo.RIGHT_IRIS_CENTER, :2], ref[topo.LEFT_IRIS_CENTER, :2]
    iod = float(np.linalg.norm(left - right))
    if iod < 4:
        raise DrivingVideoError("The face in the driving video is too small to follow.")
    ex = (left - right) / iod
    axes = np.eye(3)
    axes[0, :2], axes[1, :2] = ex, (-ex[1], ex[0])  # rows: face x, face y, depth
    stable = list(topo.STABLE_POINTS)
    n = len(filled)
    pose = np.zeros((n, 3))
    translation = np.zeros((n, 2))
    expression = np.zeros((n, topo.N_LANDMARKS, 3))
    ref_face = (ref - ref.mean(0)) @ axes.T / iod  # (478, 3) face frame, IOD units
    for t, points in enumerate(filled):
        cur_face = (points - ref.mean(0)) @ axes.T / iod
        scale, rot, shift = _similarity(cur_face[stable], ref_face[stable])
        aligned = scale * cur_face @ rot.T + shift  # current frame in the reference pose
        expression[t] = aligned - ref_face
        pose[t] = _euler(rot.T)  # rotation that takes the reference pose to frame t
        mid_now = (cur_face[topo.RIGHT_IRIS_CENTER] + cur_face[topo.LEFT_IRIS_CENTER]) / 2
        mid_ref = (ref_face[topo.RIGHT_IRIS_CENTER] + ref_face[topo.LEFT_IRIS_CENTER]) / 2
        translation[t] = (mid_now - mid_ref)[:2]
    pose = np.clip(pose, -max_pose_deg, max_pose_deg)
    return DrivingMotion(pose, translation, expression)


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama: scale, rotation (3, 3), shift with dst ≈ scale * src @ R.T + shift."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    cov = b.T @ a / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[2, 2] = -1
    rot = u @ d @ vt
    var = (a**2).sum() / len(src)
    scale = float(np.trace(np.diag(s) @ d) / max(var, 1e-12))
    shift = mu_d - scale * mu_s @ rot.T
    return scale, rot, shift


def _euler(rot: np.ndarray) -> np.ndarray:
    """Inverse of rig.rotation_matrices (R = R_roll @ R_pitch @ R_yaw), in degrees."""
    pitch = math.asin(float(np.clip(rot[2, 1], -1.0, 1.0)))
    yaw = math.atan2(-rot[2, 0], rot[2, 2])
    roll = math.atan2(-rot[0, 1], rot[1, 1])
    return np.degrees([yaw, pitch, roll])
