"""Platform fixtures, imported by the conftest of each Django test folder: private files in a
temporary folder, Celery eager for unit tests, members, the audit table's append-only triggers,
and real media (portrait, speech) with a consented subject."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import ConsentFactory, SubjectFactory
from uploads.services import upload_create


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "http://testserver"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Unit tests run tasks in-process; tests with a real worker process opt out."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("real_worker") is None
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def member(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_member(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def member_api(member):
    """The REST API as ``member`` (authenticated, no token needed)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(member)
    return client


@pytest.fixture
def private_files(settings):
    """Every file under the private media folder, as paths relative to it."""

    def list_files():
        root = settings.PRIVATE_MEDIA_ROOT
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return list_files


@pytest.fixture(autouse=True)
def _audit_append_only(request):
    """Every database test starts with the audit triggers on. A transactional test switches
    them off at its end, or Django could not flush the tables between tests."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    from tests.audit_triggers import audit_triggers_disable, audit_triggers_enable

    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    audit_triggers_enable()
    yield
    if transactional:
        audit_triggers_disable()


# ---------------------------------------------------------------- media, consent and jobs
@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((256, 256)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def speech_wav_bytes(tmp_path_factory) -> bytes:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (scripts/install installs it)")
    path = tmp_path_factory.mktemp("speech") / "hello.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "170", "-w", str(path), "Hello, my dear family."],
        check=True,
    )
    return path.read_bytes()


@pytest.fixture
def consented_subject(member):
    subject = SubjectFactory(owner=member)
    ConsentFactory(subject=subject, scope_publish=True)
    return subject


@pytest.fixture
def portrait_upload(member, consented_subject, astronaut_jpeg):
    return upload_create(
        owner=member,
        subject=consented_subject,
        kind="portrait",
        stream=SimpleUploadedFile("astronaut.jpg", astronaut_jpeg),
    )


@pytest.fixture
def audio_upload(member, consented_subject, speech_wav_bytes):
    return upload_create(
        owner=member,
        subject=consented_subject,
        kind="audio",
        stream=SimpleUploadedFile("hello.wav", speech_wav_bytes),
    )


@pytest.fixture
def finished_clip(
    member, consented_subject, portrait_upload, audio_upload, django_capture_on_commit_callbacks
):
    """A clip made by a real job (in-process), signed and watermarked, not yet published."""
    from jobs import services

    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(
            owner=member, subject=consented_subject, portrait=portrait_upload, audio=audio_upload,
            size=256,
        )  # fmt: skip
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job.clip


@pytest.fixture
def enqueued_jobs(monkeypatch) -> list:
    """Jobs are put on the queue but not run: the ids queued, in order. The one place tests
    stop jobs from running (every job is queued through jobs.queue)."""
    queued: list = []
    monkeypatch.setattr("jobs.queue.job_enqueue", lambda *, job_id: queued.append(job_id))
    return queued


@pytest.fixture(autouse=True)
def _job_settings(settings, tmp_path_factory, request):
    # One signing chain for the whole session. In-process tests hold the database in one
    # open transaction, which a heartbeat thread would wait on: they get none.
    settings.PROVENANCE_KEYS_DIR = tmp_path_factory.getbasetemp() / "keys"
    if request.node.get_closest_marker("real_worker") is None:
        settings.JOBS_HEARTBEAT_SECONDS = 3600


# `from tests.platform_fixtures import *` in a conftest must bring the autouse fixtures too,
# whose names start with an underscore.
__all__ = [
    "_audit_append_only",
    "_celery_eager",
    "_job_settings",
    "_private_media",
    "astronaut_jpeg",
    "audio_upload",
    "consented_subject",
    "enqueued_jobs",
    "finished_clip",
    "member",
    "member_api",
    "other_member",
    "portrait_upload",
    "private_files",
    "speech_wav_bytes",
]
