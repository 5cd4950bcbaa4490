"""With S3-compatible object storage (moto, in process), uploads, job inputs and clips all go
through Django's storage API: nothing needs a path shared between web and workers."""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws
from storages.backends.s3 import S3Storage

from jobs import runner, services
from jobs.models import Clip
from uploads.models import Upload
from uploads.services import upload_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3(monkeypatch):
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="likeness-test")
        storage = S3Storage(bucket_name="likeness-test", region_name="us-east-1")
        monkeypatch.setattr("core.storage.private_storage", lambda: storage)
        monkeypatch.setattr("jobs.runner.private_storage", lambda: storage)
        for field in (
            Upload._meta.get_field("file"),
            Clip._meta.get_field("video"),
            Clip._meta.get_field("poster"),
            Clip._meta.get_field("manifest_store"),
            Clip._meta.get_field("poster_manifest_store"),
        ):
            monkeypatch.setattr(field, "storage", storage)
        yield storage


def test_job_runs_entirely_through_object_storage(
    s3, member, consented_subject, astronaut_jpeg, speech_wav_bytes, private_files,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    portrait = upload_create(
        owner=member,
        subject=consented_subject,
        kind="portrait",
        stream=SimpleUploadedFile("a.jpg", astronaut_jpeg),
    )
    audio = upload_create(
        owner=member,
        subject=consented_subject,
        kind="audio",
        stream=SimpleUploadedFile("a.wav", speech_wav_bytes),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(
            owner=member, subject=consented_subject, portrait=portrait, audio=audio, size=256
        )
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    keys = {
        o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="likeness-test")["Contents"]
    }
    clip = job.clip
    stored = {
        clip.video.name,
        clip.poster.name,
        clip.manifest_store.name,
        clip.poster_manifest_store.name,
    }
    assert {portrait.file.name, audio.file.name} | stored == keys
    assert private_files() == [], "nothing may be written to local private storage"
    with clip.video.open("rb") as handle:
        assert handle.read(12)[4:8] == b"ftyp"
    assert runner.job_run(job_id=job.id) is None
