"""The hardened public surface in a real browser (Playwright driving Debian's chromium): what a
journalist sees for forged evidence, hostile files and an expired permalink, and a family's
organisation growing by invitation. Screenshots go to test-artifacts/e2e/ (20- onwards)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from provenance import hostile
from tests.factories import UserFactory
from tests.forgery import cat_png, sign_naming, watermarked_cat_png

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _verify(page, base: str, path: Path, name: str) -> str:
    page.goto(f"{base}/verify/")
    page.set_input_files("#id_file", str(path))
    page.click("#verify-button")
    page.wait_for_load_state()
    _shot(page, name)
    return page.inner_text("main")


def _log_in(browser, base: str, user):
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r".*/dashboard/"))
    return page


def test_a_journalist_meets_forgeries_hostile_files_and_an_expired_permalink(
    browser, live_server, monkeypatch, tmp_path, finished_clip, member
):
    from config import credentials
    from jobs import clip_services
    from provenance.keys import create_local_chain
    from verification.services import verifications_purge_expired

    clip_services.clip_publish(clip=finished_clip, user=member)
    base = live_server.url
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.set_default_timeout(60_000)

    # Someone else signs a cat picture, claiming it is one of our clips.
    signed = sign_naming(
        cat_png(tmp_path / "cat.png"), tmp_path / "claimed.png",
        chain=create_local_chain(tmp_path / "other-ca", organization="Someone Else Ltd"),
        content_id=finished_clip.content_id,
    )  # fmt: skip
    text = _verify(page, base, signed, "20-verify-foreign-claim")
    assert "Signed by someone else." in text
    assert "their claim, not checked by us" in text
    assert "consent in force" not in text

    # Our watermark, lifted onto a picture that is not the clip it names.
    marked = tmp_path / "marked.png"
    marked.write_bytes(
        watermarked_cat_png(finished_clip.content_id, key=credentials.watermark_key())
    )
    text = _verify(page, base, marked, "21-verify-watermark-not-clip")
    assert "Our watermark is present, but the picture is not the clip it names." in text
    assert "edited or forged" in text
    assert "consent in force" not in text

    # A hostile file is refused at the top of the form, in words.
    hostile_jpeg = tmp_path / "scans.jpg"
    hostile_jpeg.write_bytes(hostile.ATTACKS["jpeg_repeated_scans"].build())
    text = _verify(page, base, hostile_jpeg, "22-verify-too-complex")
    assert "too complex to examine" in text

    # A result past its retention answers 410 and says why. (The permalink's id carries its
    # time: made "31 days ago" here, as the live server runs in this process.)
    month_ago = time.time_ns() - 31 * 86_400 * 10**9
    with monkeypatch.context() as patch:
        patch.setattr("verification.models.time.time_ns", lambda: month_ago)
        page.goto(f"{base}/verify/")
        page.set_input_files("#id_file", str(signed))
        page.click("#verify-button")
        page.wait_for_selector("#verdict-headline")
    permalink = page.url
    verifications_purge_expired(now=timezone.now() + timedelta(days=31))
    response = page.goto(permalink)
    assert response.status == 410
    _shot(page, "23-verification-gone")
    assert "30 days" in page.inner_text("main")


def test_a_family_grows_its_organisation_by_invitation(browser, live_server, settings, member):
    from accounts.services import organisation_create

    settings.SITE_URL = live_server.url
    base = live_server.url
    organisation_create(name="The Okafor family", founder=member)
    cousin = UserFactory(email="cousin@example.org")

    founder_page = _log_in(browser, base, member)
    founder_page.goto(f"{base}/organisation/")
    founder_page.fill("#id_email", cousin.email)
    founder_page.click("button:has-text('Send invitation')")
    founder_page.wait_for_selector("text=cousin@example.org")
    _shot(founder_page, "24-organisation-invitation-pending")

    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    cousin_page = _log_in(browser, base, cousin)
    cousin_page.goto(link)
    _shot(cousin_page, "25-invitation")
    assert "The Okafor family" in cousin_page.inner_text("main")
    cousin_page.click("button:has-text('Accept')")
    cousin_page.goto(f"{base}/organisation/")
    _shot(cousin_page, "26-organisation-joined")
    members = cousin_page.inner_text("main")
    assert member.username in members and cousin.username in members
