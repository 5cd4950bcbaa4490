"""Every action the platform writes to the audit trail, by name.

The values are the strings stored in ``AuditEvent.action`` (and hashed into the chain), so they
never change; add a member rather than renaming one. Being a ``StrEnum``, a member is the string
itself, and ``AuditAction(f"job.{status}")`` finds the member for a job's final status.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # accounts
    MEMBER_SIGNED_UP = "member.signed_up"
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_INVITATION_SENT = "organisation.invitation_sent"
    ORGANISATION_INVITATION_EXPIRED = "organisation.invitation_expired"
    ORGANISATION_INVITATION_ACCEPTED = "organisation.invitation_accepted"
    ORGANISATION_INVITATION_DECLINED = "organisation.invitation_declined"
    ORGANISATION_INVITATION_CANCELLED = "organisation.invitation_cancelled"
    ORGANISATION_MEMBER_LEFT = "organisation.member_left"
    ORGANISATION_MEMBER_REMOVED = "organisation.member_removed"
    ORGANISATION_OWNER_GRANTED = "organisation.owner_granted"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"

    # consent
    SUBJECT_CREATED = "subject.created"
    CONSENT_REQUESTED = "consent.requested"
    CONSENT_CONFIRMED = "consent.confirmed"
    CONSENT_REVOKED = "consent.revoked"
    CONSENT_EXPIRED = "consent.expired"

    # uploads
    UPLOAD_ACCEPTED = "upload.accepted"
    UPLOAD_REJECTED = "upload.rejected"
    UPLOAD_DELETED = "upload.deleted"

    # jobs: one member per way a job changes state (a job that ends writes f"job.{status}")
    JOB_QUEUED = "job.queued"
    JOB_STARTED = "job.started"
    JOB_RESTARTED = "job.restarted"
    JOB_REQUEUED = "job.requeued"
    JOB_SUCCEEDED = "job.succeeded"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"

    # clips
    CLIP_CREATED = "clip.created"
    CLIP_PUBLISHED = "clip.published"
    CLIP_UNPUBLISHED = "clip.unpublished"
    CLIP_TAKEN_DOWN = "clip.taken_down"
    CLIP_CONSENT_WITHDRAWN = "clip.consent_withdrawn"
    CLIP_FILES_DELETED = "clip.files_deleted"

    # moderation
    REPORT_CREATED = "report.created"
    REPORT_ASSIGNED = "report.assigned"
    REPORT_NOTED = "report.noted"
    REPORT_DISMISSED = "report.dismissed"
    REPORT_TAKEN_DOWN = "report.taken_down"
    REPORT_ESCALATED = "report.escalated"
