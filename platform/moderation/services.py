"""Writes for misuse reports: receive one from the public, then assign, note and decide.

Each change and its audit event share one transaction; a decision that takes a clip down or
revokes consent runs that service inside the same transaction, so either all of it happens
or none of it does.

Taking a clip down and revoking its consent cannot be undone and are told to the member with
the moderator's reason, so they need one: a blank reason is refused (``ReasonRequired``). A
dismissal changes nothing for the clip or the member (the reporter is told the outcome, never
the reason), so its reason stays optional and a plain one is recorded when none is given.
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from consent.services import consent_revoke
from core.actors import Actor
from core.errors import Conflict, DomainError, NotAllowed
from core.storage import stored_private_file
from jobs.clip_services import clip_take_down
from jobs.models import Clip

from .attachments import attachment_validate
from .models import MisuseReport, ModerationNote, new_reference
from .notices import notify_report_decided, notify_report_received

Status = MisuseReport.Status
DESCRIPTION_MAX_CHARS = 5000
NOTE_MAX_CHARS = 5000
REASON_MAX_CHARS = 500
_CONTENT_ID = re.compile(r"^[0-9a-f]{16}$")


# ---------------------------------------------------------------- from the public
def report_create(
    *,
    category: str,
    description: str,
    content_id: str = "",
    verification_id: str = "",
    contact_email: str = "",
    attachment: UploadedFile | None = None,
) -> MisuseReport:
    """Record a report from anyone. Every check runs before anything is stored."""
    if category not in MisuseReport.Category.values:
        raise DomainError("Choose what kind of misuse this is.", code="category")
    description = (description or "").strip()
    if not description:
        raise DomainError("Describe what is wrong with the clip.", code="description")
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise DomainError(
            f"The description is limited to {DESCRIPTION_MAX_CHARS} characters.",
            code="description",
        )
    content_id = (content_id or "").strip().lower()
    if content_id and not _CONTENT_ID.match(content_id):
        raise DomainError(
            "A clip id is 16 characters, 0-9 and a-f (it is shown under the clip).",
            code="content_id",
        )
    verification_id = _uuid_or_blank(verification_id)
    contact_email = (contact_email or "").strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise DomainError("Enter a valid e-mail address, or none.", code="contact") from None
    evidence = attachment_validate(attachment) if attachment is not None else None
    clip = Clip.objects.filter(content_id=content_id).first() if content_id else None

    with stored_private_file(evidence, folder="reports") as stored_name, transaction.atomic():
        report = MisuseReport.objects.create(
            category=category,
            description=description,
            content_id=content_id,
            clip=clip,
            verification_id=verification_id,
            contact_email=contact_email,
            attachment=stored_name or "",
            attachment_content_type=evidence.content_type if evidence else "",
            attachment_size=len(evidence.content) if evidence else None,
            attachment_sha256=evidence.sha256 if evidence else "",
        )
        # The description and contact stay out of the append-only trail: they may hold
        # personal data that must remain erasable.
        _audit(
            report,
            Actor.public(),
            AuditAction.REPORT_CREATED,
            category=category,
            clip_found=clip is not None,
            verification_id=verification_id,
            attachment_sha256=report.attachment_sha256,
        )
        notify_report_received(report)
    return report


def report_receive(*, honeypot: str = "", **fields) -> str:
    """The public entry point: the reference to show the reporter.

    A filled honeypot (a field people never see) means a bot: it is answered exactly like a
    person, with a fresh reference, and nothing is stored.
    """
    if honeypot:
        return new_reference()
    return report_create(**fields).reference


# ---------------------------------------------------------------- moderators
def report_assign(*, report: MisuseReport, moderator, assignee) -> MisuseReport:
    _check_moderator(moderator)
    if assignee is None or not (assignee.is_staff and assignee.is_active):
        raise DomainError("Reports can only be assigned to a moderator.", code="assignee")
    with transaction.atomic():
        report = _locked_undecided(report)
        previous = report.assignee
        report.assignee = assignee
        report.status = Status.ASSIGNED
        report.save(update_fields=["assignee", "status"])
        _audit(
            report,
            Actor.of_user(moderator),
            AuditAction.REPORT_ASSIGNED,
            assignee=assignee.get_username(),
            previous_assignee=previous.get_username() if previous else "",
        )
    return report


def report_note_add(*, report: MisuseReport, author, text: str) -> ModerationNote:
    _check_moderator(author)
    text = (text or "").strip()
    if not text:
        raise DomainError("A note needs some text.", code="note")
    if len(text) > NOTE_MAX_CHARS:
        raise DomainError(f"A note is limited to {NOTE_MAX_CHARS} characters.", code="note")
    with transaction.atomic():
        report = MisuseReport.objects.select_for_update().get(pk=report.pk)
        note = ModerationNote.objects.create(report=report, author=author, text=text)
        _audit(report, Actor.of_user(author), AuditAction.REPORT_NOTED, note=note.pk)
    return note


class ReasonRequired(DomainError):
    code = "reason_required"


def report_dismiss(*, report: MisuseReport, moderator, reason: str = "") -> MisuseReport:
    _check_moderator(moderator)
    with transaction.atomic():
        report = _locked_undecided(report)
        reason = _reason(reason) or (
            f"Misuse report {report.reference} ({report.get_category_display().lower()}) dismissed."
        )
        _decide(report, moderator, Status.DISMISSED, reason)
        _audit(report, Actor.of_user(moderator), AuditAction.REPORT_DISMISSED, reason=reason)
    return report


def report_take_down(*, report: MisuseReport, moderator, reason: str) -> MisuseReport:
    """Take the reported clip out of public view for good; verification then says so."""
    _check_moderator(moderator)
    with transaction.atomic():
        report = _locked_undecided(report)
        clip = _clip_of(report)
        reason = _required_reason(reason, "the clip is taken down")
        actor = Actor.of_user(moderator)
        # A clip another report already took down: this report is decided the same way.
        already = clip.status == Clip.Status.TAKEN_DOWN
        if not already:
            clip_take_down(clip=clip, actor=actor, reason=reason, report_id=report.reference)
        _decide(report, moderator, Status.TAKEN_DOWN, reason)
        _audit(
            report, actor, AuditAction.REPORT_TAKEN_DOWN, reason=reason, already_taken_down=already
        )
    return report


def report_escalate(*, report: MisuseReport, moderator, reason: str) -> MisuseReport:
    """Revoke the consent the clip was made under; revocation withdraws all its clips."""
    _check_moderator(moderator)
    with transaction.atomic():
        report = _locked_undecided(report)
        clip = _clip_of(report)
        reason = _required_reason(reason, "the consent is revoked")
        actor = Actor.of_user(moderator)
        consent = consent_revoke(consent=clip.consent, actor=actor, reason=reason)
        _decide(report, moderator, Status.ESCALATED, reason)
        _audit(report, actor, AuditAction.REPORT_ESCALATED, reason=reason, consent=str(consent.id))
    return report


DECISIONS = {
    "dismiss": report_dismiss,
    "take_down": report_take_down,
    "escalate": report_escalate,
}


def report_decide(*, report: MisuseReport, moderator, decision: str, reason: str = ""):
    report_decision_check(report=report, decision=decision)
    return DECISIONS[decision](report=report, moderator=moderator, reason=reason)


def report_decision_check(*, report: MisuseReport, decision: str) -> None:
    """Refuse a decision no report can take, or any decision on a report already decided
    (checked again under lock when deciding)."""
    if decision not in DECISIONS:
        raise DomainError("Choose to dismiss, take down or escalate.", code="decision")
    if report.is_decided:
        raise _already_decided(report)
    if decision != "dismiss" and report.clip_id is None:
        raise _no_clip()


# ---------------------------------------------------------------- internals
def _check_moderator(user) -> None:
    if user is None or not (user.is_authenticated and user.is_staff):
        raise NotAllowed("Only moderators can do this.")


def _locked_undecided(report: MisuseReport) -> MisuseReport:
    report = (
        MisuseReport.objects.select_for_update(of=("self",))
        .select_related("clip", "assignee")
        .get(pk=report.pk)
    )
    if report.is_decided:
        raise _already_decided(report)
    return report


def _no_clip() -> Conflict:
    return Conflict(
        "This report names no clip we hold; dismiss it or add a note instead.", code="no_clip"
    )


def _already_decided(report: MisuseReport) -> Conflict:
    return Conflict(f"This report was already decided: {report.get_status_display().lower()}.")


def _clip_of(report: MisuseReport) -> Clip:
    if report.clip_id is None:
        raise _no_clip()
    return Clip.objects.select_related("consent").get(pk=report.clip_id)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_CHARS:
        raise DomainError(f"A reason is limited to {REASON_MAX_CHARS} characters.", code="reason")
    return reason


def _required_reason(reason: str, what: str) -> str:
    reason = _reason(reason)
    if not reason:
        raise ReasonRequired(
            f"Give the reason why {what}: the member is told it, and it is kept in the audit trail."
        )
    return reason


def _decide(report: MisuseReport, moderator, status: str, reason: str) -> None:
    report.status = status
    report.decided_at = timezone.now()
    report.decided_by = moderator
    report.decision_reason = reason
    if report.assignee_id is None:
        report.assignee = moderator
    report.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "assignee"])
    notify_report_decided(report)


def _uuid_or_blank(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise DomainError("The verification id is not valid.", code="verification") from None


def _audit(report: MisuseReport, actor: Actor, action: AuditAction, **details) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="report",
        object_id=report.id,
        subject_id=report.clip.subject_id if report.clip_id else "",
        details={"reference": report.reference, "content_id": report.content_id, **details},
    )
