"""A withdrawn clip (consent withdrawn or ended, or taken down by a moderator) is served to no
one, its member included: its public link answers 410 saying which, an id that never existed
404. Its files are kept privately for audit, then deleted after the retention period."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from consent.models import ConsentRecord
from consent.services import consent_expire_due, consent_revoke
from core.actors import Actor
from jobs import clip_services
from jobs.models import Clip
from jobs.tasks import purge_withdrawn_clips

from .conftest import clip_make

pytestmark = pytest.mark.django_db
MODERATOR = Actor.system("moderator")


def _revoke(clip):
    consent_revoke(consent=clip.consent, actor=Actor.grantor(clip.consent_id), reason="no more")


def _expire(clip):
    ConsentRecord.objects.filter(pk=clip.consent_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert consent_expire_due() == 1


def _take_down(clip):
    clip_services.clip_take_down(clip=clip, actor=MODERATOR, reason="Impersonates a living person")


@pytest.mark.parametrize(
    ("withdraw", "heading", "words"),
    [
        (_take_down, "This clip was taken down", "taken down by the site's moderators"),
        (_revoke, "This clip was withdrawn", "consent to show the person it portrays was"),
        (_expire, "This clip was withdrawn", "the consent it was made under has ended"),
    ],
)
def test_a_withdrawn_clips_public_link_says_gone_and_why(client, member, withdraw, heading, words):
    clip = clip_make(member)
    public = reverse("public-clip", args=[clip.content_id])
    assert client.get(public).status_code == 200
    withdraw(clip)
    clip.refresh_from_db()
    assert clip.is_withdrawn and clip.withdrawn_at is not None

    page = client.get(public)
    assert page.status_code == 410
    html = unescape(page.content.decode())
    assert heading in html and words in html and "<nav" in html  # the site's layout
    assert "<video" not in html
    assert "Impersonates" not in html  # the moderator's reason is not for the public
    for name in ("public-clip-video", "public-clip-poster"):
        assert client.get(reverse(name, args=[clip.content_id])).status_code == 410


def test_an_id_that_never_existed_or_was_never_published_is_not_found(client, member):
    assert client.get(reverse("public-clip", args=["0123456789abcdef"])).status_code == 404
    assert client.get(reverse("public-clip-video", args=["0123456789abcdef"])).status_code == 404
    private = clip_make(member, status=Clip.Status.PRIVATE)
    assert client.get(reverse("public-clip", args=[private.content_id])).status_code == 404


@pytest.mark.parametrize("withdraw", [_take_down, _revoke])
def test_the_member_can_no_longer_play_or_download_a_withdrawn_clip(
    member_client, member, withdraw
):
    clip = clip_make(member)
    withdraw(clip)
    page = member_client.get(reverse("clip-detail", args=[clip.id]))
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert 'id="clip-withdrawn"' in html and "<video" not in html
    assert reverse("clip-video", args=[clip.id]) not in html  # no player, no download link
    assert "kept privately for our records until" in html
    if withdraw is _take_down:
        assert "Their reason: “Impersonates a living person”" in html
    else:
        assert "consent to show the person it portrays was withdrawn" in html
    for name in ("clip-video", "clip-poster"):
        response = member_client.get(reverse(name, args=[clip.id]) + "?download=1")
        assert response.status_code == 410
        assert "no longer shown to anyone" in response.content.decode()

    api = APIClient()
    api.force_authenticate(member)
    video = api.get(f"/api/clips/{clip.content_id}/video/")
    assert video.status_code == 410 and video.json()["error"]["code"] == "gone"
    status = "taken_down" if withdraw is _take_down else "consent_revoked"
    assert api.get(f"/api/clips/{clip.content_id}/").json()["status"] == status


def test_files_are_deleted_only_after_the_retention_and_audited(
    settings, member, member_client, private_files, django_capture_on_commit_callbacks
):
    settings.CLIPS_WITHDRAWN_RETENTION_DAYS = 90
    clip, kept = clip_make(member), clip_make(member)
    _take_down(clip)
    clip.refresh_from_db()
    names = {clip.video.name, clip.poster.name}
    assert names <= set(private_files())

    assert clip_services.clips_purge_withdrawn(now=timezone.now() + timedelta(days=89)) == 0
    assert names <= set(private_files())
    assert not AuditEvent.objects.filter(action="clip.files_deleted").exists()

    Clip.objects.filter(pk=clip.pk).update(withdrawn_at=timezone.now() - timedelta(days=91))
    with django_capture_on_commit_callbacks(execute=True):  # the files go once it is recorded
        assert purge_withdrawn_clips.delay().get() == 1
    assert not names & set(private_files())
    assert {kept.video.name, kept.poster.name} <= set(private_files())  # not withdrawn: kept
    clip.refresh_from_db()
    assert clip.files_deleted_at is not None and not clip.video and not clip.poster
    assert clip.status == Clip.Status.TAKEN_DOWN  # the record stays
    event = AuditEvent.objects.get(action="clip.files_deleted")
    assert event.object_id == str(clip.id) and event.actor_type == "system"
    assert set(event.details["files"]) == names and event.details["retention_days"] == 90

    assert purge_withdrawn_clips.delay().get() == 0  # once
    page = member_client.get(reverse("clip-detail", args=[clip.id]))
    assert "its files have been deleted" in page.content.decode()


def test_the_purge_runs_on_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "jobs.purge_withdrawn_clips" in tasks
