"""The interoperability stage: a real job's signed clip and poster, and a JPEG signed with the
job's own claim, read by two C2PA implementations independent of c2pa-python
(``tools/interop/validate.mjs``: @trustnxt/c2pa-ts, pure TypeScript, and
@contentauth/c2pa-wasm, c2pa-rs built to WebAssembly). Any validation failure code other than
the expected ones below fails the stage, and a flipped byte in the media must be reported."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "interop"
ARTIFACTS = ROOT / "test-artifacts" / "interop"
READERS = ("c2pa-ts", "c2pa-wasm")
KINDS = {"mp4": "video/mp4", "png": "image/png", "jpeg": "image/jpeg"}
# The hard binding each kind carries: a BMFF hash for MP4, a data hash for PNG and JPEG.
HASH_CODE = {"video/mp4": "assertion.bmffHash", "image/png": "assertion.dataHash"}
HASH_CODE["image/jpeg"] = HASH_CODE["image/png"]
# Assertions of ours that both readers must see.
OUR_ASSERTIONS = ("c2pa.soft-binding", "com.likeness.consent", "cawg.training-mining")

# Failure codes each reader may report on our intact outputs, and why. Anything else fails.
# None today: c2pa-wasm is given our root as its trust anchor (so no
# `signingCredential.untrusted`), and c2pa-ts checks no chain of trust at all.
EXPECTED_FAILURES: dict[str, frozenset[str]] = {
    "c2pa-ts": frozenset(),
    "c2pa-wasm": frozenset(),
}
# Informational codes (c2pa-rs only; c2pa-ts reports success or failure) that we expect:
EXPECTED_INFORMATIONAL: dict[str, frozenset[str]] = {
    "c2pa-ts": frozenset(),
    "c2pa-wasm": frozenset(
        {
            # Our signing certificate names no OCSP responder, and the reader is offline.
            "signingCredential.ocsp.skipped",
            # MP4: c2pa-rs's BMFF hash (what c2pa-python writes) excludes more boxes than the
            # spec's minimum; the reader notes it. PNG and JPEG never report it.
            "assertion.bmffHash.additionalExclusionsPresent",
        }
    ),
}


def interop_read(path: Path, mime: str, trust_anchors: Path) -> dict:
    """Both readers' report on one file (see tools/interop/validate.mjs)."""
    node = shutil.which("node")
    if node is None or not (TOOL / "node_modules").is_dir():
        message = "node or tools/interop/node_modules is missing (scripts/install installs them)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    result = subprocess.run(
        [node, str(TOOL / "validate.mjs"), str(path), mime, str(trust_anchors)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for name in READERS:
        assert not report["readers"][name].get("error"), report["readers"][name]
    return report


def codes(reader: dict, kind: str) -> set[str]:
    return {entry["code"] for entry in reader.get(kind, [])}


def unexpected_failures(report: dict) -> dict[str, set[str]]:
    """Per reader, the failure codes not on the expected list (empty when all is well)."""
    return {
        name: codes(report["readers"][name], "failure") - EXPECTED_FAILURES[name]
        for name in READERS
    }


def mdat_payload_offset(data: bytes) -> int:
    """Where the first top-level `mdat` box's payload starts."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        elif size == 0:
            size = len(data) - offset
        if kind == b"mdat":
            return offset + header
        offset += size
    raise AssertionError("no mdat box")


@pytest.fixture
def job_outputs(request, monkeypatch, tmp_path) -> dict[str, Path]:
    """A real job's signed MP4 and PNG poster, a JPEG of the poster signed with the claim the
    job signed its poster with (the product signs no JPEG of its own), and our trust root."""
    from config import credentials
    from provenance import manifest

    claims = []
    sign_media = manifest.sign_media

    def recording_sign_media(*args, **kwargs):
        claims.append(kwargs["claim"])
        return sign_media(*args, **kwargs)

    monkeypatch.setattr(manifest, "sign_media", recording_sign_media)
    clip = request.getfixturevalue("finished_clip")
    assert claims, "the job signed nothing through provenance.manifest.sign_media"
    unsigned_jpeg = tmp_path / "poster-unsigned.jpg"
    with Image.open(clip.poster.path) as poster:
        poster.convert("RGB").save(unsigned_jpeg, format="JPEG", quality=90)
    jpeg = tmp_path / "poster.jpg"
    poster_claim = claims[-1]  # the job signs the clip, then the poster
    sign_media(unsigned_jpeg, jpeg, claim=poster_claim, signing=credentials.signing_config())
    root = tmp_path / "root.pem"
    root.write_text(credentials.trust_config().our_root_pem)
    return {"mp4": Path(clip.video.path), "png": Path(clip.poster.path), "jpeg": jpeg, "root": root}


def soft_assertion_labels(reader: dict) -> set[str]:
    """The assertions a reader lists, the hard binding aside (c2pa-rs does not list a data
    hash): both readers must see the same ones."""
    return {a for a in reader.get("assertions", []) if not a.startswith("c2pa.hash.")}


def reader_problems(report: dict, name: str) -> list[str]:
    """What is wrong with one reader's view of one intact file of ours (empty when nothing)."""
    from animation import __version__ as animation_version

    reader = report["readers"][name]
    if not reader["manifest_found"]:
        return ["no manifest found"]
    problems = []
    generator = reader.get("claim_generator")
    if generator != {"name": settings.GENERATOR_NAME, "version": animation_version}:
        problems.append(f"claim generator {generator}")
    if failed := unexpected_failures(report)[name]:
        problems.append(f"failure codes {sorted(failed)}")
    if extra := codes(reader, "informational") - EXPECTED_INFORMATIONAL[name]:
        problems.append(f"unexpected informational codes {sorted(extra)}")
    needed = {"claimSignature.validated", HASH_CODE[report["mime"]] + ".match"}
    if name == "c2pa-wasm":  # the only one that checks the chain, against our root
        needed.add("signingCredential.trusted")
        if reader.get("validation_state") != "Trusted":
            problems.append(f"validation state {reader.get('validation_state')}")
    if name == "c2pa-ts" and reader.get("gathered_assertions"):  # c2pa-rs's JSON does not tell
        # The signer vouches only for created assertions (C2PA 2.2, 10.2.2): ours all are.
        problems.append(f"gathered assertions {reader['gathered_assertions']}")
    if missing := needed - codes(reader, "success"):
        problems.append(f"success codes missing {sorted(missing)}")
    problems += [
        f"no {label} assertion"
        for label in OUR_ASSERTIONS
        if label not in reader.get("assertions", [])
    ]
    return problems


def test_job_outputs_validate_with_both_independent_readers(job_outputs):
    problems = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, mime in KINDS.items():
        report = interop_read(job_outputs[kind], mime, job_outputs["root"])
        (ARTIFACTS / f"{kind}.json").write_text(json.dumps(report, indent=2))
        for name in READERS:
            problems += [f"{kind} / {name}: {p}" for p in reader_problems(report, name)]
        labels = [soft_assertion_labels(report["readers"][name]) for name in READERS]
        if labels[0] != labels[1]:
            problems.append(f"{kind}: the readers disagree on the assertions: {labels}")
    assert not problems, "\n".join(problems)


def test_a_flipped_media_byte_fails_the_stage(job_outputs, tmp_path):
    """The stage can fail: a byte flipped in the clip's media data (the mdat box) is reported
    as a BMFF hash mismatch by both readers, and one in the poster's pixels as a data hash
    mismatch."""
    clip = bytearray(job_outputs["mp4"].read_bytes())
    clip[mdat_payload_offset(clip) + 100] ^= 0xFF
    (tmp_path / "tampered.mp4").write_bytes(clip)
    poster = bytearray(job_outputs["png"].read_bytes())
    poster[poster.index(b"IDAT") + 100] ^= 0xFF
    (tmp_path / "tampered.png").write_bytes(poster)
    for path, mime in (
        (tmp_path / "tampered.mp4", "video/mp4"),
        (tmp_path / "tampered.png", "image/png"),
    ):
        report = interop_read(path, mime, job_outputs["root"])
        expected = HASH_CODE[mime] + ".mismatch"
        for name, failed in unexpected_failures(report).items():
            assert report["readers"][name]["manifest_found"], (path.name, name)
            assert expected in failed, (path.name, name, report["readers"][name]["failure"])
