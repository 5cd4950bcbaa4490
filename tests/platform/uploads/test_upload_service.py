"""Uploads through the API and the pages: accepted files are cleaned and private; refused
files get a 4xx naming the problem, leave nothing behind, and are audited."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import SubjectFactory, UserFactory
from tests.media_samples import faceless_png, portrait_jpeg, speech_wav, video_with_audio_mp4
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject(member):
    return SubjectFactory(owner=member)


def _post(member_api, subject, name, content, kind="portrait", **extra):
    return member_api.post(
        "/api/uploads/",
        {
            "subject": str(subject.id),
            "kind": kind,
            "file": SimpleUploadedFile(name, content),
            **extra,
        },
        format="multipart",
    )


def test_portrait_is_accepted_cleaned_and_private(member_api, subject, private_files):
    polyglot = portrait_jpeg(gps=True) + _zip_bytes()
    response = _post(member_api, subject, "grandma.png", polyglot)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "portrait" and body["width"] == 320 and body["height"] == 400
    upload = Upload.objects.get()
    stored = private_files()
    assert stored == [upload.file.name] and "grandma" not in upload.file.name
    data = upload.file.read()
    assert data.endswith(b"\xff\xd9"), "trailing bytes after the JPEG must be gone"
    assert b"PK\x03\x04" not in data
    assert not Image.open(io.BytesIO(data)).getexif(), "EXIF (and GPS) must be stripped"
    assert AuditEvent.objects.filter(action="upload.accepted", object_id=str(upload.id)).exists()

    download = member_api.get(f"/api/uploads/{upload.id}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Cache-Control"] == "private, no-store"


def test_audio_is_accepted_as_flac(member_api, subject):
    response = _post(member_api, subject, "speech.mp3", speech_wav(1.5), kind="audio")
    assert response.status_code == 201, response.json()
    assert response.json()["duration_seconds"] == pytest.approx(1.5, abs=0.05)
    assert response.json()["content_type"] == "audio/flac"


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind", "status", "words"),
    [
        ("empty.jpg", b"", "portrait", 400, "empty"),
        ("text.jpg", b"just some text, not an image", "portrait", 415, "JPEG, PNG"),
        ("page.png", b"<html><script>alert(1)</script></html>", "portrait", 415, "JPEG, PNG"),
        ("trunc.jpg", portrait_jpeg()[:600], "portrait", 400, None),
        ("tiny.jpg", portrait_jpeg(20, 20), "portrait", 400, "at least 64"),
        ("song.wav", b"RIFF\x00\x00\x00\x00WAVEjunk", "audio", None, None),
        ("video.m4a", video_with_audio_mp4(), "audio", 400, "video"),
        ("photo.wav", portrait_jpeg(), "audio", None, None),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(
    member_api, subject, private_files, name, content, kind, status, words
):
    response = _post(member_api, subject, name, content, kind=kind)
    assert 400 <= response.status_code < 500
    if status:
        assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and error["code"]
    if words:
        assert words.lower() in error["message"].lower()
    assert Upload.objects.count() == 0 and private_files() == []
    rejected = AuditEvent.objects.get(action="upload.rejected")
    assert rejected.details["code"] == error["code"]


def test_too_long_audio_is_refused(member_api, subject, settings, private_files):
    settings.UPLOAD_AUDIO_MAX_SECONDS = 1.0
    response = _post(member_api, subject, "long.wav", speech_wav(2.0), kind="audio")
    assert response.status_code == 400
    assert "too_long" == response.json()["error"]["code"]
    assert private_files() == []


def test_size_cap_is_checked_before_reading(member_api, subject, settings):
    settings.UPLOAD_PORTRAIT_MAX_BYTES = 1000
    response = _post(member_api, subject, "big.jpg", portrait_jpeg())
    assert response.status_code == 413
    assert "limit" in response.json()["error"]["message"]


def test_quotas(member_api, subject, settings):
    settings.UPLOAD_QUOTA_FILES = 1
    assert _post(member_api, subject, "a.jpg", portrait_jpeg()).status_code == 201
    response = _post(member_api, subject, "b.jpg", portrait_jpeg())
    assert response.status_code == 403 and "limit of 1 files" in response.json()["error"]["message"]
    settings.UPLOAD_QUOTA_FILES = 10
    settings.UPLOAD_QUOTA_BYTES = Upload.objects.get().size + 10
    response = _post(member_api, subject, "c.jpg", portrait_jpeg())
    assert response.status_code == 403 and "storage limit" in response.json()["error"]["message"]


def test_voice_flag_only_for_audio(member_api, subject):
    response = _post(member_api, subject, "a.jpg", portrait_jpeg(), is_subject_voice=True)
    assert response.status_code == 400
    assert "Only audio" in response.json()["error"]["message"]


def test_someone_elses_subject_is_not_found(member_api):
    stranger_subject = SubjectFactory(owner=UserFactory())
    response = _post(member_api, stranger_subject, "a.jpg", portrait_jpeg())
    assert response.status_code == 404
    assert Upload.objects.count() == 0


def test_delete_removes_file_and_row(
    member_api, subject, private_files, django_capture_on_commit_callbacks
):
    upload_id = _post(member_api, subject, "a.jpg", portrait_jpeg()).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert member_api.delete(f"/api/uploads/{upload_id}/").status_code == 204
    assert private_files() == [] and Upload.objects.count() == 0
    assert AuditEvent.objects.filter(action="upload.deleted").count() == 1


def test_upload_page_shows_refusal_in_html(client, member, subject, private_files):
    client.force_login(member)
    response = client.post(
        reverse("upload-create", args=[subject.id]),
        {"kind": "portrait", "file": SimpleUploadedFile("x.gif", b"GIF89a\x01\x00\x01\x00")},
    )
    assert response.status_code == 415
    assert b"JPEG, PNG" in response.content and b'role="alert"' in response.content
    assert private_files() == []
    ok = client.post(
        reverse("upload-create", args=[subject.id]),
        {"kind": "portrait", "file": SimpleUploadedFile("me.jpg", portrait_jpeg())},
    )
    assert ok.status_code == 302
    page = client.get(reverse("subject-detail", args=[subject.id]))
    assert b"me.jpg" in page.content


NO_FACE = "No face was found in the portrait."


def test_a_portrait_without_a_face_is_refused_and_leaves_nothing(
    member_api, subject, private_files
):
    response = _post(member_api, subject, "wall.png", faceless_png())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_face" and error["message"].startswith(NO_FACE)
    assert Upload.objects.count() == 0 and private_files() == []
    rejected = AuditEvent.objects.get(action="upload.rejected")
    assert rejected.details["code"] == "no_face" and rejected.details["name"] == "wall.png"


def test_the_upload_page_puts_a_refusal_at_the_top_of_its_form_and_focuses_it(
    client, member, subject, private_files
):
    client.force_login(member)
    response = client.post(
        reverse("upload-create", args=[subject.id]),
        {"kind": "portrait", "file": SimpleUploadedFile("wall.png", faceless_png())},
    )
    assert response.status_code == 422
    html = response.content.decode()
    form = html[html.index('id="upload-form"') :]
    summary = form[form.index('<div class="error-summary"') :]
    assert form.index("error-summary") < form.index('name="kind"')  # first thing in the form
    assert 'tabindex="-1" autofocus' in summary[: summary.index(">")]
    assert NO_FACE in summary[: summary.index("</div>")]
    assert Upload.objects.count() == 0 and private_files() == []


def test_deleting_an_upload_asks_first(client, member, subject, private_files):
    client.force_login(member)
    upload = Upload.objects.get(
        pk=_post_as(client, member, subject, "me.jpg", portrait_jpeg()).json()["id"]
    )
    url = reverse("upload-delete", args=[upload.id])
    for asked in (client.get(url), client.post(url)):  # a link, or a button without the page
        assert asked.status_code == 200
        assert "Delete this portrait?" in asked.content.decode()
        assert 'name="confirmed" value="yes"' in asked.content.decode()
    assert Upload.objects.filter(pk=upload.pk).exists()
    done = client.post(url, {"confirmed": "yes"})
    assert done.status_code == 302 and not Upload.objects.filter(pk=upload.pk).exists()


def test_a_file_an_animation_was_made_from_is_kept(
    member_api, portrait_upload, enqueued_jobs, audio_upload, consented_subject, member
):
    from jobs.services import job_create

    job_create(
        owner=member, subject=consented_subject, portrait=portrait_upload, audio=audio_upload
    )
    response = member_api.delete(f"/api/uploads/{portrait_upload.id}/")
    assert response.status_code == 409
    assert "used to make an animation" in response.json()["error"]["message"]
    assert Upload.objects.filter(pk=portrait_upload.pk).exists()


def _post_as(client, member, subject, name, content):
    api = APIClient()
    api.force_authenticate(member)
    return _post(api, subject, name, content)


def test_originals_have_no_public_url(member_api, client, subject):
    upload = Upload.objects.get(
        pk=_post(member_api, subject, "a.jpg", portrait_jpeg()).json()["id"]
    )
    with pytest.raises(NotImplementedError):
        upload.file.url  # noqa: B018 - private storage has no URL at all
    for path in (f"/{upload.file.name}", f"/media/{upload.file.name}", "/var/private/"):
        assert client.get(path).status_code == 404
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    assert stranger.get(f"/api/uploads/{upload.id}/file/").status_code == 404


def test_oversized_request_is_refused_before_it_is_read(
    member_api, client, member, subject, settings
):
    settings.UPLOAD_PORTRAIT_MAX_BYTES = settings.UPLOAD_AUDIO_MAX_BYTES = 1000
    big = b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)
    response = _post(member_api, subject, "big.jpg", big)
    assert response.status_code == 413
    assert "limited to" in response.json()["error"]["message"]
    client.force_login(member)
    page = client.post(
        reverse("upload-create", args=[subject.id]),
        {"kind": "portrait", "file": SimpleUploadedFile("big.jpg", big)},
    )
    assert page.status_code == 413 and b"limited to" in page.content
    assert Upload.objects.count() == 0
