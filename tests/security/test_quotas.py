"""Quotas and retention: a member cannot flood the job queue, an anonymous verifier cannot
store forever or plant a megabyte of text on a permalink, and audio stays proportionate."""

from __future__ import annotations

import datetime
import io
import json
import threading
import uuid
import wave
from pathlib import Path

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import DomainError
from jobs.models import AnimationJob
from uploads.services import upload_create
from verification.findings_bounds import MAX_FINDINGS_BYTES
from verification.models import Verification, new_verification_id

pytestmark = [pytest.mark.security, pytest.mark.django_db]


# ---------------------------------------------------------------- jobs per member
def test_fifty_job_creates_stop_at_the_quota(member, portrait_upload, audio_upload, settings):
    settings.JOBS_MAX_ACTIVE_PER_MEMBER = 3
    api = APIClient()
    api.force_authenticate(member)
    body = {
        "subject": str(portrait_upload.subject_id),
        "portrait": str(portrait_upload.id),
        "audio": str(audio_upload.id),
        "size": 256,
    }
    answers = [api.post("/api/jobs/", body, format="json") for _ in range(50)]
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 3, codes
    assert set(codes[3:]) == {429}
    error = answers[-1].json()["error"]
    assert error["code"] == "too_many_jobs"
    assert "You have 3 animation jobs queued or running" in error["message"]
    assert "Wait for one to finish" in error["message"]
    assert AnimationJob.objects.filter(owner=member).count() == 3


def test_job_page_shows_the_quota_message(client, member, portrait_upload, settings):
    settings.JOBS_MAX_ACTIVE_PER_MEMBER = 0
    client.force_login(member)
    url = reverse("job-create", args=[portrait_upload.subject_id])
    answer = client.post(url, {"portrait": str(portrait_upload.id), "idle_seconds": 2, "seed": 0,
                               "size": 256})  # fmt: skip
    assert answer.status_code == 429
    assert "You have 0 animation jobs queued or running" in answer.content.decode()


