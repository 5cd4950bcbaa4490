"""What a finished animation returns: the clip's facts, its timings and the motion that drove it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .versions import model_versions_string


@dataclass
class MotionTrack:
    """What drove each frame (T frames), kept for provenance, tests and benchmarks."""

    mouth: np.ndarray  # (T, 4) jaw_open, lip_width, lip_round, lip_closure
    pose_deg: np.ndarray  # (T, 3) yaw, pitch, roll
    translation: np.ndarray  # (T, 2) head sway, IOD units
    blink: np.ndarray  # (T,) 0 open .. 1 closed (0 in driving mode: lids come from the clip)
    gaze: np.ndarray  # (T, 2)
    smile: np.ndarray  # (T,)


@dataclass
class AnimationResult:
    output_path: Path  # the MP4 written
    frame_count: int  # frames in the video
    fps: float  # frames per second
    duration_s: float  # frame_count / fps
    width: int  # video width, px
    height: int  # video height, px
    mode: str  # "audio", "driving" or "idle"
    seed: int  # seed of the stochastic behaviour
    device: str  # torch device the generator ran on
    face_count: int  # faces found in the portrait
    face_index: int  # the face animated (left to right)
    landmark_count: int  # landmarks per face (478)
    face_height_px: float  # forehead-to-chin height of the face in the video
    timings: dict[str, float]  # seconds per stage
    model_versions: dict[str, str]  # component -> version, for provenance
    motion: MotionTrack = field(repr=False)  # per-frame drivers
    source_landmarks: np.ndarray = field(repr=False)  # (478, 3) px in the video frame
    target_landmarks: np.ndarray = field(repr=False)  # (T, 478, 2) px intended per frame

    @property
    def model_versions_string(self) -> str:
        return model_versions_string(self.model_versions)

    def summary(self) -> dict:
        """JSON-friendly summary (what the CLI prints)."""
        return {
            "output": str(self.output_path), "frames": self.frame_count, "fps": self.fps,
            "duration_s": round(self.duration_s, 3), "width": self.width, "height": self.height,
            "mode": self.mode, "seed": self.seed, "device": self.device,
            "faces": self.face_count, "face_index": self.face_index,
            "landmarks": self.landmark_count, "face_height_px": round(self.face_height_px, 1),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "model_versions": self.model_versions_string,
        }  # fmt: skip
