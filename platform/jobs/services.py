"""Every change to animation jobs, each in one transaction with its audit row.

Jobs: create (consent-gated), claim, progress, heartbeat, succeed (with its clip), fail,
cancel, requeue, and the consent-withdrawal cascade (its jobs stopped, its clips withdrawn).
The worker's runner calls these; it writes nothing itself. A made clip's own changes (publish,
take down, ...) are in ``jobs.clip_services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from audit.actions import AuditAction
from audit.services import audit_record
from consent.models import ConsentRecord, Subject
from consent.services import consent_in_force_for_use
from core.actors import Actor
from core.errors import Conflict, DomainError
from core.ownership import ensure_member_may_manage
from uploads.models import Upload

from . import queue
from .clip_services import audit_clip, clip_withdraw_for_consent
from .errors import ConsentMissing, TooManyJobs
from .models import AnimationJob, Clip
from .progress import JobStage, progress_point

if TYPE_CHECKING:
    from .clip_maker import MadeClip

JobStatus = AnimationJob.Status
ClipStatus = Clip.Status
MAX_IDLE_SECONDS = 60.0
WORKER = Actor.system("animation worker")


def job_required_scopes(*, audio: Upload | None) -> list[str]:
    """Animation always; the subject's voice scope too when the audio is their recording."""
    return ["animate", "voice"] if audio is not None and audio.is_subject_voice else ["animate"]


# ---------------------------------------------------------------- jobs: create
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
    with transaction.atomic():
        # Locked, so a revocation either lands before (and we refuse) or after (and cancels).
        # A consent found past its expiry is recorded expired: the refusal comes after commit.
        consent = consent_in_force_for_use(subject=subject, scopes=scopes)
        if consent is not None:
            _check_covered(consent, uploads=[portrait, audio])
            _check_active_jobs(owner=owner, organisation=subject.organisation)
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
            _audit_job(
                job,
                Actor.of_user(owner),
                AuditAction.JOB_QUEUED,
                {
                    "consent": str(consent.id),
                    "scopes": scopes,
                    "portrait_sha256": portrait.sha256,
                    "audio_sha256": audio.sha256 if audio else None,
                    "mode": job.mode,
                },
            )
            if enqueue:
                transaction.on_commit(lambda: queue.job_enqueue(job_id=job.id))
    if consent is None:
        raise ConsentMissing(
            f"{subject.display_name} has no consent in force covering "
            f"{' and '.join(scopes)}; request consent first."
        )
    return job


def _check_covered(consent: ConsentRecord, *, uploads: list[Upload | None]) -> None:
    """A consent that names uploads allows only those (one that names none allows any)."""
    for upload in uploads:
        if upload is not None and not consent.covers_upload(upload):
            raise ConsentMissing(
                f"The consent in force for {consent.subject.display_name} does not cover the "
                f"{upload.description[0].lower()}{upload.description[1:]}; request consent "
                "that names it.",
                code="upload_not_covered",
            )


def _check_active_jobs(*, owner, organisation) -> None:
    """Refuse a job beyond JOBS_MAX_ACTIVE_PER_MEMBER / _PER_ORGANISATION queued or running.

    Runs inside the create's transaction with the member's row (and the organisation's) locked,
    so concurrent creates by one member count one after another, never past the limit.
    """
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


def _check_inputs(*, owner, subject, portrait, audio, idle_seconds, size, seed) -> None:
    ensure_member_may_manage(owner, subject, "You can only animate your own subjects.")
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


# ---------------------------------------------------------------- jobs: on the worker
def job_claim(*, job_id) -> AnimationJob | None:
    """Mark the job running for a new attempt and return it, with its inputs loaded.

    None when there is nothing to run: the job is finished, or its clip was already recorded
    (it is marked succeeded), or its consent is no longer in force (it is cancelled).
    """
    with transaction.atomic():
        job = (
            AnimationJob.objects.select_for_update(of=("self",))
            .select_related("portrait", "audio", "consent", "subject")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.is_finished:
            return None
        if Clip.objects.filter(job=job).exists():  # recorded before a crash: just finish
            _succeed(job)
            return None
        # From the dates alone: expiry is recorded by the periodic task, with its cascade.
        if not job.consent.in_force(scopes=job_required_scopes(audio=job.audio)):
            _end(job, JobStatus.CANCELLED, actor=WORKER, reason="Consent is no longer in force.")
            return None
        first_start = job.started_at is None
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.stage, job.progress = JobStage.STARTING, 0.0
        job.heartbeat_at = now
        job.save(
            update_fields=["status", "attempts", "started_at", "stage", "progress", "heartbeat_at"]
        )
        action = AuditAction.JOB_STARTED if first_start else AuditAction.JOB_RESTARTED
        _audit_job(job, WORKER, action, {"attempt": job.attempts})
    return job


def job_progress(*, job_id, stage: str, fraction: float) -> None:
    """Record the stage a running job is in and how far it got; its progress (one fraction
    over the whole job, see jobs.progress) never moves backwards."""
    point = progress_point(stage, fraction)
    AnimationJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, progress__lte=point.progress
    ).update(stage=point.stage, progress=point.progress)


def job_heartbeat(*, job_id) -> None:
    """The worker running the job is alive (a job unstamped for long is requeued)."""
    AnimationJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )


@dataclass(frozen=True)
class ClipFiles:
    """Where a made clip's files were stored (names in private storage)."""

    video: str
    poster: str
    manifest_store: str
    poster_manifest_store: str = ""


