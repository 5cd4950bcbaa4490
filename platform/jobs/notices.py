"""What the member is told by e-mail when moderators take one of their clips down."""

from __future__ import annotations

from django.urls import reverse

from config.signed_links import absolute_url
from notices.models import Notice
from notices.services import notice_on_commit

from .models import Clip
from .withdrawal import clip_withdrawal_for_owner


def notify_clip_taken_down(clip: Clip) -> None:
    """The clip's member, once the takedown commits: why (the moderators' reason), and what
    becomes of the clip's files."""
    subject = clip.subject
    notice_on_commit(
        kind=Notice.Kind.CLIP_TAKEN_DOWN,
        to=clip.owner.email,
        subject=f"Your clip of {subject.display_name} was taken down",
        context={
            "clip": clip,
            "subject": subject,
            "member": clip.owner,
            "withdrawal": clip_withdrawal_for_owner(clip),
            "subject_url": absolute_url(reverse("subject-detail", args=[clip.subject_id])),
        },
        about=clip,
    )
