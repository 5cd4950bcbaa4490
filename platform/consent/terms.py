"""The consent state machine and the canonical, name-free hash of a consent's terms."""

from __future__ import annotations

import hashlib

from core.canonical_json import canonical_json
from core.errors import Conflict

from .models import ConsentRecord

Status = ConsentRecord.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.ACTIVE, Status.REVOKED, Status.EXPIRED},
    Status.ACTIVE: {Status.REVOKED, Status.EXPIRED},
    Status.REVOKED: set(),
    Status.EXPIRED: set(),
}

SCOPES = ("animate", "publish", "voice")


def consent_transition_check(consent: ConsentRecord, new_status: str) -> None:
    if new_status not in ALLOWED_TRANSITIONS[consent.status]:
        raise Conflict(
            f"This consent is {consent.get_status_display().lower()}; "
            f"it cannot become {Status(new_status).label.lower()}.",
            code=f"consent_{consent.status}",
        )


def consent_canonical_terms(consent: ConsentRecord) -> dict:
    """What the consent covers, by ids, scope, dates and the SHA-256 of the uploads it names
    only: no names, no e-mail. A consent that names no uploads has no "covers" entry, so the
    hashes of consents recorded before consents named them still hold."""
    terms = {
        "version": 1,
        "consent_id": str(consent.id),
        "subject_id": str(consent.subject_id),
        "grantor_kind": consent.grantor_kind,
        "assurance": consent.assurance,
        "scope": sorted(consent.scopes),
        "granted_at": consent.granted_at.isoformat(timespec="seconds")
        if consent.granted_at
        else None,
        "expires_at": consent.expires_at.isoformat(timespec="seconds"),
    }
    if consent.names_uploads:
        terms["covers"] = sorted(consent.covers.values_list("sha256", flat=True))
    return terms


def consent_content_hash(consent: ConsentRecord) -> str:
    return hashlib.sha256(canonical_json(consent_canonical_terms(consent)).encode()).hexdigest()
