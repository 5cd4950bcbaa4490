"""Fixtures for moderation: moderators, and clips made directly with tiny stand-in files
(no video is rendered: these tests are about records, not pixels)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client

from jobs.models import AnimationJob, Clip
from tests.factories import ConsentFactory, SubjectFactory, UserFactory
from uploads.models import Upload

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
# An MP4's first box: size 24, "ftyp", major brand isom, minor version, two compatible brands.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttles count in the cache; every test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def moderator(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


def clip_make(owner, *, status: str = Clip.Status.PUBLISHED) -> Clip:
    """A clip record with stand-in files, under an active consent that allows publishing."""
    subject = SubjectFactory(owner=owner)
    consent = ConsentFactory(subject=subject, scope_publish=True)
    portrait = Upload(
        owner=owner,
        subject=subject,
        kind=Upload.Kind.PORTRAIT,
        content_type="image/png",
        size=len(PNG_1PX),
        sha256=hashlib.sha256(PNG_1PX).hexdigest(),
    )
    portrait.file.save("uploads/portrait/p.png", ContentFile(PNG_1PX), save=False)
    portrait.save()
    job = AnimationJob.objects.create(
        owner=owner,
        subject=subject,
        consent=consent,
        portrait=portrait,
        mode=AnimationJob.Mode.IDLE,
        idle_seconds=1.0,
        status=AnimationJob.Status.SUCCEEDED,
        progress=1.0,
    )
    clip = Clip(
        job=job,
        owner=owner,
        subject=subject,
        consent=consent,
        content_id=job.content_id,
        sha256=hashlib.sha256(MP4_HEAD).hexdigest(),
        duration_seconds=1.0,
        width=128,
        height=128,
        status=status,
    )
    clip.video.save("clips/v.mp4", ContentFile(MP4_HEAD), save=False)
    clip.poster.save("clips/p.png", ContentFile(PNG_1PX), save=False)
    clip.save()
    return clip


@pytest.fixture
def clip(member):
    return clip_make(member)
