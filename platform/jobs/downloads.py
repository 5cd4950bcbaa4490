"""Serving a clip's video or poster (the caller decides who may see it); a withdrawn clip's
to no one (ClipWithdrawn, 410)."""

from __future__ import annotations

from django.http import FileResponse, Http404

from .models import Clip
from .withdrawal import ensure_clip_served


def clip_file_response(clip: Clip, part: str, *, as_attachment: bool) -> FileResponse:
    if part not in ("video", "poster"):
        raise Http404()
    ensure_clip_served(clip)
    field = clip.video if part == "video" else clip.poster
    content_type = "video/mp4" if part == "video" else "image/png"
    suffix = ".mp4" if part == "video" else ".png"
    response = FileResponse(
        field.open("rb"),
        content_type=content_type,
        as_attachment=as_attachment,
        filename=f"likeness-{clip.content_id}{suffix}",
    )
    response["Cache-Control"] = "private, no-store"
    return response
