"""Reads for subjects and consent, always filtered to what the member may see."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from config.signed_links import link_nonce_matches
from core.errors import Gone
from core.ownership import owned_by
from uploads.models import Upload

from . import links
from .models import ConsentRecord, Subject


def subjects_visible_to(user) -> QuerySet[Subject]:
    if not user.is_authenticated:
        return Subject.objects.none()
    return Subject.objects.filter(owned_by(user)).select_related("owner")


def consents_visible_to(user) -> QuerySet[ConsentRecord]:
    if not user.is_authenticated:
        return ConsentRecord.objects.none()
    return ConsentRecord.objects.filter(
        owned_by(user, owner_field="subject__owner", organisation_field="subject__organisation")
    ).select_related("subject")


def consent_in_force(*, subject: Subject, scopes: Iterable[str]) -> ConsentRecord | None:
    """The active, unexpired consent covering every one of ``scopes``, if there is one.

    Answered from the dates alone, writing nothing: a consent past its expiry is not in force
    even before the periodic task (or a write that locks it) records it as expired.
    """
    filters = {f"scope_{scope}": True for scope in scopes}
    return (
        ConsentRecord.objects.filter(
            subject=subject,
            status=ConsentRecord.Status.ACTIVE,
            expires_at__gt=timezone.now(),
            **filters,
        )
        .order_by("-granted_at")
        .first()
    )


def consent_covered_summary(consent: ConsentRecord) -> list[str]:
    """In plain words, one line per portrait or recording the consent covers, e.g.
    "Portrait uploaded 3 May 2026 (family-photo.jpg)"; for a consent that names no uploads,
    one line saying it covers any of the subject's."""
    if not consent.names_uploads:
        return [f"Any portrait or recording of {consent.subject.display_name}"]
    return [upload.description for upload in consent.covered_uploads()]


def consent_confirm_file(*, token: str, upload_id) -> Upload | None:
    """A portrait or recording named by the consent behind a confirmation link, for the subject
    to see or hear before agreeing: only while the link is unused and unexpired.

    None for a forged link or an upload the consent does not name; ``Gone`` once the link has
    expired, been used or been replaced, or the consent is no longer pending.
    """
    try:
        consent_id, nonce = links.confirm_token_read(token)
    except links.LinkInvalid as exc:
        if exc.code == "link_expired":
            raise Gone(exc.message) from exc
        return None
    consent = ConsentRecord.objects.filter(pk=consent_id).first()
    if consent is None:
        return None
    pending = consent.status_now == ConsentRecord.Status.PENDING
    if not pending or not link_nonce_matches(stored=consent.confirm_nonce, given=nonce):
        raise Gone("This confirmation link has been used or withdrawn.")
    return consent.covers.filter(pk=upload_id).first()
