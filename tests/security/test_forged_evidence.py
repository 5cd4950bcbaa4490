"""Forged evidence proves nothing: a manifest we did not sign (or whose signature fails) that
names one of our clips links no record, and our watermark on a picture that is not the clip it
names is called out, never "made here". Our own clip, intact or re-encoded, still is ours."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from jobs import services
from PIL import Image
from rest_framework.test import APIClient

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def clip(
    member, consented_subject, portrait_upload, audio_upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(
            owner=member, subject=consented_subject, portrait=portrait_upload, audio=audio_upload,
            size=256,
        )  # fmt: skip
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    clip = job.clip
    services.clip_publish(clip=clip, user=member)  # "published, with consent in force"
    clip.refresh_from_db()
    return clip


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


def _cat_png(path: Path) -> Path:
    from skimage import data

    Image.fromarray(data.chelsea()[:256, :256]).save(path)
    return path


def _sign_naming(src: Path, dst: Path, *, chain, content_id: str) -> Path:
    """Sign ``src`` with ``chain``, its soft-binding assertion naming ``content_id``."""
    from provenance.binding import binding_value
    from provenance.manifest import ClaimInfo, SigningConfig, WatermarkBinding, sign_media
    from provenance.watermark import ALG

    claim = ClaimInfo(
        generator_name="Likeness",
        generator_version="1",
        watermark=WatermarkBinding(alg=ALG, value=binding_value(content_id)),
    )
    sign_media(src, dst, claim=claim, signing=SigningConfig.from_local_chain(chain))
    return dst


def _repaint(path: Path) -> bytes:
    """The PNG with a few pixels changed and its other chunks (the manifest) left in place, so
    it still decodes but no longer matches the hash its manifest signed."""
    raw = path.read_bytes()
    pixels = np.array(Image.open(io.BytesIO(raw)).convert("RGB"))
    pixels[:8, :8] = 255 - pixels[:8, :8]
    fresh = io.BytesIO()
    Image.fromarray(pixels).save(fresh, format="PNG")
    new_idat = b"".join(c for c in _chunks(fresh.getvalue()) if c[4:8] == b"IDAT")
    out, placed = [raw[:8]], False
    for chunk in _chunks(raw):
        if chunk[4:8] == b"IDAT":
            if not placed:
                out.append(new_idat)
                placed = True
            continue
        out.append(chunk)
    return b"".join(out)


def _chunks(png: bytes):
    at = 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        yield png[at : at + 12 + length]
        at += 12 + length


def _assert_links_nothing(result: dict, clip) -> None:
    findings = result["findings"]
    assert findings["record"] is None, findings
    text = str(findings)
    assert "consent in force" not in text
    assert "published" not in findings["headline"].lower()


def test_foreign_signature_naming_our_clip_links_no_record(clip, other_ca, tmp_path):
    picture = _sign_naming(
        _cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=other_ca,
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


def test_foreign_signature_with_broken_hash_links_no_record(clip, other_ca, tmp_path):
    picture = _sign_naming(
        _cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=other_ca,
        content_id=clip.content_id,
    )  # fmt: skip
    result = _verify(_repaint(picture), "tampered.png")
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
    signed = _sign_naming(
        _cat_png(tmp_path / "cat.png"), tmp_path / "signed.png", chain=ours,
        content_id=clip.content_id,
    )  # fmt: skip
    raw = bytearray(signed.read_bytes())
    box = raw.find(b"caBX")
    length = int.from_bytes(raw[box - 4 : box], "big")
    raw[box + 4 + length - 10] ^= 0x01  # inside the claim signature
    end = box + 4 + length
    raw[end : end + 4] = zlib.crc32(raw[box:end]).to_bytes(4, "big")  # a well-formed PNG still
    result = _verify(bytes(raw), "forged.png")
    assert result["findings"]["credentials"]["status"] == "invalid"
    assert "claimSignature.mismatch" in result["findings"]["credentials"]["failure_codes"]
    assert result["findings"]["credentials"]["signed_by_us"] is False
    assert result["verdict"] != "altered"
    _assert_links_nothing(result, clip)


def test_our_watermark_on_another_picture_is_called_out(clip, tmp_path):
    from skimage import data

    from config import credentials
    from provenance.watermark import Watermarker

    cat = np.ascontiguousarray(data.chelsea()[:256, :256])
    marked = Watermarker(int(clip.content_id, 16), key=credentials.watermark_key(), device="cpu")
    buffer = io.BytesIO()
    Image.fromarray(marked(cat[None])[0]).save(buffer, format="PNG")
    result = _verify(buffer.getvalue(), "marked-cat.png")
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
    altered = _verify(_repaint(Path(clip.poster.path)), "poster.png")
    assert altered["verdict"] == "altered", altered["findings"]
    assert altered["findings"]["record"]["content_id"] == clip.content_id

    reencoded = _verify(_reencode(clip.video.path, tmp_path / "copy.mp4"), "copy.mp4")
    assert reencoded["verdict"] == "made_here_stripped", reencoded["findings"]
    assert reencoded["findings"]["record"]["content_id"] == clip.content_id
    assert {"watermark", "fingerprint"} <= set(reencoded["findings"]["record"]["matched_by"])

    jpeg = io.BytesIO()
    Image.open(clip.poster.path).convert("RGB").save(jpeg, format="JPEG", quality=85)
    still = _verify(jpeg.getvalue(), "poster.jpg")
    assert still["verdict"] == "made_here_stripped", still["findings"]
    assert still["findings"]["record"]["content_id"] == clip.content_id


def _reencode(src: str, dst: Path) -> bytes:
    with av.open(src) as source, av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "23"})
        first = True
        for frame in source.decode(video=0):
            if first:
                stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
                first = False
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst.read_bytes()
