"""The whole path in a real browser (Playwright driving Debian's chromium, headless), against
a live server and a real worker process: sign up, add a subject, upload, the subject sees the
portrait, hears the recording and confirms consent through the e-mailed link, animate and
watch the progress, publish, download, verify the clip and a re-encoded copy, report it, a
moderator takes it down, and verification says so. Screenshots of the key pages go to
test-artifacts/e2e/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import User
from tests.media_samples import reencode_mp4
from tests.real_worker import RealWorker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "e2e"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _verify(page, base: str, path: Path, name: str) -> str:
    page.goto(f"{base}/verify/")
    page.set_input_files("#id_file", str(path))
    page.click("#verify-button")
    page.wait_for_selector("#verdict-headline")
    _shot(page, name)
    return page.inner_text("#verdict")


def test_member_to_moderator_in_a_real_browser(
    browser, live_server, settings, tmp_path, astronaut_jpeg, speech_wav_bytes
):
    settings.JOBS_QUEUE = f"gpu-e2e-{uuid.uuid4().hex[:8]}"
    settings.SITE_URL = live_server.url
    base = live_server.url
    (tmp_path / "grandma.jpg").write_bytes(astronaut_jpeg)
    (tmp_path / "hello.wav").write_bytes(speech_wav_bytes)

    # Paced (a pause after each generated chunk) so "Running" is on screen for a poll or more,
    # however fast this machine generates a short clip.
    with RealWorker(settings.JOBS_QUEUE, tmp_path / "worker.log", pace=2.0) as worker:
        member = browser.new_context(viewport={"width": 1100, "height": 900})
        page = member.new_page()
        page.set_default_timeout(30_000)

        # Sign up and add a living subject.
        page.goto(f"{base}/signup/")
        page.fill("#id_username", "margaret")
        page.fill("#id_email", "margaret@example.org")
        page.fill("#id_password", "a long passphrase 42")
        page.click("button:has-text('Sign up')")
        # The new member's album is empty and says what to do first.
        page.click("text=Add the person in your photo")
        page.fill("#id_display_name", "Lena Living")
        page.select_option("#id_vital_status", "living")
        page.fill("#id_email", "lena@example.org")
        page.click("button:has-text('Add subject')")

        # Upload a portrait and speech first, so that the subject sees and hears them.
        for kind, name in (("portrait", "grandma.jpg"), ("audio", "hello.wav")):
            page.select_option("#id_kind", kind)
            page.set_input_files("#id_file", str(tmp_path / name))
            page.click("#uploads button:has-text('Upload')")
            page.wait_for_selector(f"text={name}")

        # Request consent for animation and publication, naming both files (ticked already).
        page.click("text=Request consent")
        assert page.locator("input[name=covers]:checked").count() == 2
        page.check("input[value=publish]")
        page.fill("#id_expires_at", "2030-06-01T12:00")
        page.click("button:has-text('Record consent request')")
        assert "Pending" in page.inner_text("#consents")

        # The subject confirms through the e-mailed link, in a browser of their own, after
        # seeing the portrait and being able to play the recording.
        link = re.search(r"http://\S+/consent/confirm/\S+/", mail.outbox[-1].body).group(0)
        subject_page = browser.new_context().new_page()
        subject_page.goto(link)  # waits for the page's load event: its images are in
        portrait = subject_page.locator("#covered img")
        assert portrait.evaluate("img => img.complete && img.naturalWidth > 0")
        assert subject_page.locator("#covered audio[controls]").count() == 1
        covered = subject_page.inner_text("#covered")
        assert "grandma.jpg" in covered and "hello.wav" in covered
        _shot(subject_page, "01-consent-confirm")
        subject_page.click("button:has-text('I agree')")
        subject_page.wait_for_selector("text=Your consent is recorded")

        # Animate.
        page.reload()
        assert "Consent in force" in page.inner_text("body")
        _shot(page, "02-subject")
        page.click("text=Animate this portrait")
        page.select_option("#id_size", "256")
        page.click("button:has-text('Start')")

        # Watch the progress: htmx polls the job while the worker runs it.
        page.wait_for_selector("#job-status:has-text('Running')", timeout=120_000)
        assert page.inner_text("#job-heading") == "Animating Lena Living…"
        _shot(page, "03-job-running")
        page.wait_for_selector("#job-status:has-text('Finished')", timeout=240_000)
        # The heading follows the job (htmx swaps it with the progress); timings are tucked away.
        assert page.inner_text("#job-heading") == "Lena Living is animated"
        assert not page.is_visible("text=Placing the face in each frame")
        _shot(page, "04-job-finished")

        # Publish and download.
        page.click("text=See the clip")
        page.click("button:has-text('Publish')")
        page.wait_for_selector("text=Published")
        _shot(page, "05-clip-published")
        with page.expect_download() as download_info:
            page.click("a:has-text('Download')")
        clip_path = tmp_path / "downloaded.mp4"
        download_info.value.save_as(clip_path)
        assert worker.alive()

        # The album: the portrait, consent in words, the clip's poster and its status; on a
        # phone-sized screen one card per row, nothing wider than the screen.
        page.click("nav >> text=Family album")
        page.wait_for_load_state("load")  # its images are in
        card = page.locator("section.album-page", has_text="Lena Living")
        assert "Consent given until 1 June 2030" in card.inner_text()
        assert "Published" in card.inner_text()
        for image in ("img.album-portrait", "img.album-poster"):
            assert card.locator(image).evaluate("img => img.complete && img.naturalWidth > 0")
        _shot(page, "13-album")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, "14-album-phone")

    # A journalist verifies the downloaded clip, then a re-encoded copy, and reports it.
    journalist = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    verdict = _verify(journalist, base, clip_path, "06-verify-intact")
    assert "Made here, with its Content Credentials intact." in verdict
    verdict = _verify(
        journalist, base, reencode_mp4(clip_path, tmp_path / "copy.mp4"), "07-verify-copy"
    )
    assert "credentials were stripped, but our watermark identifies it" in verdict
    copy_permalink = journalist.url
    journalist.click("#report-link")
    journalist.select_option("#id_category", "impersonation")
    journalist.fill("#id_description", "This clip is shared as if it were a real recording.")
    journalist.click("#report-submit")
    reference = journalist.inner_text("#report-reference")
    _shot(journalist, "08-report-sent")

    # A moderator takes the clip down.
    User.objects.create_user("mod", "mod@example.org", "a moderator passphrase", is_staff=True)
    moderator = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    moderator.goto(f"{base}/login/")
    moderator.fill("#id_username", "mod")
    moderator.fill("#id_password", "a moderator passphrase")
    moderator.click("button:has-text('Log in')")
    moderator.goto(f"{base}/moderation/")
    _shot(moderator, "09-moderation-queue")
    moderator.click(f"text={reference}")
    moderator.click("#decide-take-down")
    moderator.wait_for_selector("#report-status:has-text('Taken down')")
    _shot(moderator, "10-taken-down")

    verdict = _verify(journalist, base, clip_path, "11-verify-after-takedown")
    assert "Made here, and taken down by our moderators: do not share." in verdict
    assert "Our moderators took it down." in verdict

    # The copy's permalink, made while the clip was published, reads its status now.
    journalist.goto(copy_permalink)
    _shot(journalist, "12-permalink-after-takedown")
    verdict = journalist.inner_text("#verdict")
    assert "Made here, and taken down by our moderators: do not share." in verdict
    assert "When verified" in verdict and "Published" in verdict
    assert "See the published clip" not in verdict
