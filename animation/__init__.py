"""animation: a still portrait + speech (or a driving clip, or nothing) -> talking-head MP4.

A pure library (torch, mediapipe, PyAV; no Django, no platform code). Importing it is cheap:
torch and mediapipe load on first use of `Animator` or `animate`.

    from animation import AnimationConfig, Animator
    animator = Animator(AnimationConfig()).warm_up()  # once per worker process
    result = animator.animate("portrait.jpg", "speech.wav", "out.mp4", seed=1, size=512)

    from animation import animate  # one-off convenience (reuses a cached Animator)
    result = animate("portrait.jpg", "speech.wav", "out.mp4", seed=1, size=512)

Progress: `progress(stage: Stage, overall: float)`, `overall` the monotonic fraction of the
whole job (weights in `PIPELINE_STAGES`). The frame hook takes and returns device tensors.

Errors a person can fix raise `animation.errors.AnimationInputError` subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import (
    AnimationError,
    AnimationInputError,
    AudioTooLongError,
    DrivingVideoError,
    EmptyAudioError,
    FaceIndexError,
    FaceTooSmallError,
    NoFaceError,
    UnreadableAudioError,
    UnreadableImageError,
)
from .stages import PIPELINE_STAGES, ProgressCallback, Stage, StageWeight
from .versions import MODEL_VERSIONS, __version__, model_versions_string

if TYPE_CHECKING:
    from .animator import MIN_FACE_HEIGHT_PX, Animator
    from .config import AnimationConfig
    from .pipeline import animate
    from .result import AnimationResult, MotionTrack
    from .streaming import FrameHook

__all__ = [
    "MIN_FACE_HEIGHT_PX", "MODEL_VERSIONS", "PIPELINE_STAGES", "AnimationConfig",
    "AnimationError", "AnimationInputError", "AnimationResult", "Animator", "AudioTooLongError",
    "DrivingVideoError", "EmptyAudioError", "FaceIndexError", "FaceTooSmallError", "FrameHook",
    "MotionTrack", "NoFaceError", "ProgressCallback", "Stage", "StageWeight",
    "UnreadableAudioError", "UnreadableImageError", "__version__", "animate",
    "model_versions_string",
]  # fmt: skip

# Lazy: `import animation` must not import torch (the platform imports the errors only).
_LAZY = {
    "Animator": "animator", "AnimationConfig": "config", "MIN_FACE_HEIGHT_PX": "animator",
    "animate": "pipeline", "AnimationResult": "result", "MotionTrack": "result",
    "FrameHook": "streaming",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'animation' has no attribute {name!r}")
