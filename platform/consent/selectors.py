"""Reads for subjects and consent, always filtered to what the member may see."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from core.ownership import owned_by

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
