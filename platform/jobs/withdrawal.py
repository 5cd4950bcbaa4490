"""Why a withdrawn clip is no longer served, in plain words: its consent was withdrawn (or
ran out), or the site's moderators took it down. Its public link then answers 410, not 404."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import formats

from core.errors import Gone

from .models import Clip


class ClipWithdrawn(Gone):
    """A withdrawn clip's page or file was asked for: ``heading`` and ``message`` say why."""

    def __init__(self, message: str, *, heading: str):
        super().__init__(message)
        self.heading = heading


def clip_withdrawn_error(clip: Clip) -> ClipWithdrawn:
    """What anyone is told about a withdrawn clip (no moderator's reason: that is private)."""
    if clip.status == Clip.Status.TAKEN_DOWN:
        heading = "This clip was taken down"
    else:
        heading = "This clip was withdrawn"
    return ClipWithdrawn(f"{_why(clip)} It is no longer shown to anyone.", heading=heading)


def ensure_clip_served(clip: Clip) -> None:
    """Refuse (410) to serve a clip whose consent was withdrawn or that was taken down."""
    if clip.is_withdrawn:
        raise clip_withdrawn_error(clip)


def clip_withdrawal_for_owner(clip: Clip) -> str:
    """What the member who made it is told: why, and what becomes of its files."""
    why = _why(clip, reason=True)
    if clip.files_deleted_at is not None:
        return f"{why} It can no longer be played or downloaded; its files have been deleted."
    if clip.withdrawn_at is None:
        return f"{why} It can no longer be played or downloaded."
    until = clip.withdrawn_at + timedelta(days=settings.CLIPS_WITHDRAWN_RETENTION_DAYS)
    return (
        f"{why} It can no longer be played or downloaded; its files are kept privately "
        f"for our records until {formats.date_format(until)}, then deleted."
    )


def _why(clip: Clip, *, reason: bool = False) -> str:
    if clip.status == Clip.Status.TAKEN_DOWN:
        if reason and clip.withdrawn_reason:
            said = clip.withdrawn_reason.strip().rstrip(".")
            return f"The site's moderators took this clip down. Their reason: “{said}”."
        return "This clip was taken down by the site's moderators."
    if clip.withdrawn_reason == "expired":
        return "This clip was withdrawn: the consent it was made under has ended."
    return "This clip was withdrawn: consent to show the person it portrays was withdrawn."
