"""Forged evidence proves nothing: a manifest we did not sign (or whose signature fails) that
names one of our clips links no record, and our watermark on a picture that is not the clip it
names is called out, never "made here". Our own clip, intact or re-encoded, still is ours."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from jobs import clip_services
from tests.forgery import (
    break_claim_signature,
    cat_png,
    repaint,
    sign_naming,
    watermarked_cat_png,
)
from tests.media_samples import reencode_mp4

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def clip(finished_clip, member):
    clip_services.clip_publish(
        clip=finished_clip, user=member
    )  # "published, with consent in force"
    finished_clip.refresh_from_db()
    return finished_clip


@pytest.fixture
def other_ca(tmp_path):
    """Someone else's CA and signing certificate, made here: valid C2PA, not our root."""
    from provenance.keys import create_local_chain

    return create_local_chain(tmp_path / "other-ca", organization="Someone Else Ltd")


def _verify(content: bytes, name: str) -> dict:
    response = APIClient().post(
        "/api/verify/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _assert_links_nothing(result: dict, clip) -> None:
    findings = result["findings"]
    assert findings["record"] is None, findings
    text = str(findings)
    assert "consent in force" not in text
    assert "published" not in findings["headline"].lower()
    assert result["clip"] is None and "published" not in result["headline"].lower()
    assert result["ai_generated_basis"] != "our_record"  # a claim is never our record


def test_foreign_signature_naming_our_clip_links_no_record(clip, other_ca, tmp_path):
    picture = sign_naming(
        cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=other_ca,
        content_id=clip.content_id,
    )  # fmt: skip
    result = _verify(picture.read_bytes(), "signed.png")
    assert result["verdict"] == "signed_by_other"
    assert result["findings"]["headline"] == "Signed by someone else."
    _assert_links_nothing(result, clip)
    credentials = result["findings"]["credentials"]
    assert credentials["claims_content_id"] == clip.content_id  # shown as their claim
    assert credentials["claim_is_ours"] is False
    page = APIClient().get(result["permalink"]).content.decode()
    assert "their claim, not checked by us" in page
    assert "See the published clip" not in page


def test_a_binding_under_another_algorithm_names_no_clip(clip, other_ca, tmp_path):
    picture = sign_naming(
        cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=other_ca,
        content_id=clip.content_id, alg="org.example.other.v1",
    )  # fmt: skip
    result = _verify(picture.read_bytes(), "signed.png")
    assert result["findings"]["credentials"]["claims_content_id"] is None
    _assert_links_nothing(result, clip)


def test_foreign_signature_with_broken_hash_links_no_record(clip, other_ca, tmp_path):
    picture = sign_naming(
        cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=other_ca,
        content_id=clip.content_id,
    )  # fmt: skip
    result = _verify(repaint(picture), "tampered.png")
    assert result["findings"]["credentials"]["status"] == "invalid"
    assert result["verdict"] == "signed_by_other"  # never "altered after it was made here"
    _assert_links_nothing(result, clip)


def test_our_certificate_on_a_forged_signature_is_not_ours(clip, tmp_path, settings):
    """Our certificate is public (every file we sign carries it): pasted onto a claim whose
    signature fails, it must not make the claim ours."""
    from config import credentials
    from provenance.keys import LocalChain

    keys = Path(settings.PROVENANCE_KEYS_DIR)
    credentials.trust_config()  # makes the local chain if this session has none yet
    ours = LocalChain(keys / "root.pem", keys / "signer.pem", keys / "signer.key")
    signed = sign_naming(
        cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=ours,
        content_id=clip.content_id,
    )  # fmt: skip
    result = _verify(break_claim_signature(signed.read_bytes()), "forged.png")
    assert result["findings"]["credentials"]["status"] == "invalid"
    assert "claimSignature.mismatch" in result["findings"]["credentials"]["failure_codes"]
    assert result["findings"]["credentials"]["signed_by_us"] is False
    assert result["verdict"] != "altered"
    _assert_links_nothing(result, clip)


def test_our_watermark_on_another_picture_is_called_out(clip, tmp_path):
    from config import credentials

    marked = watermarked_cat_png(clip.content_id, key=credentials.watermark_key())
    result = _verify(marked, "marked-cat.png")
    findings = result["findings"]
    assert findings["watermark"]["content_id"] == clip.content_id  # the mark is real...
    assert result["verdict"] == "watermark_not_clip", findings  # ...the picture is not the clip
    assert findings["watermark"]["matches_picture"] is False
    assert "edited or forged" in findings["explanation"]
    _assert_links_nothing(result, clip)
    page = APIClient().get(result["permalink"]).content.decode()
    assert "The watermark says" in page
    assert "See the published clip" not in page


def test_our_clip_is_still_ours(clip, tmp_path):
    intact = _verify(Path(clip.video.path).read_bytes(), "clip.mp4")
    assert intact["verdict"] == "made_here_intact"
    assert intact["findings"]["record"]["content_id"] == clip.content_id
    assert intact["findings"]["record"]["public"] is True

    poster = _verify(Path(clip.poster.path).read_bytes(), "poster.png")
    assert poster["verdict"] == "made_here_intact"

    # Our poster with a changed pixel: our signature, our watermark, our fingerprint agree.
    altered = _verify(repaint(Path(clip.poster.path)), "poster.png")
    assert altered["verdict"] == "altered", altered["findings"]
    assert altered["findings"]["record"]["content_id"] == clip.content_id

    reencoded = _verify(
        reencode_mp4(clip.video.path, tmp_path / "copy.mp4").read_bytes(), "copy.mp4"
    )
    assert reencoded["verdict"] == "made_here_stripped", reencoded["findings"]
    assert reencoded["findings"]["record"]["content_id"] == clip.content_id
    assert {"watermark", "fingerprint"} <= set(reencoded["findings"]["record"]["matched_by"])

    jpeg = io.BytesIO()
    Image.open(clip.poster.path).convert("RGB").save(jpeg, format="JPEG", quality=85)
    still = _verify(jpeg.getvalue(), "poster.jpg")
    assert still["verdict"] == "made_here_stripped", still["findings"]
    assert still["findings"]["record"]["content_id"] == clip.content_id
