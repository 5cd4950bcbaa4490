"""Misuse reports from the public: the page and the API, honeypot, throttle, attachments."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from moderation.models import MisuseReport
from tests.platform.moderation.conftest import MP4_HEAD, PNG_1PX

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    return {
        "category": "no_consent",
        "description": "This is my grandmother; nobody in the family agreed to this.",
        "content_id": "",
        "contact_email": "",
        "verification": "",
        "website": "",
        **overrides,
    }


def _nothing_kept(private_files) -> None:
    assert not MisuseReport.objects.exists()
    assert not AuditEvent.objects.filter(action="report.created").exists()
    assert _report_files(private_files) == []


def _report_files(private_files) -> list[str]:
    return [name for name in private_files() if name.startswith("reports/")]


# ---------------------------------------------------------------- the page
def test_public_clip_page_links_to_the_report_form(client, clip):
    page = client.get(f"/c/{clip.content_id}/")
    assert f'href="/report/?content_id={clip.content_id}"' in page.content.decode()


def test_form_is_prefilled_from_a_clip_page_or_a_verification_result(client, clip):
    verification = uuid.uuid4()
    page = client.get(f"/report/?content_id={clip.content_id}&verification={verification}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{clip.content_id}"' in html and f'value="{verification}"' in html
    assert 'name="website"' in html  # the honeypot is there, hidden from people
    assert "Send report" in html


def test_report_from_the_page_is_stored_audited_and_acknowledged(client, clip):
    verification = str(uuid.uuid4())
    answer = client.post(
        "/report/",
        _form(content_id=clip.content_id.upper(), verification=verification,
              contact_email="reporter@example.org"),
    )  # fmt: skip
    assert answer.status_code == 302 and answer.url == "/report/thanks/"
    report = MisuseReport.objects.get()
    assert report.clip == clip and report.content_id == clip.content_id
    assert report.verification_id == verification and report.status == "open"
    assert report.contact_email == "reporter@example.org"
    thanks = client.get("/report/thanks/")
    assert report.reference in thanks.content.decode()
    assert client.get("/report/thanks/").status_code == 302  # shown once
    event = AuditEvent.objects.get(action="report.created")
    assert (event.actor_type, event.object_type) == ("public", "report")
    assert event.object_id == str(report.id) and event.subject_id == str(clip.subject_id)
    assert event.details["reference"] == report.reference and event.details["clip_found"]
    # The reporter's words and address stay out of the append-only trail.
    assert "grandmother" not in str(event.details) and "reporter@" not in str(event.details)


def test_report_without_a_clip_we_know_is_kept_unlinked(client):
    assert client.post("/report/", _form(content_id="00112233aabbccdd")).status_code == 302
    report = MisuseReport.objects.get()
    assert report.clip is None and report.content_id == "00112233aabbccdd"
    event = AuditEvent.objects.get(action="report.created")
    assert event.subject_id == "" and event.details["clip_found"] is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"description": "   "}, "This field is required"),
        ({"category": "spam"}, "Select a valid choice"),
        ({"content_id": "not-a-clip-id"}, "A clip id is 16 characters"),
        ({"contact_email": "nope"}, "Enter a valid email"),
    ],
)
def test_invalid_reports_are_refused_with_a_message(client, private_files, overrides, message):
    answer = client.post("/report/", _form(**overrides))
    assert answer.status_code == 400
    assert message in answer.content.decode()
    _nothing_kept(private_files)


def test_page_honeypot_answers_like_success_but_stores_nothing(client, private_files):
    attachment = SimpleUploadedFile("x.png", PNG_1PX)
    answer = client.post(
        "/report/", {**_form(website="http://spam.example"), "attachment": attachment}
    )
    assert answer.status_code == 302 and answer.url == "/report/thanks/"
    assert "R-" in client.get("/report/thanks/").content.decode()
    _nothing_kept(private_files)


def test_page_is_throttled_per_client(client, settings, private_files):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "2/hour"}
    for _ in range(2):
        assert client.post("/report/", _form()).status_code == 302
    refused = client.post("/report/", _form())
    assert refused.status_code == 429
    assert "Too many reports" in refused.content.decode()
    assert MisuseReport.objects.count() == 2
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post("/report/", _form()).status_code == 302


def test_page_attachment_is_kept_privately_with_its_hash(client, private_files):
    answer = client.post(
        "/report/", {**_form(), "attachment": SimpleUploadedFile("copy.mp4", MP4_HEAD)}
    )
    assert answer.status_code == 302
    report = MisuseReport.objects.get()
    assert report.attachment_content_type == "video/mp4" and report.attachment_size == len(MP4_HEAD)
    assert _report_files(private_files) == [report.attachment.name]
    assert report.attachment.name.startswith("reports/") and report.attachment.name.endswith(".mp4")


@pytest.mark.parametrize(
    "content, status, message",
    [
        (b"<html><script>alert(1)</script></html>", 415, "must be an MP4 video or a JPEG"),
        (b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  qt  ", 415, "must be an MP4"),
        (b"%PDF-1.7 not evidence", 415, "must be an MP4"),
        (PNG_1PX + b"x" * 2048, 413, "larger than"),
    ],
)
def test_refused_attachment_leaves_nothing(
    client, settings, private_files, content, status, message
):
    settings.REPORT_ATTACHMENT_MAX_BYTES = 1024
    answer = client.post(
        "/report/", {**_form(), "attachment": SimpleUploadedFile("evidence.mp4", content)}
    )
    assert answer.status_code == status
    assert message in answer.content.decode()
    _nothing_kept(private_files)


# ---------------------------------------------------------------- the API
def test_api_report_with_attachment_returns_the_reference(clip, private_files):
    verification = str(uuid.uuid4())
    answer = APIClient().post(
        "/api/reports/",
        {
            "category": "impersonation",
            "description": "Posted as if he said this.",
            "content_id": clip.content_id,
            "verification": verification,
            "attachment": SimpleUploadedFile("shot.png", PNG_1PX),
        },
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    report = MisuseReport.objects.get()
    assert answer.json()["reference"] == report.reference
    assert report.clip == clip and report.category == "impersonation"
    assert report.verification_id == verification
    assert report.attachment_content_type == "image/png"
    assert _report_files(private_files) == [report.attachment.name]
    assert AuditEvent.objects.filter(action="report.created", object_id=str(report.id)).exists()


def test_api_accepts_json_without_a_clip():
    answer = APIClient().post(
        "/api/reports/",
        {"category": "other", "description": "Seen on a forum."},
        format="json",
    )
    assert answer.status_code == 201
    assert MisuseReport.objects.get().reference == answer.json()["reference"]


def test_api_refusals_are_clear_4xx_and_keep_nothing(private_files):
    api = APIClient()
    bad_file = api.post(
        "/api/reports/",
        {
            "category": "other",
            "description": "x",
            "attachment": SimpleUploadedFile("a.mp4", b"MZ\x90\x00 a Windows program"),
        },
        format="multipart",
    )
    assert bad_file.status_code == 415
    assert bad_file.json()["error"]["code"] == "unsupported_type"
    missing = api.post("/api/reports/", {"category": "other"}, format="json")
    assert missing.status_code == 400 and "description" in missing.json()["error"]["message"]
    bad_id = api.post(
        "/api/reports/",
        {"category": "other", "description": "x", "content_id": "zz"},
        format="json",
    )
    assert bad_id.status_code == 400 and bad_id.json()["error"]["code"] == "content_id"
    _nothing_kept(private_files)


def test_api_honeypot_answers_like_success_but_stores_nothing(private_files):
    answer = APIClient().post(
        "/api/reports/",
        {"category": "other", "description": "Buy now", "website": "http://spam.example"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["reference"].startswith("R-")
    _nothing_kept(private_files)


def test_api_is_throttled_per_client():
    api = APIClient()
    body = {"category": "other", "description": "Again."}
    statuses = [api.post("/api/reports/", body, format="json").status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    assert MisuseReport.objects.count() == 10
