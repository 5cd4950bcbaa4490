"""Animation jobs in-process (eager): consent gating, the clip and its credentials, the
revocation cascade, idempotence and failures with readable reasons."""

from __future__ import annotations

import hashlib
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from config import credentials
from consent.models import ConsentRecord
from consent.services import consent_revoke
from core.actors import Actor
from jobs import clip_services, runner, services
from jobs.models import AnimationJob, Clip
from provenance.binding import binding_value
from tests.factories import ConsentFactory, SubjectFactory
from tests.media_samples import faceless_png
from uploads.models import Upload
from uploads.services import UploadRefused, upload_create

pytestmark = pytest.mark.django_db


def _start(member, subject, portrait, audio=None, **extra):
    return services.job_create(
        owner=member, subject=subject, portrait=portrait, audio=audio, size=256, **extra
    )


def test_job_makes_a_watermarked_signed_clip(finished_clip, portrait_upload, audio_upload):
    from provenance.manifest import read_manifest
    from provenance.watermark import detect_video

    clip = finished_clip
    job = clip.job
    assert clip.status == Clip.Status.PRIVATE and clip.content_id == job.content_id
    assert job.progress == 1.0 and job.attempts == 1
    assert {"landmarks", "generate", "watermark", "sign"} <= job.stage_seconds.keys()
    path = clip.video.path
    manifest = read_manifest(path, credentials.trust_config())
    assert manifest.status == "ours_trusted"
    consent = clip.consent
    assert manifest.consent == {
        "consent_id": str(consent.id),
        "scope": ",".join(consent.scopes),
        "assurance": consent.assurance,
        "content_hash": consent.content_hash,
    }
    assert manifest.soft_binding["value"] == binding_value(clip.content_id)
    assert clip.manifest_label == manifest.label and clip.manifest_label.startswith("urn:")
    assert clip.manifest_store.size > 100
    hashes = {i.get("instance_id") for i in manifest.ingredients}
    assert hashes == {f"sha256:{portrait_upload.sha256}", f"sha256:{audio_upload.sha256}"}
    found = detect_video(path, key=credentials.watermark_key())
    assert found.detected and found.payload_hex == clip.content_id
    assert read_manifest(clip.poster.path, credentials.trust_config()).status == "ours_trusted"
    actions = list(
        AuditEvent.objects.filter(subject_id=str(clip.subject_id)).values_list("action", flat=True)
    )
    assert actions[-4:] == ["job.queued", "job.started", "clip.created", "job.succeeded"]
    assert audit_chain_verify().ok


