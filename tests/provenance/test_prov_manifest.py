"""C2PA signing, reading and trust classification (issue items 1-3, 8)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from provenance import manifest as m
from provenance import media
from provenance.keys import load_private_key, sign_es256_raw
from tests.provenance.claims import CONSENT, sample_claim


def _claim() -> m.ClaimInfo:
    return sample_claim(m.WatermarkBinding("com.likeness.ssw.v1", "00112233aabbccdd"))


def _trust(chain, extra=None) -> m.TrustConfig:
    return m.TrustConfig.from_paths(chain.root_cert, extra)


@pytest.mark.parametrize("kind", ["mp4", "png", "jpeg"])
def test_sign_and_read_back_is_ours(kind, request, tmp_path, chain):
    src = request.getfixturevalue(kind)
    dst = tmp_path / f"signed{Path(src).suffix}"
    result = m.sign_media(src, dst, claim=_claim(), signing=m.SigningConfig.from_local_chain(chain))
    assert result.path == dst and dst.exists()
    read = m.read_manifest(dst, _trust(chain))
    assert read.status is m.ManifestStatus.OURS_TRUSTED
    assert read.trusted and read.failure_codes == ()
    assert read.consent == CONSENT.as_dict()
    assert read.soft_binding == {"alg": "com.likeness.ssw.v1", "value": "00112233aabbccdd"}
    actions = read.assertions["c2pa.actions.v2"]["actions"]
    created = actions[0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == m.TRAINED_ALGORITHMIC_MEDIA
    models = created["parameters"]["com.likeness.models"]
    assert models == {"audio2motion": "1.2", "generator": "3.0"}
    assert [a["action"] for a in actions] == ["c2pa.created", m.WATERMARK_ACTION]
    assert actions[1]["parameters"] == {"com.likeness.alg": "com.likeness.ssw.v1"}
    assert read.assertions["cawg.training-mining"]["entries"]["cawg.ai_training"]["use"] == (
        "notAllowed"
    )
    assert {i["relationship"] for i in read.ingredients} == {"inputTo"}
    assert {i["instance_id"] for i in read.ingredients} == {
        "sha256:" + "11" * 32,
        "sha256:" + "22" * 32,
    }
    assert not any("thumbnail" in i for i in read.ingredients)
    # No personal metadata anywhere in the assertions.
    assert "name" not in str(read.assertions[m.CONSENT_LABEL])


def test_unsigned_file_has_no_manifest(mp4, png, chain):
    assert m.read_manifest(mp4, _trust(chain)).status is m.ManifestStatus.NO_MANIFEST
    assert m.read_manifest(png, _trust(chain)).status is m.ManifestStatus.NO_MANIFEST


def test_flipped_byte_in_mp4_media_data_is_tampered(mp4, tmp_path, chain):
    dst = tmp_path / "signed.mp4"
    m.sign_media(mp4, dst, claim=_claim(), signing=m.SigningConfig.from_local_chain(chain))
    raw = bytearray(dst.read_bytes())
    mdat = raw.find(b"mdat")
    assert mdat > 0
    raw[mdat + 200] ^= 0xFF
    dst.write_bytes(bytes(raw))
    read = m.read_manifest(dst, _trust(chain))
    assert read.status is m.ManifestStatus.INVALID
    assert "assertion.bmffHash.mismatch" in read.failure_codes


def test_flipped_pixel_byte_in_png_is_tampered(png, tmp_path, chain):
    dst = tmp_path / "signed.png"
    m.sign_media(png, dst, claim=_claim(), signing=m.SigningConfig.from_local_chain(chain))
    raw = bytearray(dst.read_bytes())
    idat = raw.find(b"IDAT")
    raw[idat + 100] ^= 0xFF
    dst.write_bytes(bytes(raw))
    read = m.read_manifest(dst, _trust(chain))
    assert read.status is m.ManifestStatus.INVALID
    assert "assertion.dataHash.mismatch" in read.failure_codes


def test_remux_strips_manifest(mp4, tmp_path, chain):
    dst = tmp_path / "signed.mp4"
    m.sign_media(mp4, dst, claim=_claim(), signing=m.SigningConfig.from_local_chain(chain))
    remuxed = media.remux(dst, tmp_path / "remuxed.mp4")
    assert m.read_manifest(remuxed, _trust(chain)).status is m.ManifestStatus.NO_MANIFEST


def test_other_signer_is_never_ours(mp4, tmp_path, chain, other_chain):
    dst = tmp_path / "resigned.mp4"
    m.sign_media(mp4, dst, claim=_claim(), signing=m.SigningConfig.from_local_chain(other_chain))
    untrusted = m.read_manifest(dst, _trust(chain))
    assert untrusted.status is m.ManifestStatus.OTHER_SIGNER
    assert untrusted.trusted is False
    assert untrusted.consent == CONSENT.as_dict()  # their claims are still reported
    # Trusted through the extra bundle (e.g. the C2PA trust list): still not ours.
    trusted = m.read_manifest(dst, _trust(chain, other_chain.root_cert))
    assert trusted.status is m.ManifestStatus.OTHER_SIGNER
    assert trusted.trusted is True


def test_self_signed_leaf_is_refused_or_never_ours(png, tmp_path, chain):
    """A self-signed end-entity certificate: c2pa refuses to sign with it, leaving nothing."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "self.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "self.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    dst = tmp_path / "self-signed.png"
    signing = m.SigningConfig(tmp_path / "self.pem", tmp_path / "self.key")
    try:
        m.sign_media(png, dst, claim=_claim(), signing=signing)
    except m.SigningError:
        assert not dst.exists()
        assert not list(tmp_path.glob(".*.signing"))
        return
    assert m.read_manifest(dst, _trust(chain)).status is not m.ManifestStatus.OURS_TRUSTED


