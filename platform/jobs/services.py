"""Writes for animation jobs and clips: start (consent-gated), cancel, publish, withdraw."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.services import audit_record
from config.errors import Conflict, DomainError, NotAllowed
from consent.models import ConsentRecord, Subject
from consent.selectors import consent_in_force
from uploads.models import Upload

from .models import AnimationJob, Clip

JobStatus = AnimationJob.Status
ClipStatus = Clip.Status
MAX_IDLE_SECONDS = 60.0


class ConsentMissing(DomainError):
    code = "consent_required"
    status = 409


def job_required_scopes(*, audio: Upload | None) -> list[str]:
    """Animation always; the subject's voice scope too when the audio is their recording."""
    return ["animate", "voice"] if audio is not None and audio.is_subject_voice else ["animate"]


def job_create(
    *,
    owner,
    subject: Subject,
    portrait: Upload,
    audio: Upload | None = None,
    idle_seconds: float | None = None,
    seed: int = 0,
    size: int = 512,
    enqueue: bool = True,
) -> AnimationJob:
    """Queue an animation of ``portrait`` speaking ``audio`` (or idle), if consent allows.

    ``enqueue=False`` leaves it to the caller to run the job (``manage.py animate``)."""
    _check_inputs(
        owner=owner, subject=subject, portrait=portrait, audio=audio, idle_seconds=idle_seconds,
        size=size, seed=seed,
    )  # fmt: skip
    scopes = job_required_scopes(audio=audio)
    # Outside the transaction: a consent found expired stays marked expired.
    consent = consent_in_force(subject=subject, scopes=scopes)
    missing = ConsentMissing(
        f"{subject.display_name} has no consent in force covering "
        f"{' and '.join(scopes)}; request consent first."
    )
    if consent is None:
        raise missing
    with transaction.atomic():
        _check_active_jobs(owner=owner, organisation=subject.organisation)
        # Locked, so a revocation either lands before (and we refuse) or after (and cancels).
        if (
            not ConsentRecord.objects.select_for_update()
            .filter(pk=consent.pk, status=ConsentRecord.Status.ACTIVE)
            .exists()
        ):
            raise missing
        job = AnimationJob.objects.create(
            owner=owner,
            organisation=subject.organisation,
            subject=subject,
            consent=consent,
            portrait=portrait,
            audio=audio,
            mode=AnimationJob.Mode.IDLE if audio is None else AnimationJob.Mode.AUDIO,
            idle_seconds=idle_seconds,
            seed=seed,
            size=size,
        )
        audit_record(
            actor=Actor.of_user(owner),
            action="job.queued",
            object_type="job",
            object_id=job.id,
            subject_id=subject.id,
            details={
                "consent": str(consent.id),
                "scopes": scopes,
                "portrait_sha256": portrait.sha256,
                "audio_sha256": audio.sha256 if audio else None,
                "mode": job.mode,
            },
        )
        if enqueue:
            transaction.on_commit(lambda: job_enqueue(job_id=job.id))
    return job


class TooManyJobs(DomainError):
    code = "too_many_jobs"
    status = 429


def _check_active_jobs(*, owner, organisation) -> None:
    """Refuse a job beyond JOBS_MAX_ACTIVE_PER_MEMBER / _PER_ORGANISATION queued or running.

    Runs inside the create's transaction with the member's row (and the organisation's) locked,
    so concurrent creates by one member count one after another, never past the limit.
    """
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation

    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    active = AnimationJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    limit = settings.JOBS_MAX_ACTIVE_PER_MEMBER
    count = active.filter(owner=owner).count()
    if count >= limit:
        raise TooManyJobs(
            f"You have {count} animation jobs queued or running; a member may have {limit} at "
            "once. Wait for one to finish (or cancel one), then start this one."
        )
    if organisation is None:
        return
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    limit = settings.JOBS_MAX_ACTIVE_PER_ORGANISATION
    count = active.filter(organisation=organisation).count()
    if count >= limit:
        raise TooManyJobs(
            f"Your organisation has {count} animation jobs queued or running; it may have "
            f"{limit} at once. Wait for one to finish, then start this one."
        )


def job_enqueue(*, job_id) -> None:
    from .tasks import animate_job  # the task module imports these services

    animate_job.apply_async(args=[str(job_id)], queue=settings.JOBS_QUEUE)


