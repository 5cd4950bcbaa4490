"""Signing credentials: a local root CA and a C2PA-acceptable ES256 signing certificate.

The embedded default (development, tests, single-machine installs) keeps a small chain on disk:
``root.pem`` (the trust anchor readers are configured with), ``signer.pem`` (the end-entity
certificate alone: the chain C2PA embeds, which never carries the root, C2PA 2.2 section 14.5)
and ``signer.key`` (PKCS#8, mode 0600). Chains written before that rule end with the root;
:func:`provenance.manifest.chain_to_send` leaves it out when signing.

The signing certificate carries exactly what c2pa-rs validators accept (see FACTS.md):
end-entity (cA=false), keyUsage digitalSignature, extendedKeyUsage emailProtection, an Authority
Key Identifier, issued by a CA. Production loads its own chain and key from configured paths or
signs through a callback (HSM/KMS); see :class:`provenance.manifest.SigningConfig`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalChain", "create_local_chain", "load_private_key", "sign_es256_raw"]


@dataclass(frozen=True)
class LocalChain:
    """Paths of a chain written by :func:`create_local_chain`."""

    root_cert: Path  # PEM, self-signed root CA: the trust anchor
    chain: Path  # PEM, the signing certificate (and intermediates): what C2PA embeds
    key: Path  # PEM, PKCS#8 private key of the signing certificate (0600)


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def create_root_ca(
    name: x509.Name, not_before: dt.datetime, not_after: dt.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed P-256 root CA (signs certificates only) and its key."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    return root_key, root


def create_local_chain(
    directory: str | os.PathLike[str],
    *,
    organization: str = "Likeness local",
    valid_days: int = 3650,
    overwrite: bool = False,
) -> LocalChain:
    """Create ``root.pem``, ``signer.pem`` and ``signer.key`` in ``directory``.

    Refuses to overwrite an existing chain unless ``overwrite`` is set, so a second run cannot
    silently orphan everything signed with the first key.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = LocalChain(out / "root.pem", out / "signer.pem", out / "signer.key")
    if not overwrite and any(p.exists() for p in (paths.root_cert, paths.chain, paths.key)):
        raise FileExistsError(f"a signing chain already exists in {out}; pass overwrite=True")

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=valid_days)

    root_key, root = create_root_ca(_name(f"{organization} Root CA", organization), now, until)
    root_name = root.subject
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organization} C2PA signer", organization))
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    paths.root_cert.write_bytes(root.public_bytes(pem))
    paths.chain.write_bytes(leaf.public_bytes(pem))  # the root is the anchor: never sent
    key_bytes = leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(paths.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    return paths


def load_private_key(path: str | os.PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Load a PEM EC private key (the kind :func:`create_local_chain` writes)."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: expected an EC (P-256) private key for ES256")
    return key


def sign_es256_raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ES256 signature in the raw r||s form COSE expects (not DER); usable as a callback body."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
