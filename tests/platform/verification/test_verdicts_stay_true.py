"""Verdicts that stay true: a permalink reads its clip's status now (and keeps what it was when
verified), the headline leads with a withdrawal or a takedown for any file linked to one of our
clips, and the page and the JSON agree on every verdict, ``ai_generated`` included."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from consent.services import consent_revoke
from core.actors import Actor
from jobs import clip_services
from jobs.models import Clip
from tests.forgery import (
    break_claim_signature,
    cat_png,
    sign_naming,
    watermarked_cat_png,
)
from tests.media_samples import reencode_mp4
from verification.models import Verification
from verification.verdicts import (
    HEADLINES,
    WITHDRAWN_HEADLINES,
    AiBasis,
    ai_generated_for,
    headline_for,
)

Verdict = Verification.Verdict
INTACT = "Made here, with its Content Credentials intact."
REVOKED = "Made here, and its consent was withdrawn: do not share"
TAKEN_DOWN = "Made here, and taken down by our moderators: do not share"


# ------------------------------------------------------------------ pure rules
@pytest.mark.parametrize("status", [*Clip.Status.values, None])
def test_the_headline_leads_with_a_withdrawal_or_takedown(status):
    for verdict in Verdict.values:
        headline = headline_for(verdict, clip_status=status)
        if status == "consent_revoked":
            assert headline.startswith(REVOKED), verdict
        elif status == "taken_down":
            assert headline.startswith(TAKEN_DOWN), verdict
        else:
            assert headline == HEADLINES[verdict]


def test_withdrawn_headlines_name_clip_states():
    assert set(WITHDRAWN_HEADLINES) == {Clip.Status.CONSENT_REVOKED, Clip.Status.TAKEN_DOWN}


OURS = {"present": True, "signed_by_us": True, "status": "ours_trusted", "ai_generated": True}
THEIRS = {"present": True, "signed_by_us": False, "status": "other_signer", "ai_generated": True}


@pytest.mark.parametrize(
    ("linked", "credentials", "expected"),
    [
        (True, {"present": False, "ai_generated": False}, (True, AiBasis.OUR_RECORD)),  # stripped
        (True, {**THEIRS, "ai_generated": False}, (True, AiBasis.OUR_RECORD)),  # re-signed
        (False, OURS, (True, AiBasis.OUR_CREDENTIALS)),
        (False, {**OURS, "status": "invalid"}, (True, AiBasis.THEIR_CLAIM)),
        (False, THEIRS, (True, AiBasis.THEIR_CLAIM)),
        (False, {**THEIRS, "status": "invalid"}, (True, AiBasis.THEIR_CLAIM)),
        (False, {**THEIRS, "ai_generated": False}, (None, None)),  # not claimed is not "no"
        (False, {"present": False, "ai_generated": False}, (None, None)),  # an older result
        (False, {"present": False, "ai_generated": None}, (None, None)),
        (False, {"status": "other_signer", "present": True}, (None, None)),  # claims cut
        (False, None, (None, None)),
    ],
)
def test_ai_generated_rests_on_the_strongest_evidence(linked, credentials, expected):
    assert ai_generated_for(linked=linked, credentials=credentials) == expected


# ------------------------------------------------------------------ pages and JSON
class _ById(HTMLParser):
    """Each element with an id: its attributes and its text (with its children's)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.found[attributes["id"]] = {**attributes, "text": ""}
        if tag not in {"br", "img", "input", "meta", "link", "source"}:
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id is not None:
                self.found[element_id]["text"] += data


def _page(url: str) -> tuple[dict[str, dict], str]:
    response = APIClient().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    parser = _ById()
    parser.feed(html)
    return parser.found, html


def _text(element: dict) -> str:
    return " ".join(element["text"].split())


def _verify(content: bytes, name: str) -> dict:
    response = APIClient().post(
        "/api/verify/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _permalink_json(result: dict) -> dict:
    return APIClient().get(f"/api/verify/{result['id']}/").json()


def _assert_page_agrees(result: dict) -> dict[str, dict]:
    """The permalink page says what the JSON says: headline, AI answer, the clip's status."""
    page, html = _page(result["permalink"])
    assert page["verdict"]["data-verdict"] == result["verdict"]
    assert _text(page["verdict-headline"]) == result["headline"]
    expected_ai = {True: "true", None: "unknown"}[result["ai_generated"]]
    mark = result["findings"]["watermark"]
    if mark["detected"]:  # the odds of a false reading, not a "confidence 1.0" rounded to nothing
        assert 0 < mark["false_detection_bound"] < 1e-7
        assert f"1 in {round(1 / mark['false_detection_bound']):,}" in " ".join(html.split())
    else:
        assert mark["false_detection_bound"] is None
    assert page["ai-generated"]["data-ai-generated"] == expected_ai
    clip = result["clip"]
    if clip is None:
        assert "clip-status-now" not in page and "clip-status-then" not in page
    else:
        assert page["clip-status-now"]["data-status"] == clip["status"]
        assert page["clip-status-then"]["data-status"] == clip["status_when_verified"]
        assert clip["status_words"] in _text(page["clip-status-now"])
        public_path = f"/c/{clip['content_id']}/"
        if clip["public_url"] is None:
            assert "public-clip-link" not in page and f'href="{public_path}"' not in html
        else:
            assert clip["public_url"].endswith(public_path)
            assert page["public-clip-link"]["href"] == public_path
    return page


def _take_down(clip, member):
    clip_services.clip_take_down(clip=clip, actor=Actor.system("moderator"), reason="impersonation")


def _revoke(clip, member):
    consent_revoke(consent=clip.consent, actor=Actor.grantor(clip.consent_id), reason="no more")


def _unpublish(clip, member):
    clip_services.clip_unpublish(clip=clip, user=member)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "headline"),
    [
        (_take_down, "taken_down", TAKEN_DOWN),
        (_revoke, "consent_revoked", REVOKED),
        (_unpublish, "unpublished", INTACT),
    ],
    ids=["taken_down", "consent_revoked", "unpublished"],
)
def test_a_permalink_shows_the_status_now_and_when_verified(
    finished_clip, member, change, status, headline
):
    clip_services.clip_publish(clip=finished_clip, user=member)
    verified = _verify(Path(finished_clip.video.path).read_bytes(), "clip.mp4")
    assert verified["headline"] == INTACT
    assert verified["clip"]["status"] == verified["clip"]["status_when_verified"] == "published"
    assert verified["clip"]["public_url"] is not None
    _assert_page_agrees(verified)

    change(finished_clip, member)
    now = _permalink_json(verified)
    assert now["clip"]["status"] == status
    assert now["clip"]["status_when_verified"] == "published"
    assert now["clip"]["public_url"] is None  # its public page is gone: never linked
    assert now["headline"].startswith(headline)
    assert now["ai_generated"] is True and now["ai_generated_basis"] == "our_record"
    assert now["findings"]["record"]["status"] == "published"  # the findings, as verified
    page = _assert_page_agrees(now)
    assert "has changed since" in _text(page["clip-status-then"])
    if headline != INTACT:  # the evidence's own verdict stays on the page, under the headline
        assert _text(page["verdict-evidence"]) == INTACT


