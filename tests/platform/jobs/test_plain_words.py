"""Plain words on the member's pages: statuses in words (never a stored code), headings that
follow the job, sizes described as the longest side, technical detail behind a disclosure."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from consent.services import consent_revoke
from core.actors import Actor
from jobs.forms import JobForm
from jobs.models import AnimationJob, Clip
from tests.platform.moderation.conftest import clip_make

pytestmark = pytest.mark.django_db

RAW_CODES = (
    "consent_revoked", "CONSENT_REVOKED", "CONSENTREVOKED", "taken_down", "TAKEN_DOWN",
    "succeeded", "subject_link", "rights_holder_attestation", "next_of_kin", "ours_trusted",
    "no_manifest",
)  # fmt: skip


def _text(html: str) -> str:
    """What a reader sees: no tags, no attributes."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _outside_details(html: str) -> str:
    """The page's text with the "details" disclosures left closed."""
    return _text(re.sub(r"<details.*?</details>", " ", html, flags=re.S))


def _page(client, member, name, *args) -> str:
    client.force_login(member)
    answer = client.get(reverse(name, args=args))
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        (AnimationJob.Status.QUEUED, "Waiting to animate {name}"),
        (AnimationJob.Status.RUNNING, "Animating {name}…"),
        (AnimationJob.Status.SUCCEEDED, "{name} is animated"),
        (AnimationJob.Status.FAILED, "Animating {name} did not work"),
        (AnimationJob.Status.CANCELLED, "Animation of {name} cancelled"),
    ],
)
def test_the_job_heading_follows_its_status(client, member, status, heading):
    job = clip_make(member).job
    AnimationJob.objects.filter(pk=job.pk).update(status=status)
    expected = f'<h1 id="job-heading">{heading.format(name=job.subject.display_name)}</h1>'
    assert expected in _page(client, member, "job-detail", job.id)
    # The fragment htmx swaps in carries the heading, so it changes when the job ends.
    assert expected in _page(client, member, "job-progress", job.id)


def test_a_finished_job_keeps_its_timings_behind_technical_details(client, member):
    clip = clip_make(member)
    AnimationJob.objects.filter(pk=clip.job_id).update(
        device="cpu", stage_seconds={"rig": 0.05, "generate": 9.01}
    )
    html = _page(client, member, "job-detail", clip.job_id)
    seen = _outside_details(html)
    assert "The clip is 128 × 128 pixels and 1.0 seconds long." in seen
    for jargon in ("rig", "generate", "cpu", "Seconds", "Stage"):
        assert jargon not in seen
    details = _text(re.search(r"<details.*?</details>", html, flags=re.S).group(0))
    assert "Technical details" in details and "Placing the face in each frame" in details
    assert "9.01" in details and "made on cpu" in details


def test_a_running_job_names_its_stage_in_words(client, member):
    job = clip_make(member).job
    AnimationJob.objects.filter(pk=job.pk).update(status="running", stage="rig", progress=0.3)
    seen = _text(_page(client, member, "job-progress", job.id))
    assert "Placing the face in each frame" in seen and "30% done" in seen
    assert "rig" not in seen


def test_the_job_form_asks_no_seed_and_sizes_by_the_longest_side(client, member):
    clip = clip_make(member)
    html = _page(client, member, "job-create", clip.subject_id)
    assert "seed" not in html.lower()
    assert "up to 512 pixels on the longest side" in html
    assert " px" not in _text(html)
    form = JobForm({"portrait": str(clip.job.portrait_id), "size": "256", "idle_seconds": 2},
                   uploads=[clip.job.portrait])  # fmt: skip
    assert form.is_valid(), form.errors
    assert "seed" not in form.cleaned_data


def test_a_clip_page_says_its_real_size_and_keeps_hashes_behind_details(client, member):
    clip = clip_make(member)
    html = _page(client, member, "clip-detail", clip.id)
    seen = _outside_details(html)
    assert "1.0 seconds · 128 × 128 pixels" in seen
    assert clip.sha256 not in seen and clip.content_id not in seen
    assert clip.sha256 in _text(html)


def test_content_credentials_in_words_with_the_codes_behind_details(finished_clip, client, member):
    html = _page(client, member, "clip-detail", finished_clip.id)
    panel = html[html.index('id="content-credentials"') :]
    seen = _outside_details(panel)
    assert "Signed by Likeness · valid and trusted" in seen
    assert "Given to animate the portrait and publish the clip" in seen
    assert "Rights-holder attestation" in seen
    assert "http" not in seen and finished_clip.consent.content_hash not in seen
    assert "digitalsourcetype/trainedAlgorithmicMedia" in _text(panel)


def test_no_page_prints_a_status_code(client, member):
    revoked = clip_make(member)
    consent_revoke(consent=revoked.consent, actor=Actor.grantor(revoked.consent_id), reason="no")
    taken_down = clip_make(member, status=Clip.Status.TAKEN_DOWN)
    pages = [
        _page(client, member, "dashboard"),
        _page(client, member, "clip-detail", revoked.id),
        _page(client, member, "clip-detail", taken_down.id),
        _page(client, member, "job-detail", revoked.job_id),
        _page(client, member, "subject-detail", revoked.subject_id),
    ]
    for html in pages:
        seen = _text(html)
        for code in RAW_CODES:
            assert code not in seen, code
    assert "Consent revoked" in _text(pages[1]) and "Taken down" in _text(pages[2])