def job_succeed(*, job_id, made: MadeClip, files: ClipFiles) -> Clip | None:
    """Record the clip and close its job as succeeded, in one transaction.

    None, recording nothing, when the job stopped meanwhile (cancelled, or its consent
    withdrawn) or another run of it already recorded its clip: the caller drops the files.
    """
    with transaction.atomic():
        job = AnimationJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING or Clip.objects.filter(job=job).exists():
            return None
        clip = Clip.objects.create(
            job=job,
            owner_id=job.owner_id,
            organisation_id=job.organisation_id,
            subject_id=job.subject_id,
            consent_id=job.consent_id,
            content_id=job.content_id,
            video=files.video,
            poster=files.poster,
            sha256=made.video_sha256,
            poster_sha256=made.poster_sha256,
            fingerprint=made.fingerprint,
            manifest=made.manifest,
            manifest_label=made.manifest.get("label") or "",
            manifest_store=files.manifest_store,
            poster_manifest_label=made.poster_manifest_label,
            poster_manifest_store=files.poster_manifest_store,
            duration_seconds=made.duration_seconds,
            width=made.width,
            height=made.height,
        )
        audit_clip(
            clip,
            WORKER,
            AuditAction.CLIP_CREATED,
            {
                "sha256": clip.sha256,
                "job": str(job.id),
                "consent": str(job.consent_id),
                "consent_hash": job.consent.content_hash,
            },
        )
        job.device = made.device
        job.stage_seconds = {k: round(v, 3) for k, v in made.stage_seconds.items()}
        _succeed(job, also=["device", "stage_seconds"])
    return clip


def job_fail(*, job_id, reason: str) -> None:
    """A failure the member can read; the job is not retried. A finished job stays as it is."""
    with transaction.atomic():
        job = AnimationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        _end(job, JobStatus.FAILED, actor=WORKER, reason=reason, details={"attempts": job.attempts})


def jobs_requeue_stalled(*, stale_after: timedelta | None = None) -> int:
    """Put back on the queue the jobs whose worker died mid-job (no heartbeat for a while).

    Running a job twice is safe: the database keeps one clip per job. Queued jobs are left
    alone: the broker keeps their messages until a worker takes them. Returns how many.
    """
    stale_after = stale_after or timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    stalled = AnimationJob.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=timezone.now() - stale_after
    ).values_list("pk", flat=True)
    return sum(_requeue_if_stalled(job_id, stale_after) for job_id in stalled)


def _requeue_if_stalled(job_id, stale_after: timedelta) -> bool:
    """Stamp the job (so the next sweep leaves it alone), audit, and queue it on commit."""
    with transaction.atomic():
        now = timezone.now()
        job = (
            AnimationJob.objects.select_for_update()
            .filter(pk=job_id, status=JobStatus.RUNNING, heartbeat_at__lt=now - stale_after)
            .first()
        )
        if job is None:  # it beat, or finished, since the sweep looked
            return False
        last_heartbeat, job.heartbeat_at = job.heartbeat_at, now
        job.save(update_fields=["heartbeat_at"])
        details = {"was": job.status, "last_heartbeat": last_heartbeat}
        _audit_job(job, WORKER, AuditAction.JOB_REQUEUED, details)
        transaction.on_commit(lambda: queue.job_enqueue(job_id=job.id))
    return True


# ---------------------------------------------------------------- jobs: cancel and close
@transaction.atomic
def job_cancel(*, job: AnimationJob, actor: Actor, reason: str) -> AnimationJob:
    """Stop a queued or running job; a running task notices between frame batches."""
    job = AnimationJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise Conflict(f"This job has already {job.get_status_display().lower()}.")
    return _end(job, JobStatus.CANCELLED, actor=actor, reason=reason)


def job_cancel_by_member(*, job: AnimationJob, user) -> AnimationJob:
    return job_cancel(job=job, actor=Actor.of_user(user), reason="Cancelled by the member.")


def _end(
    job: AnimationJob, status: str, *, actor: Actor, reason: str, details: dict | None = None
) -> AnimationJob:
    """Close a locked, unfinished job as cancelled or failed, with its reason, audited."""
    job.status = status
    job.error = reason[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    action = AuditAction(f"job.{status}")
    _audit_job(job, actor, action, {"reason": job.error, **(details or {})})
    return job


def _succeed(job: AnimationJob, *, also: list[str] | None = None) -> None:
    """Close a locked job as succeeded (saving ``also``, fields set by the caller), audited."""
    job.status = JobStatus.SUCCEEDED
    job.stage, job.progress = JobStage.DONE, 1.0
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "stage", "progress", "finished_at", *(also or [])])
    _audit_job(job, WORKER, AuditAction.JOB_SUCCEEDED, {"attempts": job.attempts})


def _audit_job(job: AnimationJob, actor: Actor, action: AuditAction, details: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="job",
        object_id=job.id,
        subject_id=job.subject_id,
        details=details,
    )


# ---------------------------------------------------------------- consent withdrawn
def consent_withdrawn_cascade(*, consent: ConsentRecord, actor: Actor, reason: str) -> None:
    """Within the consent change's transaction: stop its jobs and withdraw its clips."""
    active = [JobStatus.QUEUED, JobStatus.RUNNING]
    for job in AnimationJob.objects.select_for_update().filter(consent=consent, status__in=active):
        _end(job, JobStatus.CANCELLED, actor=actor, reason=f"Consent {reason}.")
    for clip in (
        Clip.objects.select_for_update()
        .filter(consent=consent)
        .exclude(status__in=[ClipStatus.CONSENT_REVOKED, ClipStatus.TAKEN_DOWN])
    ):
        clip_withdraw_for_consent(clip=clip, actor=actor, reason=reason)
