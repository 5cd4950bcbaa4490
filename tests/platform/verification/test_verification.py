"""Public verification: every verdict on real files made by the pipeline, the permalink, and
refusals that are clear 4xx answers (the C2PA Soft Binding Resolution API:
test_soft_binding_conformance.py)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from core.actors import Actor
from jobs import clip_services
from jobs.models import Clip
from tests.media_samples import reencode_mp4
from verification.models import Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(finished_clip):
    return finished_clip


def _unrelated_clip(dst: Path) -> Path:
    from skimage import data

    image = np.ascontiguousarray(data.chelsea()[:256, :256])
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.roll(image, i, axis=1), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


def _verify(client, path_or_bytes, name="copy.mp4"):
    content = (
        path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    )
    return client.post(
        "/api/verify/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_every_verdict_on_real_files(clip, tmp_path, private_files):
    from provenance.keys import create_local_chain
    from provenance.manifest import ClaimInfo, SigningConfig, sign_media

    api = APIClient()
    stored_before = private_files()

    intact = _verify(api, clip.video.path).json()
    assert intact["verdict"] == "made_here_intact"
    assert intact["findings"]["record"]["content_id"] == clip.content_id
    assert intact["findings"]["record"]["status"] == "private"
    assert intact["findings"]["credentials"]["ai_generated"] is True
    assert intact["findings"]["watermark"]["content_id"] == clip.content_id

    stripped_path = reencode_mp4(clip.video.path, tmp_path / "reencoded.mp4")
    stripped = _verify(api, stripped_path).json()
    assert stripped["verdict"] == "made_here_stripped", stripped["findings"]
    assert stripped["findings"]["credentials"]["present"] is False
    assert stripped["findings"]["record"]["content_id"] == clip.content_id

    # 64 flipped bytes anywhere in the media data: altered, and the watermark still names the
    # clip (damaged packets are skipped, as a player would), never "unreadable".
    original = Path(clip.video.path).read_bytes()
    for share in (0.2, 0.4, 0.6, 0.8, 0.95):
        tampered = bytearray(original)
        start = int(len(tampered) * share)
        tampered[start : start + 64] = bytes(b ^ 0xFF for b in tampered[start : start + 64])
        altered = _verify(api, bytes(tampered)).json()
        assert altered.get("verdict") == "altered", (share, altered)
        failures = altered["findings"]["credentials"]["failure_codes"]
        assert any("mismatch" in code for code in failures), (share, failures)
        assert altered["findings"]["watermark"]["content_id"] == clip.content_id, share

    other = create_local_chain(tmp_path / "other", organization="Someone Else Ltd")
    resigned_path = tmp_path / "resigned.mp4"
    sign_media(
        stripped_path,
        resigned_path,
        claim=ClaimInfo(generator_name="<script>alert('x')</script>", generator_version="1"),
        signing=SigningConfig.from_local_chain(other),
    )
    resigned = _verify(api, resigned_path).json()
    assert resigned["verdict"] == "signed_by_other"
    assert resigned["findings"]["credentials"]["trusted"] is False
    page = APIClient().get(resigned["permalink"])
    assert b"<script>alert" not in page.content
    assert b"&lt;script&gt;alert" in page.content

    unrelated = _verify(api, _unrelated_clip(tmp_path / "cat.mp4")).json()
    assert unrelated["verdict"] == "no_sign"
    assert unrelated["findings"]["record"] is None
    assert "does not prove" in unrelated["findings"]["explanation"]

    poster = _verify(api, clip.poster.path, name="poster.png").json()
    assert poster["verdict"] == "made_here_intact"
    assert poster["media_type"] == "image/png"

    assert private_files() == stored_before, "verified files are never kept"
    assert Verification.objects.count() == 10  # one per file checked above


def test_taken_down_and_revoked_clips_say_so(clip, member):
    api = APIClient()
    clip_services.clip_publish(clip=clip, user=member)
    assert _verify(api, clip.video.path).json()["findings"]["record"]["status"] == "published"
    clip_services.clip_take_down(clip=clip, actor=Actor.system("moderator"), reason="impersonation")
    result = _verify(api, clip.video.path).json()
    assert result["findings"]["record"]["status"] == "taken_down"
    page = api.get(result["permalink"])
    assert b"Our moderators took it down." in page.content


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (b"", 400, "empty"),
        (b"just text, not media", 415, "MP4 videos and JPEG or PNG"),
        (b"GIF89a\x01\x00\x01\x00", 415, "MP4"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500, 400, "could not be read"),
        (b"\xff\xd8\xff\xe0" + b"broken jpeg", 400, "could not be read"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(content, status, words, private_files):
    response = _verify(APIClient(), content, name="x.mp4")
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert Verification.objects.count() == 0 and private_files() == []


def test_size_limit(settings):
    settings.VERIFY_MAX_BYTES = 1000
    response = _verify(APIClient(), b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000)
    assert (
        response.status_code == 413 and "verification limit" in response.json()["error"]["message"]
    )


def test_page_flow_and_permalink(clip, client, settings):
    response = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("c.mp4", Path(clip.video.path).read_bytes())}
    )
    assert response.status_code == 302
    result = client.get(response.url)
    assert b"Made here, with its Content Credentials intact." in result.content
    assert b"Report misuse" in result.content
    refused = client.post(reverse("verify"), {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert refused.status_code == 415 and b"MP4 videos" in refused.content
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": "0/min"}
    throttled = client.post(reverse("verify"), {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert throttled.status_code == 429


def test_public_clip_status_api(clip):
    status = APIClient().get(f"/api/clips/{clip.content_id}/").json()
    assert status["status"] == "private" and "manifest" not in status
    assert APIClient().get("/api/clips/0000000000000000/").status_code == 404


def test_clip_status_labels_cover_every_state():
    from verification.verdicts import RECORD_STATUS_WORDS

    assert set(RECORD_STATUS_WORDS) == set(Clip.Status.values)
