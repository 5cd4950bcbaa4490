"""A portrait's face, looked for at upload by the landmark detector the animation job runs, so
that a photo the job could not animate is refused at once, in the job's own words.

The job fails such a photo with the message of the ``AnimationInputError`` that
``animation.landmarks.FaceLandmarker.find`` raises (``jobs.runner.job_attempt`` shows its text);
the same call, with the same configuration, on the same stored image, raises the same error
here, so the words are written once, in the animation library.

It runs in the web process, on the portrait as it will be stored: our own re-encoding of pixels
the sandboxed validator (``uploads.isolation``) has already decoded and bounded, never the
uploaded bytes. The detector's models load once per process (about half a second and 150 MB);
each check then takes some 10-20 ms.
"""

from __future__ import annotations

import threading

from animation.errors import AnimationInputError
from animation.landmarks import FaceLandmarker, LandmarkConfig
from animation.portrait import load_portrait

from .validation import UploadRejected

# The job's configuration: AnimationConfig().landmarks is a default LandmarkConfig.
_landmarker = FaceLandmarker(LandmarkConfig())
_lock = threading.Lock()  # one image at a time: the landmarker is not thread-safe


def portrait_face_check(content: bytes) -> None:
    """Refuse (``UploadRejected``, 422) a portrait in which the job would find no usable face."""
    try:
        image = load_portrait(content)
        with _lock:
            _landmarker.find(image)
    except AnimationInputError as exc:
        raise UploadRejected("no_face", str(exc), 422) from exc
