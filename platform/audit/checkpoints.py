"""Signed checkpoints of the audit chain: what is signed, how, and how anyone checks it.

A checkpoint states "event ``seq`` of the chain had hash ``hash`` at ``at``", signed with the
platform's signing key (the C2PA signer: ES256, ECDSA P-256 over SHA-256, raw r||s as COSE and
HSM callbacks give it). The signer's certificate chain travels with it, so an outsider can check
a copy against the trust root alone. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from core.canonical_json import canonical_json

ALGORITHM = "ES256"
PAYLOAD_VERSION = "likeness.audit-checkpoint.v1"


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as published (and as read back from someone's copy)."""

    seq: int
    hash: str
    at: str  # ISO 8601, microseconds, UTC
    signature: str  # base64 of the 64-byte r||s
    certificate_chain: str  # PEM, signer first

    @classmethod
    def from_dict(cls, data: dict[str, Any], certificates: dict[str, str]) -> SignedCheckpoint:
        certificate = str(data["certificate"])
        return cls(
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            at=str(data["at"]),
            signature=str(data["signature"]),
            certificate_chain=certificates.get(certificate, certificate),
        )


def checkpoint_payload(*, seq: int, head_hash: str, at: datetime | str) -> bytes:
    """The exact bytes signed: canonical JSON of the version, position, hash and time."""
    when = at if isinstance(at, str) else at.isoformat(timespec="microseconds")
    return canonical_json(
        {"v": PAYLOAD_VERSION, "seq": seq, "hash": head_hash, "at": when}
    ).encode()


def checkpoint_sign(payload: bytes, *, key_path: str | None, callback=None) -> str:
    """Sign with a PEM key file or an HSM/KMS callback returning raw r||s; returns base64."""
    if callback is not None:
        raw = callback(payload)
    else:
        from provenance.keys import load_private_key, sign_es256_raw

        raw = sign_es256_raw(load_private_key(key_path), payload)
    return base64.b64encode(raw).decode()


def certificate_id(chain_pem: str) -> str:
    """A short stable name for a certificate chain: the signer certificate's SHA-256."""
    return _chain(chain_pem)[0].fingerprint(hashes.SHA256()).hex()


def checkpoint_problem(checkpoint: SignedCheckpoint, *, trust_root_pem: str) -> str:
    """'' when the signature verifies with the checkpoint's certificate and that certificate
    chains to the trust root and was valid at the checkpoint's time; else what is wrong."""
    try:
        certs = _chain(checkpoint.certificate_chain)
        roots = _chain(trust_root_pem)
        raw = base64.b64decode(checkpoint.signature, validate=True)
        at = datetime.fromisoformat(checkpoint.at)
    except (ValueError, TypeError) as exc:
        return f"it cannot be read ({exc})"
    signer = certs[0]
    if len(raw) != 64:
        return "its signature is not a 64-byte ES256 signature"
    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return "its certificate holds no EC public key"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    payload = checkpoint_payload(seq=checkpoint.seq, head_hash=checkpoint.hash, at=checkpoint.at)
    try:
        public_key.verify(der, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "its signature does not verify (forged or altered)"
    if not signer.not_valid_before_utc <= at <= signer.not_valid_after_utc:
        return "it is dated outside its certificate's validity"
    if not _chains_to(certs, roots):
        return "its certificate does not chain to the trust root"
    return ""


def _chain(pem: str) -> list[x509.Certificate]:
    certs = x509.load_pem_x509_certificates(pem.encode())
    if not certs:
        raise ValueError("no certificate")
    return certs


def _chains_to(certs: list[x509.Certificate], roots: list[x509.Certificate]) -> bool:
    """Each certificate issued by the next, the last one issued by (or being) a root."""
    for child, parent in zip(certs, certs[1:], strict=False):
        if not _issued_by(child, parent):
            return False
    last = certs[-1]
    return any(last == root or _issued_by(last, root) for root in roots)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def checkpoints_document(checkpoints: list[SignedCheckpoint]) -> dict[str, Any]:
    """The public JSON: checkpoints plus each distinct certificate chain once."""
    certificates: dict[str, str] = {}
    rows = []
    for checkpoint in checkpoints:
        cert_id = certificate_id(checkpoint.certificate_chain)
        certificates.setdefault(cert_id, checkpoint.certificate_chain)
        rows.append(
            {
                "seq": checkpoint.seq,
                "hash": checkpoint.hash,
                "at": checkpoint.at,
                "signature": checkpoint.signature,
                "certificate": cert_id,
            }
        )
    return {
        "format": PAYLOAD_VERSION,
        "algorithm": ALGORITHM,
        "signed_payload": (
            'canonical JSON (sorted keys, no spaces) of {"v": format, "seq", "hash", "at"}; '
            "signature: base64 of ECDSA P-256 SHA-256 r||s"
        ),
        "certificates": certificates,
        "checkpoints": rows,
    }


def checkpoints_from_document(text: str | bytes) -> list[SignedCheckpoint]:
    """Read a copy of the public JSON (one page, or a list of pages)."""
    document = json.loads(text)
    pages = document if isinstance(document, list) else [document]
    found: list[SignedCheckpoint] = []
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("checkpoints"), list):
            raise ValueError("not an audit checkpoints document (no 'checkpoints' list)")
        certificates = page.get("certificates") or {}
        found.extend(SignedCheckpoint.from_dict(row, certificates) for row in page["checkpoints"])
    return found
