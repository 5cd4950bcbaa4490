"""Errors a caller of the animation library can cause, with messages meant for a person.

The platform turns every `AnimationInputError` into a 4xx answer or a failed job whose message
is shown to the member, so messages say what was wrong and what to do about it. Anything else
raised by this package is a bug or an environment problem (5xx).
"""

from __future__ import annotations


class AnimationError(Exception):
    """Base class of every error raised on purpose by the animation library."""


class AnimationInputError(AnimationError, ValueError):
    """The inputs cannot be animated; the message explains why to a person."""


class UnreadableImageError(AnimationInputError):
    """The portrait file is not an image we can decode."""


class NoFaceError(AnimationInputError):
    """No face was found in the portrait (or in the driving video)."""


class FaceTooSmallError(AnimationInputError):
    """The face is too small to animate; the message names the minimum."""

    def __init__(self, message: str, *, face_height_px: float, minimum_px: int) -> None:
        super().__init__(message)
        self.face_height_px = face_height_px
        self.minimum_px = minimum_px


class FaceIndexError(AnimationInputError):
    """A face index was asked for that the portrait does not have."""


class UnreadableAudioError(AnimationInputError):
    """The audio file cannot be decoded or has no audio track."""


class EmptyAudioError(AnimationInputError):
    """The audio decodes but holds (almost) no samples."""


class AudioTooLongError(AnimationInputError):
    """The audio is longer than the library accepts."""


class DrivingVideoError(AnimationInputError):
    """The driving video cannot be read or shows no face on its first frame."""