def _check_inputs(*, owner, subject, portrait, audio, idle_seconds, size, seed) -> None:
    if subject.owner_id != owner.pk and not (
        owner.organisation_id and subject.organisation_id == owner.organisation_id
    ):
        raise NotAllowed("You can only animate your own subjects.")
    if portrait.kind != Upload.Kind.PORTRAIT or portrait.subject_id != subject.id:
        raise DomainError("Choose one of this subject's portraits.", code="portrait")
    if audio is not None and (audio.kind != Upload.Kind.AUDIO or audio.subject_id != subject.id):
        raise DomainError("Choose one of this subject's speech recordings.", code="audio")
    if (audio is None) == (idle_seconds is None):
        raise DomainError(
            "Choose speech audio, or a number of seconds for an idle animation.", code="driver"
        )
    if idle_seconds is not None and not 0 < idle_seconds <= MAX_IDLE_SECONDS:
        raise DomainError(
            f"An idle animation lasts between 1 and {MAX_IDLE_SECONDS:g} seconds.", code="idle"
        )
    if not 128 <= size <= 1024:
        raise DomainError("The video size must be between 128 and 1024 pixels.", code="size")
    if not 0 <= seed < 2**31:
        raise DomainError("The seed must be a non-negative 31-bit number.", code="seed")


@transaction.atomic
def job_cancel(*, job: AnimationJob, actor: Actor, reason: str) -> AnimationJob:
    """Stop a queued or running job; a running task notices between frame batches."""
    job = AnimationJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise Conflict(f"This job has already {job.get_status_display().lower()}.")
    return job_end(job=job, status=JobStatus.CANCELLED, actor=actor, reason=reason)


def job_end(
    *, job: AnimationJob, status: str, actor: Actor, reason: str, details: dict | None = None
) -> AnimationJob:
    """Close a locked, unfinished job as cancelled or failed, with its reason, audited."""
    job.status = status
    job.error = reason[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    audit_record(
        actor=actor,
        action=f"job.{status}",
        object_type="job",
        object_id=job.id,
        subject_id=job.subject_id,
        details={"reason": job.error, **(details or {})},
    )
    return job


def job_cancel_by_member(*, job: AnimationJob, user) -> AnimationJob:
    return job_cancel(job=job, actor=Actor.of_user(user), reason="Cancelled by the member.")


# ---------------------------------------------------------------- clips
@transaction.atomic
def clip_publish(*, clip: Clip, user) -> Clip:
    clip = Clip.objects.select_for_update().select_related("consent").get(pk=clip.pk)
    if clip.status == ClipStatus.PUBLISHED:
        return clip
    if clip.status in (ClipStatus.CONSENT_REVOKED, ClipStatus.TAKEN_DOWN):
        raise Conflict(f"This clip cannot be published: {clip.get_status_display().lower()}.")
    in_force = consent_in_force(subject=clip.subject, scopes=["animate", "publish"])
    if in_force is None or in_force.pk != clip.consent_id:
        raise ConsentMissing(
            "The consent this clip was made under does not allow public use "
            "(or is no longer in force)."
        )
    clip.status = ClipStatus.PUBLISHED
    clip.published_at = timezone.now()
    clip.save(update_fields=["status", "published_at"])
    _audit_clip(clip, Actor.of_user(user), "clip.published")
    return clip


@transaction.atomic
def clip_unpublish(*, clip: Clip, user) -> Clip:
    clip = Clip.objects.select_for_update().get(pk=clip.pk)
    if clip.status != ClipStatus.PUBLISHED:
        raise Conflict("This clip is not published.")
    clip.status = ClipStatus.UNPUBLISHED
    clip.save(update_fields=["status"])
    _audit_clip(clip, Actor.of_user(user), "clip.unpublished")
    return clip


@transaction.atomic
def clip_take_down(*, clip: Clip, actor: Actor, reason: str, report_id: str = "") -> Clip:
    """A moderator's decision: the clip leaves public view for good; verification says so."""
    clip = Clip.objects.select_for_update().get(pk=clip.pk)
    if clip.status == ClipStatus.TAKEN_DOWN:
        raise Conflict("This clip is already taken down.")
    was = clip.status
    clip.status = ClipStatus.TAKEN_DOWN
    clip.save(update_fields=["status"])
    _audit_clip(clip, actor, "clip.taken_down", {"was": was, "reason": reason, "report": report_id})
    return clip


def consent_withdrawn_cascade(*, consent: ConsentRecord, actor: Actor, reason: str) -> None:
    """Within the consent change's transaction: stop its jobs and withdraw its clips."""
    active = [JobStatus.QUEUED, JobStatus.RUNNING]
    for job in AnimationJob.objects.select_for_update().filter(consent=consent, status__in=active):
        job_cancel(job=job, actor=actor, reason=f"Consent {reason}.")
    for clip in (
        Clip.objects.select_for_update()
        .filter(consent=consent)
        .exclude(status__in=[ClipStatus.CONSENT_REVOKED, ClipStatus.TAKEN_DOWN])
    ):
        was = clip.status
        clip.status = ClipStatus.CONSENT_REVOKED
        clip.save(update_fields=["status"])
        _audit_clip(clip, actor, "clip.consent_withdrawn", {"was": was, "reason": reason})


def _audit_clip(clip: Clip, actor: Actor, action: str, details: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="clip",
        object_id=clip.id,
        subject_id=clip.subject_id,
        details={"content_id": clip.content_id, **(details or {})},
    )
