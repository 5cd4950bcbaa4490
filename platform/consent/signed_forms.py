"""Checks an uploaded signed consent form: a PDF, JPEG or PNG recognised by its content."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from core.errors import DomainError

MAX_FORM_BYTES = 10 * 1024 * 1024
_SIGNATURES = {
    b"%PDF-": (".pdf", "application/pdf"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
}


@dataclass(frozen=True)
class SignedForm:
    content: bytes
    extension: str
    content_type: str


def signed_form_validate(upload: UploadedFile) -> SignedForm:
    content = upload.read(MAX_FORM_BYTES + 1)
    if len(content) > MAX_FORM_BYTES:
        raise DomainError("The signed form is larger than 10 MB.", code="too_large", status=413)
    if not content:
        raise DomainError("The signed form is empty.", code="empty")
    for magic, (extension, content_type) in _SIGNATURES.items():
        if content.startswith(magic):
            return SignedForm(content, extension, content_type)
    raise DomainError(
        "The signed form must be a PDF, JPEG or PNG file.", code="unsupported_type", status=415
    )
