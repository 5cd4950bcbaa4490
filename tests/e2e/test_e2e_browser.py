"""The four journeys in a real browser (Playwright driving Debian's chromium, headless), against a
live server and a real worker process, with an accessibility check (axe-core, see
accessibility.py) on every main page.

A member signs up to an empty album that says what to do, adds a subject, sees a portrait with
no face refused at upload (the problem at the top of the form, focused, in view), uploads a
portrait and speech and asks for consent. The subject sees the portrait, can play the recording,
agrees, and is sent a receipt. The member animates, watches the progress on the job page and in
the album, publishes after a confirmation page, downloads, and sees the album with portraits and
posters, on a phone-sized screen too. A journalist verifies the clip and a re-encoded copy and
reports it (the form's error summary first); the reporter gets a receipt and the moderators an
alert. A moderator logs in to the queue, is refused a takedown without a reason or without
"I understand", then takes the clip down; the member is told why, the reporter the outcome,
the public link answers 410 saying why, verification says so. The subject withdraws consent
through the e-mailed link (ticking "I understand"); the member is told. Admin pages open.

Screenshots go to test-artifacts/e2e/ (01-19 and 30-38, listed in the README's Tests section),
axe results to test-artifacts/e2e/axe/.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import User
from notices.models import Notice
from tests.e2e.accessibility import assert_accessible
from tests.media_samples import faceless_png, reencode_mp4
from tests.real_worker import RealWorker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "e2e"
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}
MEMBER_MAIL, SUBJECT_MAIL = "margaret@example.org", "lena@example.org"
REPORTER_MAIL, MODERATOR_MAIL = "journalist@example.org", "mod@example.org"
# Codes that must never reach a page: statuses and stages as stored, the old jargon.
RAW_WORDS = re.compile(
    r"consent_revoked|taken_down|CONSENTREVOKED|TAKENDOWN|succeeded|\bSeed\b|\bon cpu\b|\brig\b"
)


def _shot(page, name: str, *, full_page: bool = True) -> None:
    """A screenshot: the whole page, or (full_page=False) exactly what is on screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _plain(page) -> str:
    text = page.inner_text("main")
    assert not RAW_WORDS.search(text), f"{page.url}: {RAW_WORDS.search(text).group(0)!r}"
    return text


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def _error_summary_in_view(page, *, inside: str, says: str) -> None:
    """The refusal heads the form it is about, has the keyboard focus, and is on screen."""
    page.wait_for_selector(f"{inside} #error-summary")
    # The browser moves focus (autofocus) once the page's styles are in, a moment after load.
    page.wait_for_function("document.activeElement.id === 'error-summary'", timeout=5_000)
    box = page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect();"
        " return [r.top, r.bottom, window.innerHeight]; })()"
    )
    assert 0 <= box[0] and box[1] <= box[2], box
    assert says in page.inner_text(f"{inside} #error-summary")


def _verify(page, base: str, path: Path, name: str) -> str:
    page.goto(f"{base}/verify/")
    page.set_input_files("#id_file", str(path))
    page.click("#verify-button")
    page.wait_for_selector("#verdict-headline")
    _shot(page, name)
    return page.inner_text("#verdict")


def _log_in(browser, base: str, username: str, password: str, next_url: str = ""):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Log in')")
    page.wait_for_load_state()
    return page


