"""The member's home is a family album: a card per subject with the portrait, where consent
stands in words, the clips (a withdrawn one in words, never its poster) and the jobs still
running (polled for progress); empty states say what to do next; a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentRecord
from consent.services import consent_revoke
from core.actors import Actor
from jobs import clip_services
from jobs.album import album_pages
from jobs.models import AnimationJob, Clip
from tests.factories import ConsentFactory, SubjectFactory
from tests.platform.moderation.conftest import clip_make

pytestmark = pytest.mark.django_db


def _album(client, member) -> str:
    client.force_login(member)
    answer = client.get(reverse("dashboard"))
    assert answer.status_code == 200
    return unescape(answer.content.decode())


def _revoke(clip: Clip) -> None:
    consent_revoke(consent=clip.consent, actor=Actor.grantor(clip.consent_id), reason="no")


def _take_down(clip: Clip) -> None:
    clip_services.clip_take_down(clip=clip, actor=Actor.system("moderator"), reason="Not theirs")


def _running_job(clip: Clip) -> AnimationJob:
    """A second job for the clip's subject, running half way through drawing the frames."""
    return AnimationJob.objects.create(
        owner=clip.owner, subject=clip.subject, consent=clip.consent, portrait=clip.job.portrait,
        status=AnimationJob.Status.RUNNING, stage="generate", progress=0.5,
    )  # fmt: skip


def test_no_subjects_says_to_add_the_person_in_the_photo(client, member):
    page = _album(client, member)
    assert "Your family album" in page
    assert f'href="{reverse("subject-create")}">Add the person in your photo' in page
    assert 'id="album"' not in page


def test_a_card_shows_portrait_consent_clip_and_running_job(client, member):
    clip = clip_make(member)
    job = _running_job(clip)
    subject = clip.subject
    page = _album(client, member)

    card = page[page.index(f'id="subject-{subject.id}"') :]
    assert subject.display_name in card
    assert f'src="{reverse("upload-file", args=[clip.job.portrait_id])}?inline=1"' in card
    expires = clip.consent.expires_at
    given = f"Consent given until {expires.day} {expires:%B %Y}, to animate the portrait and "
    assert given in card
    assert f'src="{reverse("clip-poster", args=[clip.id])}"' in card
    assert ">Published</span>" in card
    # The running job is the job page's own progress fragment, polling as a card.
    assert f'hx-get="{reverse("job-progress", args=[job.id])}?card=1"' in card
    assert 'value="50"' in card and "Drawing the frames" in card
    assert 'id="job-status"' not in card  # that id is the job page's alone
    assert f'href="{reverse("job-create", args=[subject.id])}">Make another clip' in card


def test_the_portrait_is_served_inline_for_the_album(client, member):
    clip = clip_make(member)
    client.force_login(member)
    url = reverse("upload-file", args=[clip.job.portrait_id])
    assert client.get(url + "?inline=1")["Content-Disposition"].startswith("inline")
    assert client.get(url)["Content-Disposition"].startswith("attachment")


def test_a_card_polled_shows_the_job_finished_with_its_clip(client, member):
    clip = clip_make(member)
    client.force_login(member)
    fragment = client.get(reverse("job-progress", args=[clip.job_id]) + "?card=1")
    html = fragment.content.decode()
    assert "hx-get" not in html  # finished: polling stops
    assert f'href="{reverse("clip-detail", args=[clip.id])}"' in html
    assert "<h1" not in html and "Technical details" not in html


@pytest.mark.parametrize(
    ("withdraw", "words"),
    [(_revoke, "Withdrawn: consent revoked"), (_take_down, "Withdrawn: taken down")],
)
def test_a_withdrawn_clip_reads_withdrawn_and_shows_no_poster(client, member, withdraw, words):
    clip = clip_make(member)
    withdraw(clip)
    page = _album(client, member)
    assert words in page
    assert reverse("clip-poster", args=[clip.id]) not in page
    assert f'href="{reverse("clip-detail", args=[clip.id])}"' in page  # it says why there
    assert "consent_revoked" not in page and "taken_down" not in page


def test_empty_states_say_what_to_do_next(client, member):
    no_consent = SubjectFactory(owner=member, display_name="Ann Asked")
    pending = ConsentFactory(
        subject=SubjectFactory(owner=member, display_name="Bea Pending"),
        status=ConsentRecord.Status.PENDING, grantor_name="Bea", granted_at=None,
    )  # fmt: skip
    expired = ConsentFactory(subject=SubjectFactory(owner=member, display_name="Cy Ended"))
    ConsentRecord.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    no_portrait = ConsentFactory(subject=SubjectFactory(owner=member, display_name="Di Ready"))
    page = _album(client, member)

    def card(subject) -> str:
        start = page.index(f'id="subject-{subject.id}"')
        return page[start : page.index("</section>", start)]

    ask = reverse("consent-request", args=[no_consent.id])
    assert "No consent yet." in card(no_consent) and f'href="{ask}">Ask for consent' in card(
        no_consent
    )
    assert "No portrait yet" in card(no_consent)
    assert "Waiting for Bea to confirm consent." in card(pending.subject)
    assert "Ask for consent" not in card(pending.subject)
    assert "Consent ended on" in card(expired.subject) and "Ask for consent" in card(
        expired.subject
    )
    add_portrait = reverse("subject-detail", args=[no_portrait.subject_id]) + "#uploads"
    assert f'href="{add_portrait}">Add a portrait' in card(no_portrait.subject)


def test_only_the_members_own_subjects(client, member, other_member):
    clip_make(other_member)
    page = _album(client, member)
    assert "Add the person in your photo" in page


def test_the_album_reads_in_a_fixed_number_of_queries(
    client, member, django_assert_max_num_queries
):
    for _ in range(4):
        clip = clip_make(member)
        _running_job(clip)
        clip_make(member, status=Clip.Status.TAKEN_DOWN)
    client.force_login(member)
    # session, user, then subjects, consents, portraits, clips and jobs: one query each
    with django_assert_max_num_queries(7):
        answer = client.get(reverse("dashboard"))
    assert answer.content.decode().count('class="card album-page"') == 8


def test_album_pages_show_the_consent_that_matters(member):
    subject = SubjectFactory(owner=member)
    active = ConsentFactory(subject=subject)
    ConsentFactory(subject=subject, status=ConsentRecord.Status.REVOKED)  # newer, but ended
    (page,) = album_pages(member)
    assert page.consent == active and page.consent_state == "active"
    assert not page.can_animate  # no portrait yet