def _png_chunks(raw: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        out.append((raw[pos + 4 : pos + 8], raw[pos : pos + 12 + length]))
        pos += 12 + length
    return out


def test_manifest_transplanted_onto_another_image_mismatches(tmp_path, chain, portrait):
    from PIL import Image

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(portrait[::2, ::2]).save(a)
    Image.fromarray(portrait[1::2, 1::2]).save(b)  # same size, other pixels
    signed = tmp_path / "a-signed.png"
    m.sign_media(a, signed, claim=_claim(), signing=m.SigningConfig.from_local_chain(chain))
    manifest_chunk = next(c for t, c in _png_chunks(signed.read_bytes()) if t == b"caBX")
    target = b.read_bytes()
    chunks = _png_chunks(target)
    ihdr_end = 8 + len(chunks[0][1])
    (tmp_path / "b-transplant.png").write_bytes(
        target[:ihdr_end] + manifest_chunk + target[ihdr_end:]
    )
    read = m.read_manifest(tmp_path / "b-transplant.png", _trust(chain))
    assert read.status is m.ManifestStatus.INVALID
    assert "assertion.dataHash.mismatch" in read.failure_codes


def test_callback_signer_for_hsm(jpeg, tmp_path, chain):
    key = load_private_key(chain.key)
    calls = []

    def hsm(data: bytes) -> bytes:
        calls.append(len(data))
        return sign_es256_raw(key, data)

    dst = tmp_path / "hsm.jpg"
    m.sign_media(jpeg, dst, claim=_claim(), signing=m.SigningConfig(chain.chain, callback=hsm))
    assert calls
    assert m.read_manifest(dst, _trust(chain)).status is m.ManifestStatus.OURS_TRUSTED


def test_failed_signing_leaves_nothing_behind(png, tmp_path, chain, other_chain):
    dst = tmp_path / "out.png"
    # Chain of one CA, key of another: the signature cannot verify.
    bad = m.SigningConfig(chain.chain, other_chain.key)
    with pytest.raises(m.SigningError):
        m.sign_media(png, dst, claim=_claim(), signing=bad)
    assert not dst.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_configuration_errors_are_clear(tmp_path, chain):
    with pytest.raises(ValueError, match="exactly one"):
        m.SigningConfig(chain.chain)
    with pytest.raises(ValueError, match="tsa_url"):
        m.SigningConfig(chain.chain, chain.key, tsa_url="ftp://x")
    with pytest.raises(ValueError, match="unsupported media type"):
        m.mime_for_path(tmp_path / "x.gif")


def test_keygen_refuses_to_overwrite(chain):
    from provenance.keys import create_local_chain

    with pytest.raises(FileExistsError):
        create_local_chain(chain.root_cert.parent)
    assert oct(chain.key.stat().st_mode & 0o777) == "0o600"