def test_the_soft_binding_algorithm_is_under_the_configured_domain(
    settings, client, member, consented_subject, portrait_upload, audio_upload,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Manifests state `<PROVENANCE_SOFT_BINDING_ALG_DOMAIN>.ssw.v3`, and the resolution API
    names that algorithm, not the (unregistered) default."""
    from django.core.exceptions import ImproperlyConfigured

    from provenance.binding import DEFAULT_ALG
    from provenance.manifest import read_manifest

    settings.PROVENANCE_SOFT_BINDING_ALG_DOMAIN = "org.example"
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(member, consented_subject, portrait_upload, audio_upload)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    manifest = read_manifest(job.clip.video.path, credentials.trust_config())
    assert manifest.soft_binding["alg"] == "org.example.ssw.v3"
    bound = manifest.assertions["c2pa.actions.v2"]["actions"][1]
    assert bound["parameters"] == {"com.likeness.alg": "org.example.ssw.v3"}
    supported = client.get("/services/supportedAlgorithms").content.decode()
    assert "org.example.ssw.v3" in supported and DEFAULT_ALG not in supported
    settings.PROVENANCE_SOFT_BINDING_ALG_DOMAIN = "example-news"
    with pytest.raises(ImproperlyConfigured, match="PROVENANCE_SOFT_BINDING_ALG_DOMAIN"):
        credentials.soft_binding_alg()


def test_running_the_same_job_again_makes_no_second_clip(finished_clip):
    assert runner.job_run(job_id=finished_clip.job_id) is None
    AnimationJob.objects.filter(pk=finished_clip.job_id).update(status="running")
    assert runner.job_run(job_id=finished_clip.job_id) is None  # a clip exists: just finish
    assert Clip.objects.count() == 1
    assert AnimationJob.objects.get(pk=finished_clip.job_id).status == "succeeded"


def test_store_keeps_one_clip_when_two_runs_race(finished_clip, private_files, tmp_path):
    """The database constraint: a second clip for the same job is refused, its files removed."""
    job = finished_clip.job
    AnimationJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    before = private_files()
    made = runner.MadeClip(
        video_path=_copy(finished_clip.video.path, tmp_path / "v.mp4"),
        poster_path=_copy(finished_clip.poster.path, tmp_path / "p.png"),
        video_sha256="x",
        poster_sha256="y",
        fingerprint="",
        manifest_store=b"",
        manifest={},
        duration_seconds=1,
        width=1,
        height=1,
        device="cpu",
    )
    assert runner._store(job, made) is None
    assert Clip.objects.count() == 1 and private_files() == before


def _copy(src, dst):
    dst.write_bytes(open(src, "rb").read())
    return dst


def test_refused_without_consent(member, portrait_upload, audio_upload, consented_subject):
    ConsentRecord.objects.filter(subject=consented_subject).update(status="revoked")
    with pytest.raises(services.ConsentMissing, match="no consent in force") as refused:
        _start(member, consented_subject, portrait_upload, audio_upload)
    assert refused.value.status == 409 and AnimationJob.objects.count() == 0


def test_refused_when_consent_expired(member, portrait_upload, audio_upload, consented_subject):
    from datetime import timedelta

    from django.utils import timezone

    ConsentRecord.objects.filter(subject=consented_subject).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(services.ConsentMissing):
        _start(member, consented_subject, portrait_upload, audio_upload)
    assert ConsentRecord.objects.get(subject=consented_subject).status == "expired"


def test_subject_voice_needs_voice_scope(
    member, consented_subject, portrait_upload, speech_wav_bytes, enqueued_jobs
):
    voice = upload_create(
        owner=member,
        subject=consented_subject,
        kind="audio",
        stream=SimpleUploadedFile("voice.wav", speech_wav_bytes),
        is_subject_voice=True,
    )
    with pytest.raises(services.ConsentMissing, match="voice"):
        _start(member, consented_subject, portrait_upload, voice)
    ConsentFactory(subject=consented_subject, scope_voice=True)
    job = _start(member, consented_subject, portrait_upload, voice)
    assert job.consent.scope_voice


def test_input_rules(member, consented_subject, portrait_upload, audio_upload):
    other = SubjectFactory(owner=member)
    with pytest.raises(services.DomainError, match="this subject's portraits"):
        _start(member, other, portrait_upload, audio_upload)
    with pytest.raises(services.DomainError, match="speech audio, or a number of seconds"):
        _start(member, consented_subject, portrait_upload, None)
    with pytest.raises(services.DomainError, match="between 128 and 1024"):
        services.job_create(
            owner=member, subject=consented_subject, portrait=portrait_upload, audio=audio_upload,
            size=4096,
        )  # fmt: skip


def test_a_faceless_portrait_is_refused_at_upload_in_the_words_its_job_would_fail_with(
    member, consented_subject, audio_upload, django_capture_on_commit_callbacks
):
    wall = faceless_png()
    with pytest.raises(UploadRefused) as refused:
        upload_create(
            owner=member,
            subject=consented_subject,
            kind="portrait",
            stream=SimpleUploadedFile("wall.png", wall),
        )
    assert refused.value.status == 422 and "No face was found" in refused.value.message
    # A portrait stored before uploads were checked for a face: its job fails, in those words.
    stored = Upload(
        owner=member, subject=consented_subject, kind="portrait", content_type="image/png",
        size=len(wall), sha256=hashlib.sha256(wall).hexdigest(), width=256, height=256,
    )  # fmt: skip
    stored.file.save("uploads/portrait/wall.png", ContentFile(wall), save=False)
    stored.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(member, consented_subject, stored, audio_upload)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == refused.value.message
    assert Clip.objects.count() == 0
    assert AuditEvent.objects.filter(action="job.failed", object_id=str(job.id)).exists()


def test_revocation_while_running_cancels_and_publishes_nothing(
    member, consented_subject, portrait_upload, audio_upload, django_capture_on_commit_callbacks,
    private_files,
):  # fmt: skip
    consent = ConsentRecord.objects.get(subject=consented_subject)
    real_progress = runner._ProgressRecorder.__call__

    def revoke_during_generation(self, stage, fraction):
        if stage == "generate" and fraction > 0:
            consent_revoke(consent=consent, actor=Actor.grantor(consent.id), reason="stop")
        return real_progress(self, stage, fraction)

    before = private_files()
    with mock.patch.object(runner._ProgressRecorder, "__call__", revoke_during_generation):
        with django_capture_on_commit_callbacks(execute=True):
            job = _start(member, consented_subject, portrait_upload, audio_upload)
    job.refresh_from_db()
    assert job.status == "cancelled" and "revoked" in job.error.lower()
    assert Clip.objects.count() == 0 and private_files() == before
    assert AuditEvent.objects.filter(action="job.cancelled", object_id=str(job.id)).exists()


def test_publish_needs_publish_scope_and_revocation_withdraws(finished_clip, member, client):
    clip = finished_clip
    public_url = reverse("public-clip", args=[clip.content_id])
    assert client.get(public_url).status_code == 404
    clip_services.clip_publish(clip=clip, user=member)
    page = client.get(public_url)
    assert page.status_code == 200
    assert b"AI-generated" in page.content and b"Content Credentials" in page.content
    assert client.get(reverse("public-clip-video", args=[clip.content_id])).status_code == 200

    consent = clip.consent
    consent_revoke(consent=consent, actor=Actor.grantor(consent.id), reason="no more")
    clip.refresh_from_db()
    assert clip.status == Clip.Status.CONSENT_REVOKED
    assert client.get(public_url).status_code == 410  # gone, not "never existed"
    with pytest.raises(services.Conflict):
        clip_services.clip_publish(clip=clip, user=member)
    assert AuditEvent.objects.filter(action="clip.consent_withdrawn").count() == 1
    status = APIClient().get(f"/api/clips/{clip.content_id}/").json()
    assert status["status"] == "consent_revoked"


def test_publish_refused_without_publish_scope(finished_clip, member):
    ConsentRecord.objects.filter(pk=finished_clip.consent_id).update(scope_publish=False)
    with pytest.raises(services.ConsentMissing, match="public use"):
        clip_services.clip_publish(clip=finished_clip, user=member)


def test_pages_and_api(finished_clip, member, client):
    client.force_login(member)
    job = finished_clip.job
    page = client.get(reverse("job-detail", args=[job.id]))
    assert page.status_code == 200 and b"See the clip" in page.content
    fragment = client.get(reverse("job-progress", args=[job.id]), HTTP_HX_REQUEST="true")
    assert b'id="job-progress"' in fragment.content and b"hx-trigger" not in fragment.content
    clip_page = client.get(reverse("clip-detail", args=[finished_clip.id]))
    assert b"Content Credentials" in clip_page.content and b"ours" not in clip_page.content[:0]
    video = client.get(reverse("clip-video", args=[finished_clip.id]) + "?download=1")
    assert video.status_code == 200 and "attachment" in video["Content-Disposition"]

    api = APIClient()
    api.force_authenticate(member)
    listed = api.get("/api/jobs/").json()
    assert listed["results"][0]["clip"] == finished_clip.content_id
    detail = api.get(f"/api/clips/{finished_clip.content_id}/").json()
    assert detail["manifest"]["status"] == "ours_trusted"
    assert api.post(f"/api/clips/{finished_clip.content_id}/publish/").json()["status"] == (
        "published"
    )
    assert APIClient().get(f"/api/clips/{finished_clip.content_id}/").json() == {
        "content_id": finished_clip.content_id,
        "status": "published",
        "created_at": detail["created_at"],
        "published_at": api.get(f"/api/clips/{finished_clip.content_id}/").json()["published_at"],
    }


def test_queued_job_page_polls(
    member, consented_subject, portrait_upload, audio_upload, client, enqueued_jobs
):
    job = _start(member, consented_subject, portrait_upload, audio_upload)
    client.force_login(member)
    fragment = client.get(reverse("job-progress", args=[job.id]))
    assert b'hx-trigger="every 1s"' in fragment.content and b"Queued" in fragment.content
    response = client.post(reverse("job-cancel", args=[job.id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
