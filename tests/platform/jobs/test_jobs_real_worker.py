"""Jobs on a real worker process over the broker (filesystem by default, Redis in CI):
end to end with a duplicate delivery, revocation mid-job, and SIGKILL of the worker mid-job
followed by a restart. Each must leave exactly one clip, or none."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from audit.models import AuditEvent
from config import credentials
from config.celery import app
from consent.models import ConsentRecord
from consent.services import consent_revoke
from core.actors import Actor
from jobs import services
from jobs.models import AnimationJob, Clip
from tests.real_worker import RealWorker, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
]


# Seconds the worker pauses after each generated chunk where a test must act mid-generation:
# without it, a fast machine finishes a short clip between two polls.
PACE = 2.0


@pytest.fixture
def queue(settings):
    settings.JOBS_QUEUE = f"gpu-test-{uuid.uuid4().hex[:8]}"
    return settings.JOBS_QUEUE


def _start(member, subject, portrait, audio) -> AnimationJob:
    with transaction.atomic():  # enqueued on commit, as in production
        return services.job_create(
            owner=member, subject=subject, portrait=portrait, audio=audio, size=256
        )


def _status(job) -> str:
    job.refresh_from_db()
    return job.status


def _generating(job) -> bool:
    job.refresh_from_db()
    return job.status == "running" and job.stage == "generate" and job.progress > 0.12


def test_end_to_end_and_a_duplicate_delivery_make_one_clip(
    member, consented_subject, portrait_upload, audio_upload, queue, tmp_path
):
    from provenance.manifest import read_manifest
    from provenance.watermark import detect_video

    with RealWorker(queue, tmp_path / "worker.log") as worker:
        job = _start(member, consented_subject, portrait_upload, audio_upload)
        wait_for(lambda: _status(job) == "succeeded", timeout=240, worker=worker, what="the job")
        # The same message again, then a sentinel job behind it on the same queue.
        app.send_task("jobs.animate", args=[str(job.id)], queue=queue)
        sentinel = _start(member, consented_subject, portrait_upload, audio_upload)
        wait_for(lambda: _status(sentinel) == "succeeded", timeout=240, worker=worker, what="2nd")
    assert Clip.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.attempts == 1
    clip = job.clip
    assert read_manifest(clip.video.path, credentials.trust_config()).status == "ours_trusted"
    found = detect_video(clip.video.path, key=credentials.watermark_key())
    assert found.detected and found.payload_hex == clip.content_id


def test_revocation_while_the_job_runs_cancels_it(
    member, consented_subject, portrait_upload, audio_upload, queue, tmp_path
):
    with RealWorker(queue, tmp_path / "worker.log", pace=PACE) as worker:
        job = _start(member, consented_subject, portrait_upload, audio_upload)
        wait_for(lambda: _generating(job), timeout=240, worker=worker, what="generation")
        consent = ConsentRecord.objects.get(subject=consented_subject)
        consent_revoke(consent=consent, actor=Actor.grantor(consent.id), reason="stop now")
        wait_for(lambda: _status(job) == "cancelled", timeout=30, worker=worker, what="cancel")
        # The worker notices between frame batches and abandons the clip.
        wait_for(
            lambda: "stopped: it was cancelled" in worker.log(),
            timeout=60,
            worker=worker,
            what="the worker to stop the job",
        )
    assert Clip.objects.count() == 0
    assert AuditEvent.objects.filter(action="job.cancelled", object_id=str(job.id)).exists()


def test_sigkill_mid_job_then_restart_completes_exactly_once(
    member, consented_subject, portrait_upload, audio_upload, queue, tmp_path
):
    quick = {
        "JOBS_HEARTBEAT_SECONDS": "1",
        "JOBS_STALE_AFTER_SECONDS": "4",
        "JOBS_SWEEP_SECONDS": "2",
        # Beat's sweeps go to a queue of this test's own, which the worker also consumes.
        "CELERY_DEFAULT_QUEUE": f"{queue}-default",
    }
    queues = f"{queue},{queue}-default"
    first = RealWorker(queues, tmp_path / "first.log", pace=PACE, **quick).start()
    try:
        job = _start(member, consented_subject, portrait_upload, audio_upload)
        wait_for(lambda: _generating(job), timeout=240, worker=first, what="generation")
        first.kill()
    finally:
        first.stop()
    job.refresh_from_db()
    assert job.status == "running" and not Clip.objects.exists()

    with RealWorker(queues, tmp_path / "second.log", beat=True, **quick) as second:
        wait_for(lambda: _status(job) == "succeeded", timeout=300, worker=second, what="rerun")
    assert Clip.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.attempts == 2
    actions = set(AuditEvent.objects.filter(object_id=str(job.id)).values_list("action", flat=True))
    assert {"job.requeued", "job.restarted", "job.succeeded"} <= actions
