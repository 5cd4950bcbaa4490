"""Running one animation job on a worker: claim it, fetch its inputs through the storage API,
make the clip, store its files, and record the outcome. Safe to run twice for the same job.

This module orchestrates only: every change to the job goes through `jobs.services`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from animation.errors import AnimationInputError
from config import credentials
from core.errors import DomainError
from core.storage import private_storage

from . import services
from .clip_maker import ClipInputs, JobStopped, MadeClip, clip_make
from .models import AnimationJob, Clip
from .progress import JobStage
from .selectors import job_is_running

log = logging.getLogger(__name__)
# Faults worth another try: the database or the storage hiccuped.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def job_run(*, job_id) -> Clip | None:
    """Make the job's clip. Returns the clip, or None when the job is finished or stopped."""
    job = services.job_claim(job_id=job_id)
    if job is None:
        return None
    workdir = Path(tempfile.mkdtemp(prefix=f"job-{job.id}-"))
    heartbeat = _Heartbeat(job.id)
    heartbeat.start()
    progress = _ProgressRecorder(job.id)
    try:
        made = clip_make(
            _inputs(job, workdir),
            workdir=workdir,
            signing=credentials.signing_config(),
            trust=credentials.trust_config(),
            watermark_key=credentials.watermark_key(),
            generator_name=settings.GENERATOR_NAME,
            soft_binding_alg=credentials.soft_binding_alg(),
            device=settings.ANIMATION_DEVICE or None,
            progress=progress,
            should_stop=_StopCheck(job.id),
        )
        progress(JobStage.STORE, 0.0)
        return _store(job, made)
    except JobStopped:
        log.info("job %s stopped: it was cancelled", job.id)
        return None
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def job_attempt(*, job_id, may_retry: bool = False) -> Clip | None:
    """Run the job; whatever stops it ends it with a reason the member can read.

    The one mapping of errors to failures, for the Celery task and for `job_run_here`. A
    transient fault (database, storage) is raised again when ``may_retry``, for the caller to
    try later; an internal error is raised again after failing the job, to be logged.
    """
    try:
        return job_run(job_id=job_id)
    except AnimationInputError as exc:  # bad input: no retry, a readable reason
        services.job_fail(job_id=job_id, reason=str(exc))
    except SoftTimeLimitExceeded:
        services.job_fail(job_id=job_id, reason="The animation took longer than the time limit.")
    except TRANSIENT:
        if may_retry:
            raise
        services.job_fail(job_id=job_id, reason="A temporary fault persisted; please try again.")
    except Exception:
        reason = "An internal error stopped this job; it has been logged."
        services.job_fail(job_id=job_id, reason=reason)
        raise
    return None


def job_run_here(*, job_id) -> Clip:
    """Run the job in this process (shell commands, the demo); any other end than a clip is
    a DomainError with the job's reason."""
    clip = job_attempt(job_id=job_id)
    if clip is not None:
        return clip
    job = AnimationJob.objects.select_related("clip").get(pk=job_id)
    if job.status == AnimationJob.Status.SUCCEEDED:  # made by an earlier run
        return job.clip
    status = job.get_status_display().lower()
    raise DomainError(job.error or f"The job ended {status}.", code=f"job_{job.status}")


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
    """Save the files, then record the clip; files of a clip not recorded are deleted (a
    second run of the same job keeps the first clip)."""
    storage = private_storage()
    names: list[str] = []
    try:
        for path, folder in ((made.video_path, "clips"), (made.poster_path, "posters")):
            with open(path, "rb") as handle:
                names.append(storage.save(f"{folder}/{job.content_id}{path.suffix}", File(handle)))
        for store, suffix in ((made.manifest_store, ""), (made.poster_manifest_store, "-poster")):
            name = f"manifests/{job.content_id}{suffix}.c2pa"
            names.append(storage.save(name, ContentFile(store)) if store else "")
        clip = services.job_succeed(job_id=job.id, made=made, files=services.ClipFiles(*names))
    except BaseException:
        _delete(storage, names)
        raise
    if clip is None:
        _delete(storage, names)
    return clip


def _delete(storage, names: list[str]) -> None:
    for name in filter(None, names):
        storage.delete(name)


class _ProgressRecorder:
    """Passes the pipeline's progress reports to the job: each new stage at once, otherwise at
    most twice a second."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.stage = ""
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last < 0.5 and fraction < 1.0:
            return
        self.stage, self.last = stage, now
        services.job_progress(job_id=self.job_id, stage=stage, fraction=fraction)


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
                    services.job_heartbeat(job_id=self.job_id)
                except DatabaseError:  # a missed beat is harmless; the next one may land
                    log.warning("heartbeat of job %s could not be written", self.job_id)
        finally:
            connection.close()


class _StopCheck:
    """True once the job is no longer running (cancelled, or consent withdrawn)."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id

    def __call__(self) -> bool:
        return not job_is_running(job_id=self.job_id)
