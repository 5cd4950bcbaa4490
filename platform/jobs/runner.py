"""Running one animation job on a worker: claim it, fetch its inputs through the storage API,
make the clip, store it, and record every outcome. Safe to run twice for the same job."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from audit.actors import Actor
from audit.services import audit_record
from config import credentials
from config.errors import DomainError
from consent.selectors import consent_in_force
from uploads.storage import private_storage

from .clip_maker import ClipInputs, JobStopped, MadeClip, clip_make
from .models import AnimationJob, Clip
from .services import job_cancel, job_end, job_enqueue, job_required_scopes

log = logging.getLogger(__name__)
Status = AnimationJob.Status
_WORKER = Actor.system("animation worker")
# Share of the whole job's progress bar that each pipeline stage covers.
_STAGE_SPAN = {
    "landmarks": (0.00, 0.05),
    "audio": (0.05, 0.08),
    "motion": (0.08, 0.10),
    "generate": (0.10, 0.90),
    "encode": (0.90, 0.92),
    "sign": (0.92, 0.97),
    "store": (0.97, 1.00),
}


def job_run(*, job_id) -> Clip | None:
    """Make the job's clip. Returns the clip, or None when the job is finished or stopped."""
    job = _claim(job_id)
    if job is None:
        return None
    workdir = Path(tempfile.mkdtemp(prefix=f"job-{job.id}-"))
    heartbeat = _Heartbeat(job.id)
    heartbeat.start()
    try:
        made = clip_make(
            _inputs(job, workdir),
            workdir=workdir,
            signing=credentials.signing_config(),
            trust=credentials.trust_config(),
            watermark_key=credentials.watermark_key(),
            generator_name=settings.GENERATOR_NAME,
            device=settings.ANIMATION_DEVICE or None,
            progress=_ProgressRecorder(job.id),
            should_stop=_StopCheck(job.id),
        )
        return _store(job, made)
    except JobStopped:
        log.info("job %s stopped: it was cancelled", job.id)
        return None
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def jobs_requeue_stalled(*, stale_after: timedelta | None = None) -> int:
    """Put back on the queue the jobs whose worker died mid-job (no heartbeat for a while).

    Running a job twice is safe: the database keeps one clip per job. Queued jobs are left
    alone: the broker keeps their messages until a worker takes them.
    """
    stale_after = stale_after or timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    now = timezone.now()
    stalled = AnimationJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=now - stale_after)
    count = 0
    for job in stalled:
        AnimationJob.objects.filter(pk=job.pk).update(heartbeat_at=now)
        with transaction.atomic():
            audit_record(
                actor=_WORKER,
                action="job.requeued",
                object_type="job",
                object_id=job.id,
                subject_id=job.subject_id,
                details={"was": job.status, "last_heartbeat": job.heartbeat_at},
            )
        job_enqueue(job_id=job.id)
        count += 1
    return count


def job_run_here(*, job_id) -> Clip:
    """Run the job in this process (shell commands, the demo); refusals become DomainError."""
    from animation.errors import AnimationInputError

    try:
        clip = job_run(job_id=job_id)
    except AnimationInputError as exc:
        job_fail(job_id=job_id, reason=str(exc))
        raise DomainError(str(exc), code="bad_input") from exc
    if clip is None:
        job = AnimationJob.objects.get(pk=job_id)
        raise DomainError(f"The job ended {job.get_status_display().lower()}: {job.error}")
    return clip


def job_fail(*, job_id, reason: str) -> None:
    """A failure the member can read; the job is not retried."""
    with transaction.atomic():
        job = AnimationJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return
        job_end(
            job=job,
            status=Status.FAILED,
            actor=_WORKER,
            reason=reason,
            details={"attempts": job.attempts},
        )


