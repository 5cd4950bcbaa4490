"""Every change to a job goes through jobs.services, in one transaction with its audit row:
create, claim, progress (one fraction that never moves backwards), succeed, fail, requeue; the
runner maps errors to failures once for the task and for `job_run_here`; consent is read from
its dates, and its expiry recorded by the periodic task or by a write that locks it."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from types import SimpleNamespace
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, OperationalError
from django.utils import timezone

from animation.errors import NoFaceError
from audit.models import AuditEvent
from consent.models import ConsentRecord
from consent.selectors import consent_in_force
from consent.services import consent_revoke
from consent.tasks import consent_expire_due
from core.actors import Actor
from core.errors import DomainError
from jobs import clip_services, runner, services
from jobs.models import AnimationJob, Clip
from jobs.progress import JobStage, progress_point
from jobs.tasks import animate_job

pytestmark = pytest.mark.django_db
Status = AnimationJob.Status


def _start(member, subject, portrait, audio) -> AnimationJob:
    return services.job_create(
        owner=member, subject=subject, portrait=portrait, audio=audio, size=256
    )


@pytest.fixture
def queued_job(member, consented_subject, portrait_upload, audio_upload, enqueued_jobs):
    return _start(member, consented_subject, portrait_upload, audio_upload)


def _actions(job) -> list[str]:
    events = AuditEvent.objects.filter(object_id=str(job.id)).order_by("seq")
    return list(events.values_list("action", flat=True))


def _recorded_clip(job: AnimationJob) -> Clip:
    """A clip recorded through the service, as a worker would after storing made files."""
    made = SimpleNamespace(
        video_sha256="a" * 64, poster_sha256="b" * 64, fingerprint="", manifest={"label": "urn:x"},
        duration_seconds=1.0, width=256, height=256, device="cpu", stage_seconds={"sign": 0.1234},
        poster_manifest_label="",
    )  # fmt: skip
    files = services.ClipFiles(video="clips/x.mp4", poster="posters/x.png", manifest_store="m")
    clip = services.job_succeed(job_id=job.id, made=made, files=files)
    assert clip is not None
    return clip


def _expire_by_date(job: AnimationJob) -> None:
    past = timezone.now() - timedelta(minutes=1)
    ConsentRecord.objects.filter(pk=job.consent_id).update(expires_at=past)


# ---------------------------------------------------------------- create and claim
def test_a_created_job_is_queued_once_on_commit(
    member, consented_subject, portrait_upload, audio_upload, enqueued_jobs,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(member, consented_subject, portrait_upload, audio_upload)
    assert enqueued_jobs == [job.id]
    assert _actions(job) == ["job.queued"]


def test_claim_starts_the_job_then_restarts_a_redelivered_one(queued_job):
    claimed = services.job_claim(job_id=queued_job.id)
    assert claimed.status == Status.RUNNING and claimed.attempts == 1
    assert (claimed.stage, claimed.progress) == (JobStage.STARTING, 0.0)
    assert claimed.heartbeat_at is not None and claimed.portrait and claimed.consent
    again = services.job_claim(job_id=queued_job.id)
    assert again.attempts == 2
    assert _actions(queued_job) == ["job.queued", "job.started", "job.restarted"]


def test_claim_leaves_a_finished_job_alone(queued_job, member):
    services.job_cancel_by_member(job=queued_job, user=member)
    assert services.job_claim(job_id=queued_job.id) is None
    assert _actions(queued_job) == ["job.queued", "job.cancelled"]


def test_claim_finishes_a_job_whose_clip_was_recorded_before_a_crash(queued_job):
    services.job_claim(job_id=queued_job.id)
    clip = _recorded_clip(queued_job)
    AnimationJob.objects.filter(pk=queued_job.pk).update(status=Status.RUNNING)
    assert services.job_claim(job_id=queued_job.id) is None
    queued_job.refresh_from_db()
    assert queued_job.status == Status.SUCCEEDED and Clip.objects.get() == clip


def test_claim_reads_consent_from_its_dates_and_cancels(queued_job):
    _expire_by_date(queued_job)
    assert services.job_claim(job_id=queued_job.id) is None
    queued_job.refresh_from_db()
    assert queued_job.status == Status.CANCELLED
    assert queued_job.error == "Consent is no longer in force."
    assert _actions(queued_job) == ["job.queued", "job.cancelled"]
    # The claim recorded nothing about the consent: the periodic task does.
    assert ConsentRecord.objects.get(pk=queued_job.consent_id).status == "active"


# ---------------------------------------------------------------- progress
class PipelineStage(StrEnum):  # as animation.stages.Stage reports them
    LOAD = "load"
    GENERATE = "generate"
    ENCODE = "encode"


def test_progress_is_one_fraction_that_never_moves_backwards(queued_job, member):
    services.job_claim(job_id=queued_job.id)
    reports = [
        (PipelineStage.LOAD, 0.02),
        (PipelineStage.GENERATE, 0.5),
        ("generate", 0.3),  # backwards: ignored
        (PipelineStage.ENCODE, 1.0),
        ("sign", 0.0),
        (JobStage.SIGN, 0.5),
        (JobStage.SIGN, 1.0),
        (JobStage.STORE, 0.0),
    ]
    seen = []
    for stage, fraction in reports:
        services.job_progress(job_id=queued_job.id, stage=stage, fraction=fraction)
        queued_job.refresh_from_db()
        seen.append((queued_job.stage, queued_job.progress))
    assert seen == [
        ("load", 0.018),
        ("generate", 0.45),
        ("generate", 0.45),
        ("encode", 0.9),
        ("sign", 0.9),
        ("sign", 0.935),
        ("sign", 0.97),
        ("store", 0.97),
    ]
    services.job_cancel_by_member(job=queued_job, user=member)
    services.job_progress(job_id=queued_job.id, stage="generate", fraction=1.0)
    queued_job.refresh_from_db()
    assert (queued_job.stage, queued_job.progress) == ("store", 0.97)  # a finished job: as is


def test_progress_point_takes_enum_members_or_strings():
    assert progress_point(PipelineStage.GENERATE, 0.5) == progress_point("generate", 0.5)
    assert progress_point("generate", 2.0).progress == 0.9  # clamped to the pipeline's share
    assert progress_point(JobStage.DONE, 0.0) == ("done", 1.0)
    assert len(progress_point("x" * 40, 0.1).stage) == 32


def test_a_whole_job_reports_progress_that_never_moves_backwards(
    member, consented_subject, portrait_upload, django_capture_on_commit_callbacks
):
    seen = []
    record = services.job_progress

    def spy(*, job_id, stage, fraction):
        record(job_id=job_id, stage=stage, fraction=fraction)
        seen.append(AnimationJob.objects.values_list("stage", "progress").get(pk=job_id))

    with (
        mock.patch.object(services, "job_progress", spy),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = services.job_create(
            owner=member, subject=consented_subject, portrait=portrait_upload, idle_seconds=1.0,
            size=256,
        )  # fmt: skip
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    progress = [fraction for _, fraction in seen]
    assert progress == sorted(progress) and 0 < progress[-1] < 1.0
    assert {"sign", "store"} <= {stage for stage, _ in seen}
    assert (job.stage, job.progress) == ("done", 1.0)


# ---------------------------------------------------------------- succeed, fail, requeue
def test_succeed_records_the_clip_with_its_audit_rows(queued_job):
    services.job_claim(job_id=queued_job.id)
    clip = _recorded_clip(queued_job)
    queued_job.refresh_from_db()
    assert queued_job.status == Status.SUCCEEDED and queued_job.progress == 1.0
    assert queued_job.stage_seconds == {"sign": 0.123} and queued_job.device == "cpu"
    assert clip.manifest_label == "urn:x" and clip.consent_id == queued_job.consent_id
    assert _actions(queued_job)[-1] == "job.succeeded"
    assert AuditEvent.objects.filter(action="clip.created", object_id=str(clip.id)).exists()


def test_succeed_records_nothing_for_a_job_stopped_meanwhile(queued_job, member):
    services.job_claim(job_id=queued_job.id)
    services.job_cancel_by_member(job=queued_job, user=member)
    files = services.ClipFiles(video="v", poster="p", manifest_store="m")
    made = mock.sentinel.made  # not even looked at
    assert services.job_succeed(job_id=queued_job.id, made=made, files=files) is None
    assert not Clip.objects.exists()
    assert not AuditEvent.objects.filter(action="clip.created").exists()


def test_fail_is_audited_once(queued_job):
    services.job_claim(job_id=queued_job.id)
    services.job_fail(job_id=queued_job.id, reason="No face.")
    services.job_fail(job_id=queued_job.id, reason="again")
    queued_job.refresh_from_db()
    assert queued_job.status == Status.FAILED and queued_job.error == "No face."
    assert _actions(queued_job)[-1] == "job.failed"
    assert _actions(queued_job).count("job.failed") == 1


def _stall(job: AnimationJob) -> None:
    ago = timezone.now() - timedelta(minutes=10)
    AnimationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, heartbeat_at=ago)


def test_stalled_jobs_are_requeued_once_and_audited(
    queued_job, enqueued_jobs, django_capture_on_commit_callbacks
):
    _stall(queued_job)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_requeue_stalled() == 1
        assert services.jobs_requeue_stalled() == 0  # its heartbeat was stamped
    assert enqueued_jobs == [queued_job.id]
    event = AuditEvent.objects.get(action="job.requeued", object_id=str(queued_job.id))
    assert event.details["was"] == "running" and event.details["last_heartbeat"]


def test_a_requeue_whose_audit_fails_leaves_no_stamp_and_queues_nothing(
    queued_job, enqueued_jobs, django_capture_on_commit_callbacks
):
    _stall(queued_job)
    queued_job.refresh_from_db()
    stale = queued_job.heartbeat_at
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch("jobs.services.audit_record", side_effect=DatabaseError("audit down")),
        pytest.raises(DatabaseError),
    ):
        services.jobs_requeue_stalled()
    queued_job.refresh_from_db()
    assert queued_job.heartbeat_at == stale and enqueued_jobs == []


# ---------------------------------------------------------------- one error mapping
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NoFaceError("No face was found in the portrait."), "No face was found in the portrait."),
        (SoftTimeLimitExceeded(), "The animation took longer than the time limit."),
        (OperationalError("db gone"), "A temporary fault persisted; please try again."),
    ],
)
def test_run_here_fails_the_job_with_a_readable_reason(queued_job, error, reason):
    with (
        mock.patch.object(runner, "job_run", side_effect=error),
        pytest.raises(DomainError, match=reason),
    ):
        runner.job_run_here(job_id=queued_job.id)
    queued_job.refresh_from_db()
    assert queued_job.status == Status.FAILED and queued_job.error == reason


def test_an_internal_error_fails_the_job_and_is_raised(queued_job):
    with (
        mock.patch.object(runner, "job_run", side_effect=RuntimeError("bug")),
        pytest.raises(RuntimeError),
    ):
        runner.job_attempt(job_id=queued_job.id)
    queued_job.refresh_from_db()
    assert queued_job.status == Status.FAILED and "internal error" in queued_job.error


def test_the_task_retries_a_transient_fault_then_fails_the_job(queued_job):
    with mock.patch.object(runner, "job_run", side_effect=OperationalError("db gone")) as run:
        animate_job.apply(args=[str(queued_job.id)])
    assert run.call_count == animate_job.max_retries + 1
    queued_job.refresh_from_db()
    assert queued_job.status == Status.FAILED and "temporary fault" in queued_job.error


# ---------------------------------------------------------------- consent expiry
def test_expiry_is_read_from_dates_and_recorded_by_the_periodic_task_with_its_cascade(
    queued_job, member, consented_subject, portrait_upload, audio_upload
):
    services.job_claim(job_id=queued_job.id)
    clip = _recorded_clip(queued_job)
    waiting = _start(member, consented_subject, portrait_upload, audio_upload)
    _expire_by_date(queued_job)
    assert consent_in_force(subject=consented_subject, scopes=["animate"]) is None
    clip.refresh_from_db()
    waiting.refresh_from_db()
    assert clip.status == "private" and waiting.status == Status.QUEUED  # a read wrote nothing

    assert consent_expire_due.delay().get() == 1
    clip.refresh_from_db()
    waiting.refresh_from_db()
    assert clip.status == Clip.Status.CONSENT_REVOKED
    assert waiting.status == Status.CANCELLED and waiting.error == "Consent expired."
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"consent.expired", "clip.consent_withdrawn"} <= actions


def test_publishing_under_a_consent_past_due_records_its_expiry(queued_job, member):
    services.job_claim(job_id=queued_job.id)
    clip = _recorded_clip(queued_job)
    _expire_by_date(queued_job)
    with pytest.raises(DomainError, match="cannot be published"):
        clip_services.clip_publish(clip=clip, user=member)  # the cascade withdrew it, then refused
    clip.refresh_from_db()
    assert ConsentRecord.objects.get(pk=clip.consent_id).status == "expired"
    assert clip.status == Clip.Status.CONSENT_REVOKED
    assert AuditEvent.objects.filter(action="consent.expired").count() == 1


def test_revoking_cancels_a_running_job_through_the_cascade(queued_job):
    services.job_claim(job_id=queued_job.id)
    consent = ConsentRecord.objects.get(pk=queued_job.consent_id)
    consent_revoke(consent=consent, actor=Actor.grantor(consent.id), reason="stop")
    queued_job.refresh_from_db()
    assert queued_job.status == Status.CANCELLED and queued_job.error == "Consent revoked."