@pytest.mark.django_db
def test_a_reencoded_copy_of_a_revoked_clip_is_headlined_revoked(finished_clip, tmp_path):
    _revoke(finished_clip, None)
    copy = reencode_mp4(finished_clip.video.path, tmp_path / "copy.mp4")
    result = _verify(copy.read_bytes(), "copy.mp4")
    assert result["verdict"] == "made_here_stripped", result["findings"]
    assert result["headline"].startswith(REVOKED)
    assert result["findings"]["headline"] == result["headline"]  # so it was when verified
    assert result["clip"]["status"] == result["clip"]["status_when_verified"] == "consent_revoked"
    # No manifest left, but our record says it is ours, and every clip we make is AI-generated.
    assert result["findings"]["credentials"]["present"] is False
    assert result["findings"]["credentials"]["ai_generated"] is None
    assert result["ai_generated"] is True and result["ai_generated_basis"] == "our_record"
    page = _assert_page_agrees(result)
    assert "credentials were stripped" in _text(page["verdict-evidence"])


def _intact(clip, tmp_path, chain) -> tuple[bytes, str]:
    return Path(clip.video.path).read_bytes(), "clip.mp4"


def _stripped(clip, tmp_path, chain) -> tuple[bytes, str]:
    return reencode_mp4(clip.video.path, tmp_path / "copy.mp4").read_bytes(), "copy.mp4"