def _claim(job_id) -> AnimationJob | None:
    """Mark the job running, unless it is finished; refuse to start without consent."""
    with transaction.atomic():
        job = (
            AnimationJob.objects.select_for_update(of=("self",))
            .select_related("portrait", "audio", "consent", "subject")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.is_finished:
            return None
        if Clip.objects.filter(job=job).exists():  # made before a crash: just finish
            _mark_succeeded(job)
            return None
        in_force = consent_in_force(
            subject=job.subject, scopes=job_required_scopes(audio=job.audio)
        )
        if in_force is None or in_force.pk != job.consent_id:
            job.refresh_from_db()
            if not job.is_finished:
                job_cancel(job=job, actor=_WORKER, reason="Consent is no longer in force.")
            return None
        first_start = job.started_at is None
        job.status = Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.stage, job.progress = "landmarks", 0.0
        job.heartbeat_at = timezone.now()
        job.save(
            update_fields=["status", "attempts", "started_at", "stage", "progress", "heartbeat_at"]
        )
        audit_record(
            actor=_WORKER,
            action="job.started" if first_start else "job.restarted",
            object_type="job",
            object_id=job.id,
            subject_id=job.subject_id,
            details={"attempt": job.attempts},
        )
    return job


def _inputs(job: AnimationJob, workdir: Path) -> ClipInputs:
    portrait = _fetch(job.portrait.file, workdir / f"portrait{Path(job.portrait.file.name).suffix}")
    audio = None
    if job.audio is not None:
        audio = _fetch(job.audio.file, workdir / f"audio{Path(job.audio.file.name).suffix}")
    consent = job.consent
    return ClipInputs(
        portrait_path=portrait,
        portrait_sha256=job.portrait.sha256,
        portrait_mime=job.portrait.content_type,
        audio_path=audio,
        audio_sha256=job.audio.sha256 if job.audio else None,
        audio_mime=job.audio.content_type if job.audio else None,
        idle_seconds=job.idle_seconds,
        seed=job.seed,
        size=job.size,
        content_id=job.content_id,
        consent={
            "consent_id": str(consent.id),
            "scope": ",".join(consent.scopes),
            "assurance": consent.assurance,
            "content_hash": consent.content_hash,
        },
    )


def _fetch(field_file, destination: Path) -> Path:
    """Copy a stored file to local disk through the storage API (works with object storage)."""
    with field_file.storage.open(field_file.name, "rb") as source, open(destination, "wb") as out:
        shutil.copyfileobj(source, out, length=1024 * 1024)
    return destination


def _store(job: AnimationJob, made: MadeClip) -> Clip | None:
    """Save the files, then the row; a second run of the same job keeps the first clip."""
    storage = private_storage()
    names = []
    try:
        for path, folder in ((made.video_path, "clips"), (made.poster_path, "posters")):
            with open(path, "rb") as handle:
                names.append(storage.save(f"{folder}/{job.content_id}{path.suffix}", File(handle)))
        store = ContentFile(made.manifest_store)
        names.append(storage.save(f"manifests/{job.content_id}.c2pa", store))
        with transaction.atomic():
            locked = AnimationJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != Status.RUNNING:
                raise JobStopped()
            clip = Clip.objects.create(
                job=locked,
                owner=locked.owner,
                organisation=locked.organisation,
                subject=locked.subject,
                consent=locked.consent,
                content_id=locked.content_id,
                video=names[0],
                poster=names[1],
                sha256=made.video_sha256,
                poster_sha256=made.poster_sha256,
                fingerprint=made.fingerprint,
                manifest=made.manifest,
                manifest_label=made.manifest.get("label") or "",
                manifest_store=names[2],
                duration_seconds=made.duration_seconds,
                width=made.width,
                height=made.height,
            )
            locked.device = made.device
            locked.stage_seconds = {k: round(v, 3) for k, v in made.stage_seconds.items()}
            locked.save(update_fields=["device", "stage_seconds"])
            audit_record(
                actor=_WORKER,
                action="clip.created",
                object_type="clip",
                object_id=clip.id,
                subject_id=clip.subject_id,
                details={
                    "content_id": clip.content_id,
                    "sha256": clip.sha256,
                    "job": str(locked.id),
                    "consent": str(locked.consent_id),
                    "consent_hash": locked.consent.content_hash,
                },
            )
            _mark_succeeded(locked)
        return clip
    except (IntegrityError, JobStopped):
        for name in names:
            storage.delete(name)
        return None
    except BaseException:
        for name in names:
            storage.delete(name)
        raise


def _mark_succeeded(job: AnimationJob) -> None:
    job.status = Status.SUCCEEDED
    job.stage, job.progress = "done", 1.0
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "stage", "progress", "finished_at"])
    audit_record(
        actor=_WORKER,
        action="job.succeeded",
        object_type="job",
        object_id=job.id,
        subject_id=job.subject_id,
        details={"attempts": job.attempts},
    )


class _ProgressRecorder:
    """Saves (stage, overall fraction) on the job, at most a few times a second."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1.0:
            return
        self.last = now
        start, end = _STAGE_SPAN.get(stage, (0.0, 1.0))
        overall = start + (end - start) * max(0.0, min(1.0, fraction))
        AnimationJob.objects.filter(pk=self.job_id, status=Status.RUNNING).update(
            stage=stage[:32], progress=round(overall, 4)
        )


class _Heartbeat:
    """A thread that stamps the job every few seconds while this worker runs it."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.interval = settings.JOBS_HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    AnimationJob.objects.filter(pk=self.job_id, status=Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # a missed beat is harmless; the next one may land
                    log.warning("heartbeat of job %s could not be written", self.job_id)
        finally:
            connection.close()


class _StopCheck:
    """True once the job is no longer running (cancelled, or consent withdrawn)."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id

    def __call__(self) -> bool:
        return not AnimationJob.objects.filter(pk=self.job_id, status=Status.RUNNING).exists()
