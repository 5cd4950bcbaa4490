"""Informed consent: a consent names the portraits and recordings it covers; the subject sees
and hears them on the confirmation page (served only through the unused link); a job may use
only what the consent in force names, while consents that name nothing still cover all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from consent import services
from consent.models import ConsentRecord
from consent.selectors import consent_covered_summary
from consent.terms import consent_canonical_terms, consent_content_hash
from core.errors import DomainError
from jobs.models import AnimationJob
from jobs.services import ConsentMissing, job_create
from tests.factories import ConsentFactory, SubjectFactory
from uploads.services import upload_create

pytestmark = pytest.mark.django_db


def _in(days: int):
    return timezone.now() + timedelta(days=days)


def _upload(member, subject, kind, content, name):
    return upload_create(
        owner=member, subject=subject, kind=kind, stream=SimpleUploadedFile(name, content),
        original_name=name,
    )  # fmt: skip


def _attested(subject, member, **extra) -> ConsentRecord:
    return services.consent_request(
        subject=subject,
        requested_by=member,
        grantor_kind="next_of_kin",
        grantor_name="Grace",
        grantor_email="grace@example.org",
        grantor_relationship="granddaughter",
        scopes=["animate"],
        expires_at=_in(30),
        assurance="rights_holder_attestation",
        attested=True,
        **extra,
    )


# ---------------------------------------------------------------- the request names uploads
def test_a_request_names_every_current_upload_by_default_and_hashes_them(
    member, deceased, astronaut_jpeg, speech_wav_bytes
):
    portrait = _upload(member, deceased, "portrait", astronaut_jpeg, "family-photo.jpg")
    audio = _upload(member, deceased, "audio", speech_wav_bytes, "hello.wav")
    consent = _attested(deceased, member)
    assert consent.names_uploads and set(consent.covers.all()) == {portrait, audio}
    terms = consent_canonical_terms(consent)
    assert terms["covers"] == sorted([portrait.sha256, audio.sha256])
    assert consent.content_hash == consent_content_hash(consent)
    consent.covers.remove(audio)
    assert consent_content_hash(consent) != consent.content_hash

    today = timezone.localtime(portrait.created_at).strftime("%-d %B %Y")
    assert consent_covered_summary(consent) == [f"Portrait uploaded {today} (family-photo.jpg)"]


def test_a_request_names_only_the_chosen_uploads(
    member, deceased, astronaut_jpeg, speech_wav_bytes
):
    first = _upload(member, deceased, "portrait", astronaut_jpeg, "one.jpg")
    _upload(member, deceased, "portrait", astronaut_jpeg, "two.jpg")
    _upload(member, deceased, "audio", speech_wav_bytes, "hello.wav")
    consent = _attested(deceased, member, covers=[str(first.id)])
    assert list(consent.covers.all()) == [first]
    assert consent_canonical_terms(consent)["covers"] == [first.sha256]


def test_a_request_refuses_other_subjects_uploads_and_a_choice_without_a_portrait(
    member, deceased, astronaut_jpeg, speech_wav_bytes
):
    other = services.subject_create(owner=member, display_name="Other", vital_status="deceased")
    elsewhere = _upload(member, other, "portrait", astronaut_jpeg, "other.jpg")
    _upload(member, deceased, "portrait", astronaut_jpeg, "mine.jpg")
    audio = _upload(member, deceased, "audio", speech_wav_bytes, "hello.wav")
    with pytest.raises(DomainError, match="only portraits and recordings of Arthur") as refused:
        _attested(deceased, member, covers=[str(elsewhere.id)])
    assert refused.value.code == "covers"
    for covers in ([], [str(audio.id)]):
        with pytest.raises(DomainError, match="at least one portrait"):
            _attested(deceased, member, covers=covers)
    assert not ConsentRecord.objects.exists()


def test_a_consent_asked_before_any_upload_names_none_and_keeps_the_old_hash(member, deceased):
    consent = _attested(deceased, member)
    assert not consent.names_uploads and not consent.covers.exists()
    assert "covers" not in consent_canonical_terms(consent)
    assert consent_covered_summary(consent) == ["Any portrait or recording of Arthur Ancestor"]


# ---------------------------------------------------------------- the pages
def _confirm_path() -> str:
    match = re.search(r"http://testserver(/consent/confirm/[^\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def requested(
    client, member, living, astronaut_jpeg, speech_wav_bytes, django_capture_on_commit_callbacks
):
    """A living subject's consent asked through the form for one portrait and one recording
    (a second portrait left out); returns (confirmation path, portrait, audio, left out)."""
    portrait = _upload(member, living, "portrait", astronaut_jpeg, "family-photo.jpg")
    left_out = _upload(member, living, "portrait", astronaut_jpeg, "not-this-one.jpg")
    audio = _upload(member, living, "audio", speech_wav_bytes, "hello.wav")
    client.force_login(member)
    form = client.get(reverse("consent-request", args=[living.id])).content.decode()
    for upload in (portrait, left_out, audio):
        assert re.search(rf'value="{upload.id}"[^>]*checked', form), "all ticked by default"
        assert upload.description in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consent-request", args=[living.id]),
            {
                "grantor_kind": "subject",
                "grantor_name": "Lena Living",
                "grantor_email": "lena@example.org",
                "scopes": ["animate"],
                "expires_at": _in(90).strftime("%Y-%m-%dT%H:%M"),
                "assurance": "subject_link",
                "covers": [str(portrait.id), str(audio.id)],
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = ConsentRecord.objects.get()
    assert set(consent.covers.all()) == {portrait, audio}
    client.logout()
    return _confirm_path(), portrait, audio, left_out


def test_the_confirmation_page_shows_the_portrait_and_plays_the_recording(client, requested):
    path, portrait, audio, left_out = requested
    page = client.get(path).content.decode()
    portrait_url = f"{path}files/{portrait.id}/"
    audio_url = f"{path}files/{audio.id}/"
    assert f'<img class="covered-portrait" src="{portrait_url}"' in page
    assert f'<audio controls preload="metadata" src="{audio_url}">' in page
    assert portrait.description in page and audio.description in page
    assert str(left_out.id) not in page and "not-this-one.jpg" not in page

    for upload, url in ((portrait, portrait_url), (audio, audio_url)):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == upload.content_type
        assert response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content) == upload.file.open("rb").read()


def test_the_files_answer_only_to_the_right_unused_link(client, requested, settings):
    path, portrait, audio, left_out = requested
    token = path.split("/")[3]
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (
        f"/consent/confirm/{wrong}/files/{portrait.id}/",  # altered signature
        f"/consent/confirm/not-a-token/files/{portrait.id}/",
        f"{path}files/{left_out.id}/",  # the right link, a file it does not name
    ):
        assert client.get(bad).status_code == 404, bad
    assert client.get(reverse("upload-file", args=[portrait.id])).status_code != 200

    settings.CONSENT_CONFIRM_LINK_MAX_AGE = timedelta(seconds=-1)
    assert client.get(f"{path}files/{portrait.id}/").status_code == 410  # expired
    settings.CONSENT_CONFIRM_LINK_MAX_AGE = timedelta(days=7)

    assert client.post(path).status_code == 200  # the subject agrees: the link is used
    assert client.get(f"{path}files/{portrait.id}/").status_code == 410
    page = client.get(path).content.decode()
    assert portrait.description in page and "<img" not in page and "<audio" not in page


# ---------------------------------------------------------------- jobs
def test_a_job_may_use_only_what_the_consent_names(
    member, deceased, astronaut_jpeg, speech_wav_bytes, enqueued_jobs
):
    named = _upload(member, deceased, "portrait", astronaut_jpeg, "named.jpg")
    named_audio = _upload(member, deceased, "audio", speech_wav_bytes, "named.wav")
    _attested(deceased, member)
    later = _upload(member, deceased, "portrait", astronaut_jpeg, "later.jpg")
    later_audio = _upload(member, deceased, "audio", speech_wav_bytes, "later.wav")

    for portrait, audio, refused in (
        (later, named_audio, later),
        (named, later_audio, later_audio),
    ):
        with pytest.raises(ConsentMissing) as exc:
            job_create(owner=member, subject=deceased, portrait=portrait, audio=audio, size=256)
        assert exc.value.status == 409 and exc.value.code == "upload_not_covered"
        assert refused.original_name in exc.value.message
    assert not AnimationJob.objects.exists() and not enqueued_jobs

    job = job_create(owner=member, subject=deceased, portrait=named, audio=named_audio, size=256)
    assert list(AnimationJob.objects.all()) == [job] and job.status == "queued"


def test_a_consent_naming_no_uploads_still_allows_any(member, astronaut_jpeg, enqueued_jobs):
    subject = SubjectFactory(owner=member)
    ConsentFactory(subject=subject)  # recorded before consents named uploads
    portrait = _upload(member, subject, "portrait", astronaut_jpeg, "any.jpg")
    job = job_create(owner=member, subject=subject, portrait=portrait, idle_seconds=2, size=256)
    assert list(AnimationJob.objects.all()) == [job] and job.status == "queued"


def test_the_api_names_the_uploads_too(member, member_api, deceased, astronaut_jpeg):
    portrait = _upload(member, deceased, "portrait", astronaut_jpeg, "mine.jpg")
    body = {
        "subject": str(deceased.id),
        "grantor_kind": "next_of_kin",
        "grantor_name": "Grace",
        "grantor_email": "grace@example.org",
        "grantor_relationship": "granddaughter",
        "scopes": ["animate"],
        "expires_at": _in(30).isoformat(),
        "assurance": "rights_holder_attestation",
        "attested": True,
    }
    other = _upload(member, SubjectFactory(owner=member), "portrait", astronaut_jpeg, "x.jpg")
    refused = member_api.post("/api/consents/", {**body, "covers": [str(other.id)]}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "covers"
    response = member_api.post(
        "/api/consents/", {**body, "covers": [str(portrait.id)]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["names_uploads"] and response.json()["covers"] == [str(portrait.id)]
