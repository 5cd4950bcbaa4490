"""Writes for subjects and consent: each change and its audit event in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from core.actors import Actor
from core.errors import DomainError
from core.ownership import ensure_member_may_manage
from core.storage import stored_private_file
from uploads.models import Upload

from . import links
from .models import ConsentRecord, Subject
from .notices import notify_consent_expired, notify_consent_granted, notify_consent_revoked
from .selectors import consent_in_force
from .signals import consent_withdrawn
from .signed_forms import signed_form_validate
from .terms import SCOPES, consent_content_hash, consent_transition_check

Status = ConsentRecord.Status
GrantorKind = ConsentRecord.GrantorKind
Assurance = ConsentRecord.Assurance


# ---------------------------------------------------------------- subjects
@transaction.atomic
def subject_create(
    *,
    owner,
    display_name: str,
    vital_status: str,
    email: str = "",
    birth_year: int | None = None,
    death_year: int | None = None,
    notes: str = "",
) -> Subject:
    display_name = display_name.strip()
    if not display_name:
        raise DomainError("A subject needs a name.", code="name_required")
    if vital_status not in Subject.Vital.values:
        raise DomainError("Say whether the subject is living or deceased.", code="vital_status")
    if vital_status == Subject.Vital.LIVING and death_year:
        raise DomainError("A living subject cannot have a year of death.", code="death_year")
    if birth_year and death_year and death_year < birth_year:
        raise DomainError("The year of death is before the year of birth.", code="years")
    subject = Subject.objects.create(
        owner=owner,
        organisation=owner.organisation,
        display_name=display_name,
        vital_status=vital_status,
        email=email.strip(),
        birth_year=birth_year,
        death_year=death_year,
        notes=notes,
    )
    audit_record(
        actor=Actor.of_user(owner),
        action=AuditAction.SUBJECT_CREATED,
        object_type="subject",
        object_id=subject.id,
        subject_id=subject.id,
        details={"vital_status": vital_status},
    )
    return subject


# ---------------------------------------------------------------- consent: request and grant
def consent_request(
    *,
    subject: Subject,
    requested_by,
    grantor_kind: str,
    grantor_name: str,
    grantor_email: str,
    scopes: Iterable[str],
    expires_at: datetime,
    assurance: str,
    grantor_relationship: str = "",
    attested: bool = False,
    signed_form: UploadedFile | None = None,
    covers: Iterable | None = None,
) -> ConsentRecord:
    """Record a request for consent.

    ``covers``: the ids of the subject's portraits and recordings the consent is for (the
    grantor sees and hears them before agreeing); by default, every one the subject has.

    A living subject's consent stays pending until the subject confirms through the e-mailed
    single-use link. A deceased subject's consent is granted by a rights holder or next of kin
    on the member's attestation or an uploaded signed form, and is active at once; the grantor
    is told by e-mail and can revoke through the link in it.
    """
    scopes = set(scopes)
    now = timezone.now()
    _check_request(
        subject=subject,
        grantor_kind=grantor_kind,
        grantor_name=grantor_name,
        grantor_relationship=grantor_relationship,
        scopes=scopes,
        expires_at=expires_at,
        now=now,
        assurance=assurance,
        attested=attested,
        signed_form=signed_form,
    )
    covered = _covered_uploads(subject, covers)
    form = signed_form_validate(signed_form) if signed_form is not None else None
    with stored_private_file(form, folder="consent-forms") as form_name, transaction.atomic():
        consent = ConsentRecord(
            subject=subject,
            requested_by=requested_by,
            grantor_kind=grantor_kind,
            grantor_name=grantor_name.strip(),
            grantor_email=grantor_email.strip(),
            grantor_relationship=grantor_relationship.strip(),
            scope_animate="animate" in scopes,
            scope_publish="publish" in scopes,
            scope_voice="voice" in scopes,
            assurance=assurance,
            signed_form=form_name or "",
            requested_at=now,
            expires_at=expires_at,
            confirm_nonce=secrets.token_urlsafe(24) if subject.is_living else "",
            names_uploads=bool(covered),
        )
        _validate_fields(consent)
        consent.save()
        consent.covers.set(covered)
        actor = Actor.of_user(requested_by)
        audit_record(
            actor=actor,
            action=AuditAction.CONSENT_REQUESTED,
            object_type="consent",
            object_id=consent.id,
            subject_id=subject.id,
            details={
                "scope": sorted(scopes),
                "assurance": assurance,
                "grantor_kind": grantor_kind,
                "expires_at": consent.expires_at,
                "covers": sorted(upload.sha256 for upload in covered),
            },
        )
        if subject.is_living:
            transaction.on_commit(lambda: _mail_confirmation_request(consent))
        else:
            _grant(consent, actor=actor, now=now)
    return consent


def _check_request(
    *,
    subject,
    grantor_kind,
    grantor_name,
    grantor_relationship,
    scopes,
    expires_at,
    now,
    assurance,
    attested,
    signed_form,
) -> None:
    unknown = scopes - set(SCOPES)
    if unknown:
        raise DomainError(f"Unknown scope: {', '.join(sorted(unknown))}.", code="scope")
    if "animate" not in scopes:
        raise DomainError(
            "Consent must include animation; publishing and voice build on it.", code="scope"
        )
    if not grantor_name.strip():
        raise DomainError("Name the person who grants consent.", code="grantor_name")
    if expires_at <= now:
        raise DomainError("The expiry date must be in the future.", code="expires_at")
    if expires_at > now + settings.CONSENT_MAX_DURATION:
        days = settings.CONSENT_MAX_DURATION.days
        raise DomainError(
            f"Consent can last at most {days} days; choose an earlier expiry.", code="expires_at"
        )
    if subject.is_living:
        if grantor_kind != GrantorKind.SUBJECT:
            raise DomainError("A living person grants consent for themselves.", code="grantor_kind")
        if assurance != Assurance.SUBJECT_LINK:
            raise DomainError(
                "A living subject confirms consent through the e-mailed link.", code="assurance"
            )
        return
    if grantor_kind not in (GrantorKind.RIGHTS_HOLDER, GrantorKind.NEXT_OF_KIN):
        raise DomainError(
            "For a deceased subject, consent comes from a rights holder or next of kin.",
            code="grantor_kind",
        )
    if not grantor_relationship.strip():
        raise DomainError(
            "State how the grantor is related to the subject (e.g. granddaughter, estate).",
            code="grantor_relationship",
        )
    if assurance == Assurance.ATTESTATION and not attested:
        raise DomainError(
            "Confirm the attestation that the grantor holds the rights.", code="attestation"
        )
    if assurance == Assurance.SIGNED_FORM and signed_form is None:
        raise DomainError("Upload the signed consent form.", code="signed_form")
    if assurance not in (Assurance.ATTESTATION, Assurance.SIGNED_FORM):
        raise DomainError(
            "A deceased subject's consent needs an attestation or a signed form.",
            code="assurance",
        )


def _covered_uploads(subject: Subject, covers: Iterable | None) -> list[Upload]:
    """The uploads a request names: only the subject's own, and at least one portrait once
    the subject has any (a consent that names nothing covers every upload)."""
    uploads = list(subject.uploads.all())
    if covers is None:
        return uploads if any(u.kind == Upload.Kind.PORTRAIT for u in uploads) else []
    by_id = {str(upload.id): upload for upload in uploads}
    chosen = {str(upload_id) for upload_id in covers}
    if not chosen <= by_id.keys():
        raise DomainError(
            f"Choose only portraits and recordings of {subject.display_name}.", code="covers"
        )
    covered = [by_id[upload_id] for upload_id in sorted(chosen)]
    has_portrait = any(u.kind == Upload.Kind.PORTRAIT for u in uploads)
    if (covered or has_portrait) and not any(u.kind == Upload.Kind.PORTRAIT for u in covered):
        raise DomainError(
            f"Choose at least one portrait of {subject.display_name} for the consent to cover.",
            code="covers",
        )
    return covered


def _validate_fields(consent: ConsentRecord) -> None:
    try:
        consent.full_clean(exclude=["signed_form", "status", "subject", "requested_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(f"{field.replace('_', ' ')}: {messages[0]}", code=field) from exc


def _grant(consent: ConsentRecord, *, actor: Actor, now: datetime) -> None:
    consent_transition_check(consent, Status.ACTIVE)
    consent.status = Status.ACTIVE
    consent.granted_at = now
    consent.confirm_nonce = ""
    consent.content_hash = consent_content_hash(consent)
    consent.save(update_fields=["status", "granted_at", "confirm_nonce", "content_hash"])
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_CONFIRMED,
        object_type="consent",
        object_id=consent.id,
        subject_id=consent.subject_id,
        details={"assurance": consent.assurance, "content_hash": consent.content_hash},
    )
    notify_consent_granted(consent)


@transaction.atomic
def consent_confirm_by_token(*, token: str) -> ConsentRecord:
    """The subject confirms through the single-use link."""
    consent_id, nonce = links.confirm_token_read(token)
    consent = _locked(consent_id)
    if consent is None:
        raise links.LinkInvalid("This confirmation link points to no consent request.")
    now = timezone.now()
    _expire_if_due(consent, now=now)
    if consent.status == Status.ACTIVE:
        raise DomainError(
            "This consent was already confirmed; the link works only once.",
            code="already_confirmed",
            status=409,
        )
    consent_transition_check(consent, Status.ACTIVE)
    if not consent.confirm_nonce or not secrets.compare_digest(consent.confirm_nonce, nonce):
        raise links.LinkInvalid("This confirmation link has been replaced or already used.")
    _grant(consent, actor=Actor.grantor(consent.id), now=now)
    return consent


# ---------------------------------------------------------------- consent: revoke and expire
@transaction.atomic
def consent_revoke(*, consent: ConsentRecord, actor: Actor, reason: str = "") -> ConsentRecord:
    """Revocation takes effect at once, from pending or active."""
    consent = _locked(consent.id)
    _expire_if_due(consent, now=timezone.now())
    consent_transition_check(consent, Status.REVOKED)
    consent.status = Status.REVOKED
    consent.revoked_at = timezone.now()
    consent.revoked_reason = reason.strip()[:500]
    consent.confirm_nonce = ""
    consent.save(update_fields=["status", "revoked_at", "revoked_reason", "confirm_nonce"])
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_REVOKED,
        object_type="consent",
        object_id=consent.id,
        subject_id=consent.subject_id,
        details={"reason": consent.revoked_reason},
    )
    notify_consent_revoked(consent, actor=actor)
    consent_withdrawn.send(ConsentRecord, consent=consent, actor=actor, reason="revoked")
    return consent


def consent_revoke_by_member(*, consent: ConsentRecord, user, reason: str = "") -> ConsentRecord:
    ensure_member_may_manage(
        user,
        consent.subject,
        "Only the member who owns this subject can revoke its consent here.",
    )
    return consent_revoke(consent=consent, actor=Actor.of_user(user), reason=reason)


def consent_revoke_by_token(*, token: str, reason: str = "") -> ConsentRecord:
    consent_id = links.revoke_token_read(token)
    consent = ConsentRecord.objects.filter(pk=consent_id).first()
    if consent is None:
        raise links.LinkInvalid("This revocation link points to no consent.")
    return consent_revoke(consent=consent, actor=Actor.grantor(consent.id), reason=reason)


def consent_expire_due(*, now: datetime | None = None) -> int:
    """Record every pending or active consent past its expiry as expired, each with its audit
    row and the withdrawal cascade (its jobs stop, its clips are withdrawn); returns how many.

    Run by the periodic task; reads do not wait for it, they answer from the dates.
    """
    now = now or timezone.now()
    due = ConsentRecord.objects.filter(
        status__in=[Status.PENDING, Status.ACTIVE], expires_at__lte=now
    )
    count = 0
    for consent_id in due.values_list("id", flat=True):
        with transaction.atomic():
            consent = _locked(consent_id)
            if consent is not None and _expire_if_due(consent, now=now):
                count += 1
    return count


@transaction.atomic
def consent_in_force_for_use(*, subject: Subject, scopes: Iterable[str]) -> ConsentRecord | None:
    """For a write that relies on consent: the consent in force covering ``scopes``, locked.

    Locks the subject's pending and active consents until the caller's transaction ends, so
    a revocation lands either before (and is seen here) or after (and its cascade finds what
    the caller wrote). Any of them past its expiry is recorded expired here, in the caller's
    transaction: a caller that refuses for want of consent should commit before saying so.
    """
    now = timezone.now()
    live = ConsentRecord.objects.select_for_update().filter(
        subject=subject, status__in=[Status.PENDING, Status.ACTIVE]
    )
    for consent in live.order_by("pk"):
        _expire_if_due(consent, now=now)
    return consent_in_force(subject=subject, scopes=scopes)


def _expire_if_due(consent: ConsentRecord, *, now: datetime) -> bool:
    if consent.status not in (Status.PENDING, Status.ACTIVE) or consent.expires_at > now:
        return False
    consent.status = Status.EXPIRED
    consent.confirm_nonce = ""
    consent.save(update_fields=["status", "confirm_nonce"])
    actor = Actor.system("expiry")
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_EXPIRED,
        object_type="consent",
        object_id=consent.id,
        subject_id=consent.subject_id,
        details={"expires_at": consent.expires_at},
    )
    notify_consent_expired(consent)
    consent_withdrawn.send(ConsentRecord, consent=consent, actor=actor, reason="expired")
    return True


def _locked(consent_id) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.select_for_update()
        .select_related("subject")
        .filter(pk=consent_id)
        .first()
    )


# ---------------------------------------------------------------- e-mail
def _mail_confirmation_request(consent: ConsentRecord) -> None:
    context = {
        "consent": consent,
        "subject": consent.subject,
        "requester": consent.requested_by,
        "confirm_url": links.confirm_url(consent_id=consent.id, nonce=consent.confirm_nonce),
        "revoke_url": links.revoke_url(consent_id=consent.id),
        "days": settings.CONSENT_CONFIRM_LINK_MAX_AGE.days,
    }
    send_mail(
        subject=f"{consent.requested_by.get_username()} asks for your consent to animate you",
        message=render_to_string("consent/email/confirm_request.txt", context),
        from_email=None,
        recipient_list=[consent.grantor_email],
    )