def test_member_subject_journalist_and_moderator_in_a_real_browser(
    browser, live_server, settings, tmp_path, astronaut_jpeg, speech_wav_bytes
):
    settings.JOBS_QUEUE = f"gpu-e2e-{uuid.uuid4().hex[:8]}"
    settings.SITE_URL = live_server.url
    base = live_server.url
    (tmp_path / "grandma.jpg").write_bytes(astronaut_jpeg)
    (tmp_path / "hello.wav").write_bytes(speech_wav_bytes)
    (tmp_path / "wall.png").write_bytes(faceless_png())
    # Moderators exist before any report: each new report alerts them.
    User.objects.create_user("mod", MODERATOR_MAIL, "a moderator passphrase", is_staff=True)

    # Paced (a pause after each generated chunk) so "Running" is on screen for a poll or more,
    # however fast this machine generates a short clip.
    with RealWorker(settings.JOBS_QUEUE, tmp_path / "worker.log", pace=2.0) as worker:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.set_default_timeout(30_000)

        # ------------------------------------------------ the member: an empty album, a subject
        page.goto(f"{base}/")
        assert_accessible(page, "home")
        page.goto(f"{base}/signup/")
        page.fill("#id_username", "margaret")
        page.fill("#id_email", MEMBER_MAIL)
        page.fill("#id_password", "a long passphrase 42")
        page.click("button:has-text('Sign up')")
        assert "Start with the person in your photo" in page.inner_text("#album-empty")
        _shot(page, "01-member-album-empty")
        assert_accessible(page, "album-empty")
        page.click("text=Add the person in your photo")
        page.fill("#id_display_name", "Lena Living")
        page.select_option("#id_vital_status", "living")
        page.fill("#id_email", SUBJECT_MAIL)
        page.click("button:has-text('Add subject')")

        # A photo with no face is refused at upload, in the words the job would use: at the
        # top of the upload form, focused and on screen, though the form is far down the page.
        page.select_option("#id_kind", "portrait")
        page.set_input_files("#id_file", str(tmp_path / "wall.png"))
        page.click("#upload-form button:has-text('Upload')")
        _error_summary_in_view(
            page, inside="#upload-form", says="No face was found in the portrait."
        )
        _shot(page, "02-member-upload-refused-no-face", full_page=False)
        assert_accessible(page, "upload-form-with-errors")
        assert "wall.png" not in page.inner_text("#uploads table")

        # A portrait and speech, so that the subject sees and hears them.
        for kind, name in (("portrait", "grandma.jpg"), ("audio", "hello.wav")):
            page.select_option("#id_kind", kind)
            page.set_input_files("#id_file", str(tmp_path / name))
            page.click("#upload-form button:has-text('Upload')")
            page.wait_for_selector(f"text={name}")

        # Consent for animation and publication, naming both files (ticked already).
        page.click("text=Request consent")
        assert page.locator("input[name=covers]:checked").count() == 2
        page.check("input[value=publish]")
        page.fill("#id_expires_at", "2030-06-01T12:00")
        page.click("button:has-text('Record consent request')")
        assert "Pending" in page.inner_text("#consents")

        # ------------------------------------------------ the subject: informed consent
        [request] = _mails_to(SUBJECT_MAIL)
        link = re.search(r"http://\S+/consent/confirm/\S+/", request.body).group(0)
        subject_page = browser.new_context(viewport=DESKTOP).new_page()
        subject_page.goto(link)  # waits for the page's load event: its images are in
        portrait = subject_page.locator("#covered img")
        assert portrait.evaluate("img => img.complete && img.naturalWidth > 0")
        assert subject_page.locator("#covered audio[controls]").count() == 1
        covered = subject_page.inner_text("#covered")
        assert "grandma.jpg" in covered and "hello.wav" in covered
        _shot(subject_page, "03-subject-consent-confirm")
        assert_accessible(subject_page, "consent-confirmation")
        subject_page.click("button:has-text('I agree')")
        subject_page.wait_for_selector("text=Your consent is recorded")
        # The receipt repeats what was agreed, and how to withdraw.
        [receipt] = [m for m in _mails_to(SUBJECT_MAIL) if "receipt" in m.subject]
        for words in ("grandma.jpg", "hello.wav", "publicly", "1 June 2030", "/consent/revoke/"):
            assert words in receipt.body, words
        revoke_link = re.search(r"http://\S+/consent/revoke/\S+/", receipt.body).group(0)

        # ------------------------------------------------ the member: animate, watch, publish
        page.reload()
        assert "Consent in force" in page.inner_text("body")
        _shot(page, "04-member-subject")
        assert_accessible(page, "subject")
        page.click("text=Animate this portrait")
        assert "Seed" not in page.inner_text("main")
        page.select_option("#id_size", "256")
        page.click("button:has-text('Start')")

        # The progress, polled by htmx while the worker runs the job: on its page...
        page.wait_for_selector("#job-status:has-text('Running')", timeout=120_000)
        assert page.inner_text("#job-heading") == "Animating Lena Living…"
        _shot(page, "05-member-job-running")
        # ...and on the album, in the subject's card.
        album = page.context.new_page()
        album.goto(f"{base}/dashboard/")
        card = album.locator("section.album-page", has_text="Lena Living")
        assert "Being animated" in card.inner_text()
        assert card.locator("progress").count() == 1
        _shot(album, "06-member-album-animating")
        album.close()
        page.wait_for_selector("#job-status:has-text('Finished')", timeout=240_000)
        # The heading follows the job (htmx swaps it with the progress); timings are tucked
        # away behind a closed "details".
        assert page.inner_text("#job-heading") == "Lena Living is animated"
        assert not page.is_visible("text=Placing the face in each frame")
        assert not page.locator("details.technical").evaluate("d => d.open")
        _plain(page)
        _shot(page, "07-member-job-finished")
        assert_accessible(page, "job")

        # Publishing asks first, showing what goes out.
        page.click("text=See the clip")
        assert_accessible(page, "clip")
        page.click("#publish")
        assert page.inner_text("#confirm-heading") == "Publish the clip of Lena Living?"
        assert page.locator("img.confirm-picture").evaluate("i => i.complete && i.naturalWidth")
        _shot(page, "08-member-publish-confirm")
        assert_accessible(page, "publish-confirmation")
        page.click("#confirm-button")
        page.wait_for_selector("text=Published.")
        _shot(page, "09-member-clip-published")
        public_url = page.locator("a:has-text('Public page')").get_attribute("href")
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
        _plain(page)
        _shot(page, "10-member-album")
        assert_accessible(page, "album")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, "11-member-album-phone")
        page.click("text=Lena Living")
        page.wait_for_selector("#upload-form")
        page.wait_for_load_state("load")  # styled: its tables stacked for the small screen
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, "12-member-subject-phone")
        page.set_viewport_size(DESKTOP)

    # ------------------------------------------------ a journalist: verify, then report
    journalist = browser.new_context(viewport=DESKTOP).new_page()
    journalist.set_default_timeout(30_000)
    journalist.goto(f"{base}/verify/")
    assert_accessible(journalist, "verify")
    verdict = _verify(journalist, base, clip_path, "13-journalist-verify-intact")
    assert "Made here, with its Content Credentials intact." in verdict
    assert_accessible(journalist, "verification-result")
    verdict = _verify(
        journalist,
        base,
        reencode_mp4(clip_path, tmp_path / "copy.mp4"),
        "14-journalist-verify-copy",
    )
    assert "credentials were stripped, but our watermark identifies it" in verdict
    copy_permalink = journalist.url
    journalist.click("#report-link")
    assert_accessible(journalist, "report-form")
    journalist.click("#report-submit")  # nothing said yet: the form says what is missing
    _error_summary_in_view(journalist, inside="#report-form", says="What is wrong?")
    _shot(journalist, "15-journalist-report-needs-words", full_page=False)
    journalist.select_option("#id_category", "impersonation")
    journalist.fill("#id_description", "This clip is shared as if it were a real recording.")
    journalist.fill("#id_contact_email", REPORTER_MAIL)
    journalist.set_input_files("#id_attachment", str(tmp_path / "grandma.jpg"))
    journalist.click("#report-submit")
    reference = journalist.inner_text("#report-reference")
    _shot(journalist, "16-journalist-report-sent")
    # The reporter's receipt, and the moderators' alert.
    assert reference in _mails_to(REPORTER_MAIL)[-1].body
    [alert] = _mails_to(MODERATOR_MAIL)
    assert reference in alert.subject and "/moderation/reports/" in alert.body

    # ------------------------------------------------ a moderator: the queue, a takedown
    moderator = _log_in(browser, base, "mod", "a moderator passphrase")
    assert moderator.url == f"{base}/moderation/"  # the queue, not an empty album
    assert reference in moderator.inner_text("#report-queue")
    _shot(moderator, "17-moderator-queue")
    assert_accessible(moderator, "moderation-queue")
    moderator.click(f"text={reference}")
    assert_accessible(moderator, "moderation-report")
    # Irreversible: no takedown without a reason, nor without "I understand" ticked.
    moderator.fill("#id_take_down_reason", "   ")
    moderator.check("#id_take_down_understood")
    moderator.click("#decide-take-down")
    _error_summary_in_view(
        moderator, inside="#decide-take-down-form", says="Give the reason why the clip is taken"
    )
    _shot(moderator, "18-moderator-takedown-needs-a-reason", full_page=False)
    assert_accessible(moderator, "moderation-report-with-errors")
    reason = "It is presented as a real recording of a living person."
    moderator.fill("#id_take_down_reason", reason)
    moderator.uncheck("#id_take_down_understood")
    moderator.click("#decide-take-down")
    _error_summary_in_view(moderator, inside="#decide-take-down-form", says="Tick the box")
    assert "Published" in moderator.inner_text("main")  # nothing happened yet
    moderator.check("#id_take_down_understood")
    moderator.click("#decide-take-down")
    moderator.wait_for_selector("#report-status:has-text('Taken down')")
    _shot(moderator, "19-moderator-taken-down")

    # The member is told why; the reporter, the outcome (not the moderators' reason).
    [takedown] = _mails_to(MEMBER_MAIL)
    assert reason.rstrip(".") in takedown.body
    outcome = _mails_to(REPORTER_MAIL)[-1]
    assert "we took the clip down" in outcome.subject and reason not in outcome.body

    # The public link answers 410 and says why; verification says so too.
    response = journalist.goto(f"{base}{public_url}")
    assert response.status == 410
    assert "taken down" in journalist.inner_text("#gone")
    _shot(journalist, "30-public-link-gone-410")
    assert_accessible(journalist, "public-clip-gone")
    verdict = _verify(journalist, base, clip_path, "31-journalist-verify-after-takedown")
    assert "Made here, and taken down by our moderators: do not share." in verdict
    assert "Our moderators took it down." in verdict
    # The copy's permalink, made while the clip was published, reads its status now.
    journalist.goto(copy_permalink)
    _shot(journalist, "32-permalink-after-takedown")
    verdict = journalist.inner_text("#verdict")
    assert "Made here, and taken down by our moderators: do not share." in verdict
    assert "When verified" in verdict and "Published" in verdict
    assert "See the published clip" not in verdict

    # The member's album says the clip was withdrawn; its page neither plays nor downloads it.
    page.goto(f"{base}/dashboard/")
    card = page.locator("section.album-page", has_text="Lena Living")
    assert "Withdrawn: taken down" in card.inner_text()
    assert card.locator("img.album-poster").count() == 0
    _plain(page)
    _shot(page, "33-member-album-clip-taken-down")
    card.locator("a.album-poster-withdrawn").click()
    assert page.locator("video").count() == 0
    assert page.locator("a:has-text('Download')").count() == 0
    assert reason.rstrip(".") in page.inner_text("#clip-withdrawn")
    _plain(page)
    _shot(page, "34-member-clip-taken-down")

    # ------------------------------------------------ the subject withdraws consent
    subject_page.goto(revoke_link)
    assert "cannot be undone" in subject_page.inner_text("#consequences")
    _shot(subject_page, "35-subject-withdraw")
    assert_accessible(subject_page, "consent-withdrawal")
    subject_page.fill("#id_reason", "I would rather not, after all.")
    subject_page.click("#withdraw-button")
    _error_summary_in_view(subject_page, inside="#withdraw-form", says="Tick the box")
    assert subject_page.locator("#withdrawn").count() == 0
    subject_page.check("#id_understood")
    subject_page.click("#withdraw-button")
    subject_page.wait_for_selector("#withdrawn")
    _shot(subject_page, "36-subject-withdrawn")
    [revoked] = [m for m in _mails_to(MEMBER_MAIL) if "withdrawn" in m.subject]
    assert "Lena Living withdrew the consent" in revoked.body
    assert "I would rather not, after all." in revoked.body
    page.goto(f"{base}/dashboard/")
    assert "Consent was withdrawn" in page.inner_text("#album")
    _shot(page, "37-member-album-consent-withdrawn")
    # Every notice was recorded once.
    kinds = sorted(Notice.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        ["consent_receipt", "report_receipt", "report_alert", "clip_taken_down"]
        + ["report_outcome", "consent_revoked"]
    )

    # ------------------------------------------------ admin: every record opens
    User.objects.create_superuser("admin", "admin@example.org", "an admin passphrase")
    admin = _log_in(browser, base, "admin", "an admin passphrase", next_url="/admin/")
    for model in (
        "uploads/upload", "consent/consentrecord", "consent/subject", "jobs/animationjob",
        "jobs/clip", "moderation/misusereport", "notices/notice", "audit/auditevent",
        "accounts/user",
    ):  # fmt: skip
        listing = admin.goto(f"{base}/admin/{model}/")
        assert listing.status == 200, model
        first = admin.locator("#result_list tbody tr th a").first
        if first.count():
            first.click()
            assert "Server Error" not in admin.inner_text("body"), model
            assert admin.url.endswith("/change/"), (model, admin.url)
        if model == "moderation/misusereport":
            assert admin.locator("a:has-text('Download')").count() == 1  # the attachment
            _shot(admin, "38-admin-report-with-attachment")


def test_the_accessibility_check_fails_on_a_serious_violation(browser, live_server):
    """The check above can fail: a picture without words and a field without a label, put
    into a page, are reported by rule and element."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{live_server.url}/verify/")
    assert_accessible(page, "verify-before-breaking-it")
    page.evaluate(
        """() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<img id="no-words" src="/static/none.png">');
        main.insertAdjacentHTML('beforeend', '<input id="no-label" type="text">');
        }"""
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "verify-broken-on-purpose")
    report = str(failed.value)
    assert "critical image-alt" in report and "#no-words" in report
    assert "label" in report and "#no-label" in report
