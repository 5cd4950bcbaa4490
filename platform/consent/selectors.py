"""Reads for subjects and consent, always filtered to what the member may see."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ConsentRecord, Subject


def owned_by(user, *, owner_field: str = "owner", organisation_field: str = "organisation") -> Q:
    """Objects a member may see: their own, and their organisation's."""
    condition = Q(**{owner_field: user})
    if getattr(user, "organisation_id", None):
        condition |= Q(**{organisation_field: user.organisation_id})
    return condition


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

    Expiry is applied on access: a consent past its date is marked expired (and audited)
    before the answer is given.
    """
    from .services import consent_expire_due  # a read that may first apply expiry

    consent_expire_due(subject=subject)
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
