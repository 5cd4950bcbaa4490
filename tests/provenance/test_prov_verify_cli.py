"""Fingerprint, verify() and the command line, end to end (issue items 5, 6, 8)."""

from __future__ import annotations

import json

import numpy as np
from skimage import data

from provenance import bench, media
from provenance import fingerprint as fp
from provenance import manifest as m
from provenance.__main__ import main
from provenance.verify import verify
from provenance.watermark import ALG, Watermarker

PAYLOAD = 0x0123456789ABCDEF


def test_fingerprint_survives_reencode_and_scale_not_unrelated(tmp_path):
    clip = bench.synth_clip(data.astronaut(), 20, seed=1)
    other = bench.synth_clip(data.coffee(), 20, seed=2)
    src = media.encode_video(clip, tmp_path / "a.mp4")
    a = fp.fingerprint(src)
    for attack in ("crf30", "down50", "bright+20"):
        b = fp.fingerprint(bench.apply_attack(attack, src, tmp_path / f"{attack}.mp4"))
        assert fp.fingerprint_distance(a, b) <= fp.MATCH_THRESHOLD, attack
    c = fp.fingerprint(media.encode_video(other, tmp_path / "c.mp4"))
    assert fp.fingerprint_distance(a, c) > fp.MATCH_THRESHOLD
    assert fp.Fingerprint.from_hex(a.to_hex()).bits.tolist() == a.bits.tolist()


def test_damaged_video_decodes_what_it_can_and_garbage_is_refused(tmp_path):
    import pytest

    frames = bench.synth_clip(data.astronaut(), 25, seed=3)
    src = media.encode_video(frames, tmp_path / "a.mp4", crf=23)
    raw = bytearray(src.read_bytes())
    for share in (0.3, 0.5, 0.7, 0.9):  # flipped bytes inside the media data
        start = int(len(raw) * share)
        raw[start : start + 48] = bytes(b ^ 0xFF for b in raw[start : start + 48])
        copy = tmp_path / f"damaged{share}.mp4"
        copy.write_bytes(bytes(raw))
        decoded = media.read_video_rgb(copy)
        assert 0 < len(decoded) <= len(frames) and decoded.shape[1:] == frames.shape[1:]
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(src.read_bytes()[:2000] + bytes(range(256)) * 64)
    with pytest.raises(media.MediaError):
        media.read_video_rgb(garbage)


def test_image_fingerprint(tmp_path):
    from PIL import Image

    img = data.astronaut()
    Image.fromarray(img[::2, ::2]).save(tmp_path / "small.jpg", quality=70)
    a, b = fp.fingerprint_image(img), fp.fingerprint(tmp_path / "small.jpg")
    assert fp.fingerprint_distance(a, b) <= fp.MATCH_THRESHOLD
    assert fp.fingerprint_distance(a, fp.fingerprint_image(data.rocket())) > fp.MATCH_THRESHOLD


def test_verify_signed_watermarked_clip_and_stripped_copy(tmp_path, chain):
    frames = Watermarker(PAYLOAD)(bench.synth_clip(data.astronaut(), 25, seed=4))
    clip = media.encode_video(frames, tmp_path / "clip.mp4")
    claim = m.ClaimInfo("likeness", "0.1.0", watermark=m.WatermarkBinding(ALG, f"{PAYLOAD:016x}"))
    signed = tmp_path / "signed.mp4"
    m.sign_media(clip, signed, claim=claim, signing=m.SigningConfig.from_local_chain(chain))
    trust = m.TrustConfig.from_paths(chain.root_cert)

    result = verify(signed, trust)
    assert result.manifest.status is m.ManifestStatus.OURS_TRUSTED
    assert result.watermark.detected and result.watermark.payload == PAYLOAD
    assert result.binding_consistent is True
    json.dumps(result.as_dict())  # plain data

    stripped = bench.apply_attack("crf30", signed, tmp_path / "reupload.mp4")
    copy = verify(stripped, trust)
    assert copy.manifest.status is m.ManifestStatus.NO_MANIFEST
    assert copy.watermark.payload == PAYLOAD
    assert fp.fingerprint_distance(result.fingerprint, copy.fingerprint) <= fp.MATCH_THRESHOLD


def test_cli_keygen_watermark_sign_verify(tmp_path, capsys):
    clip = media.encode_video(bench.synth_clip(data.astronaut(), 20, seed=5), tmp_path / "in.mp4")
    assert main(["keygen", str(tmp_path / "ca")]) == 0
    keys = json.loads(capsys.readouterr().out)
    marked = tmp_path / "marked.mp4"
    assert main(["watermark", str(clip), str(marked), "--payload", f"{PAYLOAD:x}"]) == 0
    capsys.readouterr()
    portrait = tmp_path / "portrait.jpg"
    from PIL import Image

    Image.fromarray(data.astronaut()).save(portrait)
    claim = tmp_path / "claim.json"
    claim.write_text(
        json.dumps(
            {
                "generator_name": "likeness",
                "generator_version": "0.1.0",
                "model_versions": {"generator": "1"},
                "consent": {
                    "consent_id": "c-1",
                    "scope": "public",
                    "assurance": "liveness",
                    "content_hash": "00" * 32,
                },
            }
        )
    )
    signed = tmp_path / "signed.mp4"
    args = ["sign", str(marked), str(signed), "--chain", keys["chain"], "--key", keys["key"]]
    args += [
        "--claim",
        str(claim),
        "--portrait",
        str(portrait),
        "--watermark-hex",
        f"{PAYLOAD:016x}",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["verify", str(signed), "--root", keys["root_cert"]]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["manifest"]["status"] == "ours_trusted"
    assert out["manifest"]["consent"]["consent_id"] == "c-1"
    assert out["watermark"]["detected"] and out["watermark"]["payload"] == f"{PAYLOAD:016x}"
    assert out["binding_consistent"] is True
    assert main(["detect", str(clip)]) == 0
    assert json.loads(capsys.readouterr().out)["detected"] is False


def test_cli_reports_bad_input(tmp_path, capsys):
    (tmp_path / "x.mp4").write_bytes(b"not a video")
    assert main(["detect", str(tmp_path / "x.mp4")]) == 2
    assert "error" in capsys.readouterr().err
    _ = np
