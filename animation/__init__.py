"""animation: a still portrait + speech (or a driving clip, or nothing) -> talking-head MP4.

A pure library (torch, mediapipe, PyAV; no Django, no platform code). Importing it is cheap:
torch and mediapipe load on first use of `animate`.

    from animation import animate
    result = animate("portrait.jpg", "speech.wav", "out.mp4", seed=1, size=512)

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
from .versions import MODEL_VERSIONS, __version__, model_versions_string

if TYPE_CHECKING:
    from .pipeline import AnimationResult, animate

__all__ = [
    "MODEL_VERSIONS", "AnimationError", "AnimationInputError", "AnimationResult",
    "AudioTooLongError", "DrivingVideoError", "EmptyAudioError", "FaceIndexError",
    "FaceTooSmallError", "NoFaceError", "UnreadableAudioError", "UnreadableImageError",
    "__version__", "animate", "model_versions_string",
]  # fmt: skip


def __getattr__(name: str):
    # Lazy: `import animation` must not import torch (the platform imports the errors only).
    if name in ("animate", "AnimationResult", "MotionTrack", "MIN_FACE_HEIGHT_PX"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'animation' has no attribute {name!r}")
