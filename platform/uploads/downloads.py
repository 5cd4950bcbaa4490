"""Serving a private upload to a member who may see it (the caller checks that)."""

from __future__ import annotations

from django.http import FileResponse

from .models import Upload


def upload_file_response(upload: Upload, *, inline: bool = False) -> FileResponse:
    """The file as a download, or ``inline`` for an <img> or <audio> on a page."""
    name = upload.original_name or f"{upload.kind}{upload.file.name[upload.file.name.rfind('.') :]}"
    response = FileResponse(
        upload.file.open("rb"),
        as_attachment=not inline,
        filename=name,
        content_type=upload.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
