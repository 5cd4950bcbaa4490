"""Upload validation in a sandboxed child: the structural pre-scan, then Pillow or PyAV, under
hard CPU, memory and time limits (see :mod:`provenance.sandbox`).

The caller's side (``portrait_isolated``, ``audio_isolated``) spools the upload into an
anonymous temporary file (already unlinked: nothing is left whatever kills whom) and hands its
descriptor to the child; the child's side (``*_task``) runs the pure validators of
:mod:`uploads.validation` on ``/proc/self/fd/N``. Like that module, this one has no Django
imports, because the child imports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from provenance.sandbox import REFUSED_STATUS, ExaminationFailed, Limits, TaskRefused, run_task
from provenance.structure import StructureLimits, scan_media

from .validation import (
    UploadRejected,
    ValidatedAudio,
    ValidatedPortrait,
    spool_capped,
    validate_audio_file,
    validate_portrait,
)

__all__ = ["audio_isolated", "audio_task", "portrait_isolated", "portrait_task"]

# Pixel caps stay with the validators (their messages name the limits); the pre-scan bounds
# what the header cannot: scans, segments, chunks, boxes.
_STRUCTURE = StructureLimits(max_side=1 << 30, max_image_pixels=1 << 60)


def portrait_isolated(
    stream: BinaryIO, *, max_bytes: int, max_pixels: int, min_side: int, limits: Limits
) -> ValidatedPortrait:
    value = _run(
        "uploads.isolation:portrait_task",
        stream,
        what="portrait",
        max_bytes=max_bytes,
        limits=limits,
        kwargs={"max_bytes": max_bytes, "max_pixels": max_pixels, "min_side": min_side},
    )
    return ValidatedPortrait(**value)


def audio_isolated(
    stream: BinaryIO, *, max_bytes: int, max_seconds: float, min_seconds: float, limits: Limits
) -> ValidatedAudio:
    value = _run(
        "uploads.isolation:audio_task",
        stream,
        what="recording",
        max_bytes=max_bytes,
        limits=limits,
        kwargs={"max_seconds": max_seconds, "min_seconds": min_seconds},
    )
    return ValidatedAudio(**value)


def _run(
    task: str, stream: BinaryIO, *, what: str, max_bytes: int, limits: Limits, kwargs: dict
) -> dict[str, Any]:
    with tempfile.TemporaryFile(prefix="upload-") as spool:
        spool_capped(stream, spool, max_bytes=max_bytes, what=what)
        try:
            return run_task(task, files=(spool,), kwargs=kwargs, limits=limits).value
        except TaskRefused as exc:
            raise UploadRejected(exc.code, exc.message, exc.status) from exc
        except ExaminationFailed as exc:
            if exc.reason == "error":  # the validators refuse what they cannot read themselves
                raise UploadRejected(
                    "malformed",
                    f"The {what} could not be decoded: the file is damaged, truncated or not "
                    "real media.",
                ) from exc
            raise UploadRejected(exc.code, exc.message(what), REFUSED_STATUS) from exc


def portrait_task(
    *, paths: list[str], max_bytes: int, max_pixels: int, min_side: int
) -> dict[str, Any]:
    (path,) = paths
    with open(path, "rb") as fh:
        scan_media(fh, limits=_STRUCTURE)  # an absurd structure is refused as it is
        fh.seek(0)
        with _refusals():
            validated = validate_portrait(
                fh, max_bytes=max_bytes, max_pixels=max_pixels, min_side=min_side
            )
    return dataclasses.asdict(validated)


def audio_task(*, paths: list[str], max_seconds: float, min_seconds: float) -> dict[str, Any]:
    (path,) = paths
    with open(path, "rb") as fh:
        scan_media(fh, limits=_STRUCTURE)
    with _refusals():
        validated = validate_audio_file(path, max_seconds=max_seconds, min_seconds=min_seconds)
    return dataclasses.asdict(validated)


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """UploadRejected in the child becomes TaskRefused, which crosses back to the parent."""
    try:
        yield
    except UploadRejected as exc:
        raise TaskRefused(exc.code, exc.message, exc.status) from exc
