"""What cannot be undone is asked twice, without any script: publishing a clip and revoking the
consent it was made under answer first with a page that says what will happen, and act only
on that page's own button (a second POST with confirmed=yes)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consent.models import ConsentRecord
from jobs.models import Clip
from tests.platform.moderation.conftest import clip_make

pytestmark = pytest.mark.django_db


def test_publishing_asks_first_and_says_what_it_means(client, member):
    clip = clip_make(member, status=Clip.Status.PRIVATE)
    client.force_login(member)
    page = client.get(reverse("clip-detail", args=[clip.id])).content.decode()
    url = reverse("clip-publish", args=[clip.id])
    assert f'href="{url}"' in page  # a link to the question, not a button that publishes
    for asked in (client.get(url), client.post(url)):
        text = asked.content.decode()
        assert asked.status_code == 200 and "Publish the clip of" in text
        assert "copies that people have already downloaded cannot be called back" in text
        assert reverse("clip-poster", args=[clip.id]) in text  # the member sees what goes out
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PRIVATE
    done = client.post(url, {"confirmed": "yes"})
    assert done.status_code == 302
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PUBLISHED


def test_revoking_says_which_clips_it_withdraws(client, member):
    published = clip_make(member)
    client.force_login(member)
    url = reverse("consent-revoke", args=[published.consent_id])
    text = client.get(url).content.decode()
    assert "The published clip made under it leaves public view for good." in text
    assert "Nothing more can be made from the portrait under this consent." in text
    client.post(url, {"confirmed": "yes"})
    published.refresh_from_db()
    assert published.status == Clip.Status.CONSENT_REVOKED
    assert published.consent.status == ConsentRecord.Status.REVOKED
    # Nothing left to revoke: no question, a message.
    again = client.get(url, follow=True).content.decode()
    assert "no longer in force" in again
