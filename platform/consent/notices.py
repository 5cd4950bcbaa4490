"""What the consent ledger tells people by e-mail, once each change commits: the grantor a
receipt of what they agreed to; the member when consent is withdrawn or runs out."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from config.signed_links import absolute_url
from core.actors import Actor
from notices.models import Notice
from notices.services import notice_on_commit

from . import links
from .models import ConsentRecord


def notify_consent_granted(consent: ConsentRecord) -> None:
    """The grantor's receipt: who, which portraits, what is allowed, until when, how to stop."""
    subject = consent.subject
    notice_on_commit(
        kind=Notice.Kind.CONSENT_RECEIPT,
        to=consent.grantor_email,
        subject=f"Your receipt: consent to animate the portrait of {subject.display_name}",
        context={
            "consent": consent,
            "subject": subject,
            "requester": consent.requested_by,
            # What the grantor was shown and agreed to; none named: every upload of the subject.
            "covered": list(consent.covered_uploads()) if consent.names_uploads else [],
            "revoke_url": links.revoke_url(consent_id=consent.id),
        },
        about=consent,
    )


def notify_consent_revoked(consent: ConsentRecord, *, actor: Actor) -> None:
    """The member, unless they withdrew it themselves: who withdrew it, and why."""
    member = consent.subject.owner
    if actor.type == "user" and actor.id == str(member.pk):
        return
    notice_on_commit(
        kind=Notice.Kind.CONSENT_REVOKED,
        to=member.email,
        subject=f"Consent to animate {consent.subject.display_name} was withdrawn",
        context=_member_context(consent, by=_who_withdrew(consent, actor)),
        about=consent,
    )


def notify_consent_expired(consent: ConsentRecord) -> None:
    notice_on_commit(
        kind=Notice.Kind.CONSENT_EXPIRED,
        to=consent.subject.owner.email,
        subject=f"Consent to animate {consent.subject.display_name} has ended",
        context=_member_context(consent),
        about=consent,
    )


def _member_context(consent: ConsentRecord, **extra) -> dict:
    return {
        "consent": consent,
        "subject": consent.subject,
        "member": consent.subject.owner,
        "subject_url": absolute_url(reverse("subject-detail", args=[consent.subject_id])),
        **extra,
    }


def _who_withdrew(consent: ConsentRecord, actor: Actor) -> str:
    if actor.type == "grantor":
        return consent.grantor_name
    moderators = get_user_model().objects.filter(is_staff=True)
    if actor.type == "user" and moderators.filter(pk=actor.id).exists():
        return "The site's moderators"
    return actor.label or "Someone"
