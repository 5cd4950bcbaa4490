"""Checks a file attached to a misuse report: an MP4, JPEG, PNG or WebP, by its content.

The file is evidence, so it is kept byte for byte (hashed, never re-encoded) and only ever
served to moderators, as a download.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from core.errors import DomainError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# ISO base media brands that mean an MP4 (not QuickTime, HEIF/AVIF or 3GP).
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
    b"dash", b"mp71",
}  # fmt: skip


@dataclass(frozen=True)
class Attachment:
    content: bytes
    extension: str
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def attachment_max_bytes() -> int:
    return int(getattr(settings, "REPORT_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def attachment_validate(upload: UploadedFile) -> Attachment:
    limit = attachment_max_bytes()
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise DomainError(
            f"The attached file is larger than {limit / 2**20:.0f} MB.",
            code="too_large",
            status=413,
        )
    if not content:
        raise DomainError("The attached file is empty.", code="empty")
    kind = _sniff(content)
    if kind is None:
        raise DomainError(
            "The attached file must be an MP4 video or a JPEG, PNG or WebP image.",
            code="unsupported_type",
            status=415,
        )
    return Attachment(content, *kind)


def _sniff(content: bytes) -> tuple[str, str] | None:
    if content.startswith(b"\xff\xd8\xff"):
        return ".jpg", "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png", "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return ".webp", "image/webp"
    if content[4:8] == b"ftyp" and _is_mp4_ftyp(content):
        return ".mp4", "video/mp4"
    return None


def _is_mp4_ftyp(content: bytes) -> bool:
    size = int.from_bytes(content[:4], "big")
    if not 16 <= size <= min(len(content), 4096) or size % 4:
        return False
    brands = [content[8:12]] + [content[i : i + 4] for i in range(16, size, 4)]
    return any(brand in _MP4_BRANDS for brand in brands)