def test_organisation_quota(member, portrait_upload, settings):
    from jobs import services
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    subject = portrait_upload.subject
    subject.organisation = organisation
    subject.save(update_fields=["organisation"])
    settings.JOBS_MAX_ACTIVE_PER_MEMBER = 10
    settings.JOBS_MAX_ACTIVE_PER_ORGANISATION = 2
    for _ in range(2):
        services.job_create(owner=member, subject=subject, portrait=portrait_upload,
                            idle_seconds=2, enqueue=False)  # fmt: skip
    with pytest.raises(services.TooManyJobs, match="Your organisation has 2 animation jobs"):
        services.job_create(owner=member, subject=subject, portrait=portrait_upload,
                            idle_seconds=2, enqueue=False)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_cannot_slip_past(member, portrait_upload, settings):
    """Twelve threads at once, each its own connection: the member's locked row serialises
    them. SQLite serialises every write anyway; this is the PostgreSQL case."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a server database")
    from jobs import services

    settings.JOBS_MAX_ACTIVE_PER_MEMBER = 3
    subject = portrait_upload.subject
    outcomes: list[str] = []
    start = threading.Barrier(12)

    def create() -> None:
        try:
            start.wait()
            services.job_create(owner=member, subject=subject, portrait=portrait_upload,
                                idle_seconds=2, enqueue=False)  # fmt: skip
            outcomes.append("ok")
        except services.TooManyJobs:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 9
    assert AnimationJob.objects.filter(owner=member).count() == 3


# ---------------------------------------------------------------- verification retention
def _a_verification(**fields) -> Verification:
    return Verification.objects.create(
        verdict="no_sign", media_type="image/png", size=1, sha256="0" * 64, findings={}, **fields
    )


def test_retention_sweep_deletes_old_results_and_permalinks_say_gone(settings, client):
    from verification.tasks import purge_expired

    settings.VERIFICATION_RETENTION_DAYS = 30
    old = _a_verification(id=_uuid7_at(timezone.now() - datetime.timedelta(days=31)))
    Verification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    recent = _a_verification()
    assert purge_expired.delay().get() == 1
    assert list(Verification.objects.values_list("pk", flat=True)) == [recent.pk]

    page = client.get(reverse("verification-result", args=[old.pk]))
    assert page.status_code == 410
    assert "we keep results for 30 days" in page.content.decode()
    api = APIClient().get(reverse("api-verification", args=[old.pk]))
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "gone"
    assert client.get(reverse("verification-result", args=[recent.pk])).status_code == 200
    # An id that never existed (made now, or not time-based) is simply not found.
    assert (
        client.get(reverse("verification-result", args=[new_verification_id()])).status_code == 404
    )
    assert client.get(reverse("verification-result", args=[uuid.uuid4()])).status_code == 404


def test_retention_sweep_is_scheduled(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(e["task"] == "verification.purge_expired" for e in schedule.values())


def _uuid7_at(when: datetime.datetime) -> uuid.UUID:
    fresh = new_verification_id().int & ((1 << 80) - 1)
    return uuid.UUID(int=int(when.timestamp() * 1000) << 80 | fresh)


def test_a_megabyte_of_manifest_text_is_cut(tmp_path):
    from PIL import Image
    from skimage import data

    from provenance.keys import create_local_chain
    from provenance.manifest import ClaimInfo, ConsentAssertion, SigningConfig, sign_media

    png = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()[:128, :128]).save(png)
    # c2pa refuses a manifest definition over about 1 MiB of JSON: 0.8 MB of text it is.
    huge = "A" * 200_000  # twice as generator (claim and action), twice in consent
    claim = ClaimInfo(
        generator_name=huge,
        generator_version="1",
        consent=ConsentAssertion(consent_id=huge, scope=huge, assurance="x", content_hash="y"),
    )
    chain = create_local_chain(tmp_path / "someone", organization="Someone")
    sign_media(png, tmp_path / "signed.png", claim=claim,
               signing=SigningConfig.from_local_chain(chain))  # fmt: skip
    content = (tmp_path / "signed.png").read_bytes()
    assert len(content) > 800_000
    answer = APIClient().post(
        "/api/verify/", {"file": SimpleUploadedFile("big.png", content)}, format="multipart"
    )
    assert answer.status_code == 201, answer.content
    stored = Verification.objects.get(pk=answer.json()["id"])
    assert len(json.dumps(stored.findings)) <= MAX_FINDINGS_BYTES
    assert "cut" in stored.findings
    assert stored.findings["credentials"]["generator"].endswith("…")
    page = APIClient().get(answer.json()["permalink"])
    assert len(page.content) < 100_000
    assert "too long and has been cut" in page.content.decode()


# ---------------------------------------------------------------- audio storage
def _speech_opus(speech_wav_bytes: bytes, bit_rate: int) -> bytes:
    out = io.BytesIO()
    with av.open(io.BytesIO(speech_wav_bytes)) as source, av.open(out, "w", format="ogg") as ogg:
        stream = ogg.add_stream("libopus", rate=48_000)
        stream.layout, stream.bit_rate = "mono", bit_rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000, frame_size=960)
        for frame in [*source.decode(audio=0), None]:
            if frame is not None:
                frame.pts = None
            for chunk in resampler.resample(frame):
                for packet in stream.encode(chunk):
                    ogg.mux(packet)
        for packet in stream.encode(None):
            ogg.mux(packet)
    return out.getvalue()


def test_a_small_opus_upload_stays_small(member, consented_subject, speech_wav_bytes):
    opus = _speech_opus(speech_wav_bytes, 12_000)
    upload = upload_create(owner=member, subject=consented_subject, kind="audio",
                           stream=SimpleUploadedFile("voice.opus", opus))  # fmt: skip
    assert upload.content_type == "audio/ogg"
    assert upload.size <= max(4 * len(opus), 16 * 1024), (len(opus), upload.size)
    # The animation reads the stored form.
    from animation.audio import decode_audio

    samples = decode_audio(Path(upload.file.path))
    assert len(samples) / 16_000 == pytest.approx(upload.duration_seconds, abs=0.05)


def test_a_lossless_upload_stays_flac(member, consented_subject, speech_wav_bytes):
    upload = upload_create(owner=member, subject=consented_subject, kind="audio",
                           stream=SimpleUploadedFile("voice.wav", speech_wav_bytes))  # fmt: skip
    assert upload.content_type == "audio/flac"
    assert upload.size < len(speech_wav_bytes)


def test_stored_size_counts_against_the_quota(member, consented_subject, speech_wav_bytes,
                                              settings):  # fmt: skip
    flac = upload_create(owner=member, subject=consented_subject, kind="audio",
                         stream=SimpleUploadedFile("voice.wav", speech_wav_bytes))  # fmt: skip
    settings.UPLOAD_QUOTA_BYTES = flac.size + 1000
    with pytest.raises(DomainError, match="storage limit"):
        upload_create(owner=member, subject=consented_subject, kind="audio",
                      stream=SimpleUploadedFile("voice.wav", speech_wav_bytes))  # fmt: skip


def test_a_five_millisecond_wav_is_refused(member, consented_subject, private_files):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\x00\x10" * 80)  # 80 samples: 5 ms
    api = APIClient()
    api.force_authenticate(member)
    answer = api.post(
        "/api/uploads/",
        {"subject": str(consented_subject.id), "kind": "audio",
         "file": SimpleUploadedFile("blip.wav", buffer.getvalue())},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["message"] == (
        "The recording is 0.005 seconds long; speech must be at least 1 second."
    )
    assert private_files() == []


def test_opus_is_what_ffmpeg_says(member, consented_subject, speech_wav_bytes):
    """The stored Opus file is a plain Ogg Opus stream any player reads."""
    opus = _speech_opus(speech_wav_bytes, 24_000)
    upload = upload_create(owner=member, subject=consented_subject, kind="audio",
                           stream=SimpleUploadedFile("voice.ogg", opus))  # fmt: skip
    with av.open(upload.file.path) as container:
        assert container.format.name == "ogg"
        assert container.streams.audio[0].codec_context.name == "opus"


def test_a_job_animates_a_stored_opus_recording(
    member, consented_subject, portrait_upload, speech_wav_bytes, django_capture_on_commit_callbacks
):
    from jobs import services

    opus = SimpleUploadedFile("voice.opus", _speech_opus(speech_wav_bytes, 16_000))
    voice = upload_create(owner=member, subject=consented_subject, kind="audio", stream=opus)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(owner=member, subject=consented_subject,
                                  portrait=portrait_upload, audio=voice, size=256)  # fmt: skip
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.clip.duration_seconds == pytest.approx(voice.duration_seconds, abs=0.1)


def test_a_lossy_source_at_another_rate_keeps_its_length(
    member, consented_subject, speech_wav_bytes
):
    """An MP3 at espeak's 22,050 Hz is stored as 48 kHz Opus whose container says how long it
    really is (players and the animation read that), not a length scaled by the rate change."""
    out = io.BytesIO()
    with av.open(io.BytesIO(speech_wav_bytes)) as source, av.open(out, "w", format="mp3") as mp3:
        stream = mp3.add_stream("libmp3lame", rate=22_050)
        stream.layout = "mono"
        for frame in [*source.decode(audio=0), None]:
            if frame is not None:
                frame.pts = None
            for packet in stream.encode(frame):
                mp3.mux(packet)
    upload = upload_create(owner=member, subject=consented_subject, kind="audio",
                           stream=SimpleUploadedFile("voice.mp3", out.getvalue()))  # fmt: skip
    assert upload.content_type == "audio/ogg"
    with av.open(upload.file.path) as container:
        stored_seconds = container.duration / av.time_base
    assert stored_seconds == pytest.approx(upload.duration_seconds, abs=0.05)
