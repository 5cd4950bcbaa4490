"""A small RFC 3161 timestamp authority for tests, on 127.0.0.1 in a thread.

It answers ``POST`` ``application/timestamp-query`` with a signed ``TimeStampResp`` (RFC 3161,
with the ESS signingCertificateV2 attribute of RFC 5816), the way a public TSA does: its own
root CA, a timestamping certificate (RSA 2048, critical EKU timeStamping) and the nonce and
message imprint of each request echoed back. Nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provenance.keys import create_root_ca

__all__ = ["LocalTimestampAuthority"]

_POLICY = "1.3.6.1.4.1.55555.1.1"  # a private test policy OID
_QUERY = "application/timestamp-query"
_REPLY = "application/timestamp-reply"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Timestamping"),
        ]
    )


def _signing_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


class LocalTimestampAuthority:
    """``with LocalTimestampAuthority(folder) as tsa:`` -> ``tsa.url``, ``tsa.root_pem``,
    ``tsa.requests`` (how many timestamps it issued)."""

    def __init__(self, folder: str | Path) -> None:
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        until = now + dt.timedelta(days=365)
        root_key, root = create_root_ca(_name("Test TSA Root CA"), now, until)
        root_name = root.subject
        root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name("Test TSA"))
            .issuer_name(root_name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_signing_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), False)
            .sign(root_key, hashes.SHA256())
        )
        der = serialization.Encoding.DER
        self._cert = asn1_x509.Certificate.load(leaf.public_bytes(der))
        self._cert_sha256 = hashlib.sha256(leaf.public_bytes(der)).digest()
        self.root_pem = root.public_bytes(serialization.Encoding.PEM).decode()
        self.root_path = Path(folder) / "tsa-root.pem"
        self.root_path.parent.mkdir(parents=True, exist_ok=True)
        self.root_path.write_text(self.root_pem)
        self.requests = 0
        self._serials = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- the HTTP side

    @property
    def url(self) -> str:
        assert self._server is not None, "start the authority first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tsa"

    def start(self) -> LocalTimestampAuthority:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type") != _QUERY:
                    self.send_error(415, "expected application/timestamp-query")
                    return
                reply = authority.respond(body)
                self.send_response(200)
                self.send_header("Content-Type", _REPLY)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalTimestampAuthority:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- RFC 3161

    def respond(self, request_der: bytes) -> bytes:
        """The DER ``TimeStampResp`` granting a token for ``request_der``."""
        request = tsp.TimeStampReq.load(request_der)
        self.requests += 1
        info = {
            "version": "v1",
            "policy": request["req_policy"].native or _POLICY,
            "message_imprint": request["message_imprint"],
            "serial_number": next(self._serials),
            "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"].native
        tst_der = tsp.TSTInfo(info).dump()
        attributes = sorted(
            (
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
                cms.CMSAttribute(
                    {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}
                ).dump(),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [{"certs": [{"cert_hash": self._cert_sha256}]}],
                    }
                ).dump(),
            )
        )  # DER orders a SET OF by the encodings
        signed_attrs = cms.CMSAttributes([cms.CMSAttribute.load(a) for a in attributes])
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": self._cert.issuer,
                            "serial_number": self._cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": sha256,
                "signed_attrs": cms.CMSAttributes.load(signed_attrs.dump()),
                "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [sha256],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(tst_der),
                },
                "signer_infos": [signer],
            }
        )
        if request["cert_req"].native:
            signed_data["certificates"] = [self._cert]
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": token}
        ).dump()