def _altered(clip, tmp_path, chain) -> tuple[bytes, str]:
    tampered = bytearray(Path(clip.video.path).read_bytes())
    start = int(len(tampered) * 0.4)
    tampered[start : start + 64] = bytes(b ^ 0xFF for b in tampered[start : start + 64])
    return bytes(tampered), "altered.mp4"


def _signed_by_other(clip, tmp_path, chain) -> tuple[bytes, str]:
    cat = cat_png(tmp_path / "cat.png")
    signed = sign_naming(cat, tmp_path / "signed.png", chain=chain, content_id=clip.content_id)
    return signed.read_bytes(), "signed.png"


def _broken(clip, tmp_path, chain) -> tuple[bytes, str]:
    signed, _name = _signed_by_other(clip, tmp_path, chain)
    return break_claim_signature(signed), "broken.png"


def _no_sign(clip, tmp_path, chain) -> tuple[bytes, str]:
    return cat_png(tmp_path / "cat.png").read_bytes(), "cat.png"


def _watermark_not_clip(clip, tmp_path, chain) -> tuple[bytes, str]:
    from config import credentials

    return watermarked_cat_png(clip.content_id, key=credentials.watermark_key()), "marked.png"


# verdict: (the file, whether it links our clip, ai_generated, its basis)
CASES = {
    Verdict.MADE_HERE: (_intact, True, True, "our_record"),
    Verdict.STRIPPED: (_stripped, True, True, "our_record"),
    Verdict.ALTERED: (_altered, True, True, "our_record"),
    Verdict.OTHER_SIGNER: (_signed_by_other, False, True, "their_claim"),
    Verdict.BROKEN: (_broken, False, True, "their_claim"),  # a broken claim, still theirs
    Verdict.NO_SIGN: (_no_sign, False, None, None),
    Verdict.MARK_NOT_CLIP: (_watermark_not_clip, False, None, None),
}


def test_every_verdict_is_covered():
    assert set(CASES) == set(Verdict.values)


@pytest.fixture
def other_chain(tmp_path):
    from provenance.keys import create_local_chain

    return create_local_chain(tmp_path / "other-ca", organization="Someone Else Ltd")


@pytest.mark.django_db
@pytest.mark.parametrize("verdict", list(CASES), ids=[str(v) for v in CASES])
def test_page_and_json_agree_on_every_verdict(
    finished_clip, member, tmp_path, other_chain, verdict
):
    make, linked, ai_generated, basis = CASES[verdict]
    clip_services.clip_publish(clip=finished_clip, user=member)
    content, name = make(finished_clip, tmp_path, other_chain)
    verified = _verify(content, name)
    assert verified["verdict"] == verdict, verified["findings"]
    assert (verified["ai_generated"], verified["ai_generated_basis"]) == (ai_generated, basis)
    assert (verified["clip"] is not None) == linked
    assert verified["headline"] == HEADLINES[verdict]
    _assert_page_agrees(verified)

    _revoke(finished_clip, member)  # after verification: the linked ones now lead with it
    now = _permalink_json(verified)
    assert now["headline"].startswith(REVOKED) if linked else now["headline"] == HEADLINES[verdict]
    assert (now["ai_generated"], now["ai_generated_basis"]) == (ai_generated, basis)
    _assert_page_agrees(now)
