"""Which files verification accepts, recognised by their first bytes, never by name."""

from __future__ import annotations

from core.errors import DomainError

# (magic test, suffix the provenance library reads it by, media type)
_KINDS = (
    (lambda head: head[4:8] == b"ftyp", ".mp4", "video/mp4"),
    (lambda head: head.startswith(b"\xff\xd8\xff"), ".jpg", "image/jpeg"),
    (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), ".png", "image/png"),
)


class UnsupportedMedia(DomainError):
    code = "unsupported_type"
    status = 415


def media_kind(head: bytes) -> tuple[str, str]:
    """(suffix, media type) for the first bytes of a file; refuses anything else."""
    if not head:
        raise DomainError("The file is empty.", code="empty")
    for test, suffix, media_type in _KINDS:
        if test(head):
            return suffix, media_type
    raise UnsupportedMedia("Verification accepts MP4 videos and JPEG or PNG images.")
