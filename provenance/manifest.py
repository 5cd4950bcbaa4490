"""C2PA manifests: sign MP4/PNG/JPEG with our claims, read them back and classify trust.

Every assertion we write is a *created* assertion (claim v2 ``created_assertions``): the
actions (``c2pa.created`` with trainedAlgorithmicMedia first, ``allActionsIncluded``), the
ingredients that action names as its inputs, the soft binding, the consent and the
training-mining assertions are attributed to the signer, not merely gathered (C2PA 2.2
section 10.2.2). The certificate chain is sent without its self-signed root (section 14.5), and
the signature carries an RFC 3161 timestamp when a timestamp authority is configured.

Signing writes to a temporary file next to the destination and renames it only when c2pa
succeeded, because a failed post-sign check can still leave a signed file behind. Reading
answers exactly one of four statuses (see :class:`ManifestStatus`); "Valid" is never taken as
"Trusted": a manifest counts as ours only when it validates as ``Trusted`` against our root
alone, and the optional extra bundle (e.g. the C2PA trust list) only ever yields
``other_signer`` with ``trusted=True``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from provenance.manifest_summary import MODELS_PARAMETERS

__all__ = [
    "C2PA_SPEC_VERSION",
    "CONSENT_LABEL",
    "MODELS_PARAMETER",
    "TRAINED_ALGORITHMIC_MEDIA",
    "WATERMARK_ACTION",
    "ClaimInfo",
    "ConsentAssertion",
    "Ingredient",
    "ManifestResult",
    "ManifestStatus",
    "SignResult",
    "SigningConfig",
    "SigningError",
    "TrustConfig",
    "WatermarkBinding",
    "mime_for_path",
    "read_manifest",
    "sign_media",
]

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CONSENT_LABEL = "com.likeness.consent"
TRAINING_LABEL = "cawg.training-mining"
SOFT_BINDING_LABEL = "c2pa.soft-binding"
ACTIONS_LABEL = "c2pa.actions.v2"
C2PA_SPEC_VERSION = "2.4"  # the specification our claims follow (claim_generator_info)
# The watermark carries the content id the soft binding names, so it is bound to this
# manifest ("c2pa.watermarked" is deprecated since C2PA 2.4).
WATERMARK_ACTION = "c2pa.watermarked.bound"
# Our own action parameters, namespaced (C2PA 2.2 section 18.14.4.7).
MODELS_PARAMETER = MODELS_PARAMETERS[0]  # c2pa.created: component -> model version
ALG_PARAMETER = "com.likeness.alg"  # the watermark action: the soft-binding algorithm
SUPPORTED_MIME = {"video/mp4", "image/png", "image/jpeg"}
_EXT_MIME = {".mp4": "video/mp4", ".m4v": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg"}
_EXT_MIME[".jpeg"] = "image/jpeg"
# Failure codes that only say "we do not know this signer"; everything else means the manifest
# or the media it binds is broken.
_TRUST_ONLY_CODES = {
    "signingCredential.untrusted",
    "signingCredential.ocsp.skipped",
    "signingCredential.ocsp.unknown",
    "timeStamp.untrusted",
}


class SigningError(RuntimeError):
    """Signing failed; the destination was left untouched."""


def mime_for_path(path: str | os.PathLike[str]) -> str:
    """MIME type from the file extension (``.mp4``, ``.png``, ``.jpg``/``.jpeg``)."""
    ext = Path(path).suffix.lower()
    if ext not in _EXT_MIME:
        raise ValueError(f"unsupported media type {ext!r}: expected one of {sorted(_EXT_MIME)}")
    return _EXT_MIME[ext]


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class SigningConfig:
    """How to sign. Either a key file, or a callback (HSM/KMS) that returns raw ES256 r||s."""

    chain_path: Path  # PEM chain, signing certificate first (what c2pa embeds)
    key_path: Path | None = None  # PEM private key; None when `callback` signs
    callback: Callable[[bytes], bytes] | None = None  # data -> 64-byte r||s signature
    tsa_url: str | None = None  # RFC 3161 timestamp authority; None offline

    def __post_init__(self) -> None:
        if (self.key_path is None) == (self.callback is None):
            raise ValueError("SigningConfig needs exactly one of key_path or callback")
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise ValueError("tsa_url must be an http(s) URL")

    @classmethod
    def from_local_chain(cls, chain: Any, tsa_url: str | None = None) -> SigningConfig:
        """From a :class:`provenance.keys.LocalChain`."""
        return cls(chain_path=Path(chain.chain), key_path=Path(chain.key), tsa_url=tsa_url)

    def build_signer(self) -> c2pa.Signer:
        certs = chain_to_send(Path(self.chain_path).read_text())
        if self.callback is not None:
            return c2pa.Signer.from_callback(
                self.callback, c2pa.C2paSigningAlg.ES256, certs, self.tsa_url
            )
        info = c2pa.C2paSignerInfo(
            alg=b"es256",
            sign_cert=certs.encode(),
            private_key=Path(self.key_path).read_bytes(),  # type: ignore[arg-type]
            ta_url=self.tsa_url.encode() if self.tsa_url else None,
        )
        return c2pa.Signer.from_info(info)


def chain_to_send(pem: str) -> str:
    """The PEM chain to embed: the signing certificate and any intermediates, without
    self-signed certificates (a trust anchor is not sent, C2PA 2.2 section 14.5), so a chain
    file that ends with its root (as local chains made before this rule did) signs the same.
    The first certificate is the signer's and is always kept."""
    certs = x509.load_pem_x509_certificates(pem.encode())
    kept = certs[:1] + [c for c in certs[1:] if not _self_signed(c)]
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in kept)


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class TrustConfig:
    """Trust anchors: our root (what makes a manifest "ours") plus an optional extra bundle."""

    our_root_pem: str  # PEM text of our root CA
    extra_bundle_pem: str | None = None  # PEM text, e.g. the C2PA trust list

    @classmethod
    def from_paths(
        cls, our_root: str | os.PathLike[str], extra_bundle: str | os.PathLike[str] | None = None
    ) -> TrustConfig:
        extra = Path(extra_bundle).read_text() if extra_bundle else None
        return cls(our_root_pem=Path(our_root).read_text(), extra_bundle_pem=extra)


def _context(anchors_pem: str | None, *, thumbnails: bool = False) -> c2pa.Context:
    settings: dict[str, Any] = {
        # Ingredients are created assertions too (the manifest definition marks the others).
        "builder": {
            "thumbnail": {"enabled": thumbnails},
            "created_assertion_labels": ["c2pa.ingredient"],
        },
        "verify": {"verify_trust": True},
    }
    if anchors_pem:
        settings["trust"] = {"trust_anchors": anchors_pem}
    return c2pa.Context.from_dict(settings)


# ---------------------------------------------------------------------------------------------
# Claims


@dataclass(frozen=True)
class Ingredient:
    """A source the clip was made from, referenced by hash only (no thumbnail, no metadata)."""

    role: str  # "portrait" or "audio": becomes the ingredient title
    sha256: str  # hex digest of the source bytes
    mime: str  # e.g. "image/jpeg", "audio/wav"

    @property
    def instance_id(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class ConsentAssertion:
    """The consent under which the clip was made. Identifiers and hashes only, never names."""

    consent_id: str
    scope: str  # e.g. "private", "public"
    assurance: str  # how the consent was established, e.g. "liveness+document"
    content_hash: str  # sha256 of the consent record/statement

    def as_dict(self) -> dict[str, str]:
        return {
            "consent_id": self.consent_id,
            "scope": self.scope,
            "assurance": self.assurance,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class WatermarkBinding:
    """The soft binding: the watermark algorithm and the value it carries."""

    alg: str  # e.g. provenance.binding.soft_binding_alg(domain)
    value: str  # provenance.binding.binding_value(content id): base64 of its 8 bytes

    def assertion_data(self, duration_ms: int | None) -> dict[str, Any]:
        """The ``c2pa.soft-binding`` assertion: one block over the whole asset; for a video
        its scope is the timespan of the whole clip in milliseconds.

        ``pad`` is required; a JSON manifest definition cannot express a CBOR byte string,
        so c2pa stores this empty ``pad`` as an empty CBOR array, which c2pa-rs reads back as
        the empty byte string."""
        scope = {} if duration_ms is None else {"timespan": {"start": 0, "end": duration_ms}}
        return {"alg": self.alg, "blocks": [{"scope": scope, "value": self.value}], "pad": []}


@dataclass(frozen=True)
class ClaimInfo:
    """What the manifest says about a generated clip."""

    generator_name: str
    generator_version: str
    model_versions: dict[str, str] = field(default_factory=dict)
    ingredients: Sequence[Ingredient] = ()
    consent: ConsentAssertion | None = None
    watermark: WatermarkBinding | None = None
    title: str = "generated clip"
    do_not_train: bool = True

    def manifest_definition(self, mime: str, *, duration_ms: int | None = None) -> dict[str, Any]:
        """c2pa-python's manifest definition; ``duration_ms`` scopes a video's soft binding."""
        agent = {"name": self.generator_name, "version": self.generator_version}
        assertions = [_created(ACTIONS_LABEL, self._actions(agent))]
        if self.watermark is not None:
            assertions.append(
                _created(SOFT_BINDING_LABEL, self.watermark.assertion_data(duration_ms))
            )
        if self.consent is not None:
            assertions.append(_created(CONSENT_LABEL, self.consent.as_dict()))
        if self.do_not_train:
            entries = {
                k: {"use": "notAllowed"}
                for k in (
                    "cawg.ai_generative_training",
                    "cawg.ai_training",
                    "cawg.ai_inference",
                    "cawg.data_mining",
                )
            }
            assertions.append(_created(TRAINING_LABEL, {"entries": entries}))
        return {
            "claim_generator_info": [{**agent, "specVersion": C2PA_SPEC_VERSION}],
            "title": self.title,
            "format": mime,
            "assertions": assertions,
            "ingredients": [
                {
                    "title": ing.role,
                    "format": ing.mime,
                    "relationship": "inputTo",
                    "instance_id": ing.instance_id,
                }
                for ing in self.ingredients
            ],
        }

    def _actions(self, agent: dict[str, str]) -> dict[str, Any]:
        created: dict[str, Any] = {
            "action": "c2pa.created",
            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
            "softwareAgent": dict(agent),
        }
        parameters: dict[str, Any] = {}
        if self.ingredients:
            # c2pa-rs swaps these ids for the ingredients' hashed URIs (parameters.ingredients).
            ids = dict.fromkeys(ing.instance_id for ing in self.ingredients)
            parameters["ingredientIds"] = list(ids)
        if self.model_versions:
            parameters[MODELS_PARAMETER] = dict(self.model_versions)
        if parameters:
            created["parameters"] = parameters
        actions = [created]
        if self.watermark is not None:
            actions.append(
                {
                    "action": WATERMARK_ACTION,
                    "softwareAgent": dict(agent),
                    "parameters": {ALG_PARAMETER: self.watermark.alg},
                }
            )
        return {"actions": actions, "allActionsIncluded": True}


def _created(label: str, data: dict[str, Any]) -> dict[str, Any]:
    """An assertion the signer makes (claim v2 ``created_assertions``)."""
    return {"label": label, "data": data, "created": True}


@dataclass(frozen=True)
class SignResult:
    path: Path
    sha256: str  # of the signed file
    manifest_bytes: int
    manifest_store: bytes = field(default=b"", repr=False)  # the signed C2PA manifest store


def sign_media(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    claim: ClaimInfo,
    signing: SigningConfig,
    mime: str | None = None,
) -> SignResult:
    """Embed a signed C2PA manifest into a copy of ``src`` written to ``dst``.

    ``dst`` may equal ``src``. The signed bytes go to a temporary file in ``dst``'s folder and
    are renamed over ``dst`` only after c2pa succeeded; on any error nothing is left behind.
    """
    src, dst = Path(src), Path(dst)
    mime = mime or mime_for_path(src)
    if mime not in SUPPORTED_MIME:
        raise ValueError(
            f"unsupported MIME type {mime!r}: expected one of {sorted(SUPPORTED_MIME)}"
        )
    if not src.is_file():
        raise FileNotFoundError(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".signing", dir=dst.parent)
    tmp = Path(tmp_name)
    try:
        scoped = claim.watermark is not None and mime.startswith("video/")
        duration_ms = _duration_ms(src) if scoped else None
        definition = claim.manifest_definition(mime, duration_ms=duration_ms)
        signer = signing.build_signer()
        try:
            builder = c2pa.Builder(definition, context=_context(None))
            with open(src, "rb") as source, os.fdopen(fd, "w+b") as dest:
                fd = -1
                manifest = builder.sign(signer, mime, source, dest)
                dest.flush()
                os.fsync(dest.fileno())
        finally:
            signer.close()
        os.replace(tmp, dst)
    except c2pa.C2paError as exc:
        raise SigningError(f"c2pa could not sign {src.name}: {exc}") from exc
    finally:
        if fd != -1:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    store = bytes(manifest or b"")
    return SignResult(
        path=dst, sha256=sha256_file(dst), manifest_bytes=len(store), manifest_store=store
    )


def _duration_ms(path: Path) -> int:
    from provenance.media import MediaError, video_duration_ms

    try:
        return video_duration_ms(path)
    except MediaError as exc:
        raise SigningError(f"cannot read the duration of {path.name}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# Reading


class ManifestStatus(enum.StrEnum):
    NO_MANIFEST = "no_manifest"
    OURS_TRUSTED = "ours_trusted"
    OTHER_SIGNER = "other_signer"
    INVALID = "invalid"


@dataclass(frozen=True)
class ManifestResult:
    status: ManifestStatus
    trusted: bool = False  # signer chains to a configured anchor (ours or the extra bundle)
    failure_codes: tuple[str, ...] = ()  # c2pa failure codes, for `invalid`
    signer: dict[str, Any] = field(default_factory=dict)  # signature_info (issuer, CN, ...)
    assertions: dict[str, Any] = field(default_factory=dict)  # label -> data, active manifest
    ingredients: tuple[dict[str, Any], ...] = ()
    claim_generator: tuple[dict[str, Any], ...] = ()
    soft_binding: dict[str, Any] | None = None  # {"alg", "value"} when present
    consent: dict[str, Any] | None = None
    validation_state: str | None = None  # c2pa's own word, for the record
    error: str | None = None
    label: str | None = None  # the active manifest's identifier (urn:c2pa:…)
    # The claim's signature validates (whoever signed it).
    signature_valid: bool = False
    # The claim's signature validates AND its certificate chains to our root alone: true for
    # our intact files and for our files whose content changed after signing (status
    # ``invalid``, a hash mismatch); false for any other signer, and for a signature that
    # does not validate (our public certificate pasted onto a forged claim).
    signed_by_us: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "trusted": self.trusted,
            "failure_codes": list(self.failure_codes),
            "signer": self.signer,
            "assertions": self.assertions,
            "ingredients": list(self.ingredients),
            "claim_generator": list(self.claim_generator),
            "soft_binding": self.soft_binding,
            "consent": self.consent,
            "validation_state": self.validation_state,
            "error": self.error,
            "label": self.label,
            "signature_valid": self.signature_valid,
            "signed_by_us": self.signed_by_us,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManifestResult:
        """The inverse of :meth:`as_dict` (a result that crossed a process boundary as JSON)."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["status"] = ManifestStatus(values["status"])
        for name in ("failure_codes", "ingredients", "claim_generator"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


def _read(path: Path, mime: str, anchors: str | None) -> dict[str, Any] | None:
    """The manifest store as JSON, or None when the file carries no manifest."""
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader(mime, fh, context=_context(anchors))
            try:
                return json.loads(reader.json())
            finally:
                reader.close()
    except c2pa.C2paError as exc:
        name = type(exc).__name__
        text = str(exc)
        if "ManifestNotFound" in name or "ManifestNotFound" in text or "JumbfNotFound" in text:
            return None
        raise


def _signature_checks(store: dict[str, Any]) -> tuple[bool, bool]:
    """(the claim signature validates, and it does so with a certificate chaining to the
    anchors the store was read with), from the active manifest's own validation codes."""
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    success = {f.get("code") for f in results.get("success") or [] if isinstance(f, dict)}
    failure = {f.get("code") for f in results.get("failure") or [] if isinstance(f, dict)}
    signer_failed = any(
        str(code).startswith(("claimSignature.", "signingCredential.")) for code in failure
    )
    valid = "claimSignature.validated" in success and not any(
        str(code).startswith("claimSignature.") for code in failure
    )
    ours = valid and "signingCredential.trusted" in success and not signer_failed
    return valid, ours


def _failures(store: dict[str, Any]) -> list[str]:
    results = store.get("validation_results") or {}
    codes = [f["code"] for f in (results.get("activeManifest") or {}).get("failure", [])]
    for ing in results.get("ingredientDeltas") or []:
        codes += [f["code"] for f in (ing.get("validationDeltas") or {}).get("failure", [])]
    if not results:  # older layout
        codes += [s["code"] for s in store.get("validation_status") or []]
    return codes


def read_manifest(
    path: str | os.PathLike[str], trust: TrustConfig, *, mime: str | None = None
) -> ManifestResult:
    """Read and validate the embedded manifest of ``path`` and classify it (see module doc)."""
    path = Path(path)
    mime = mime or mime_for_path(path)
    try:
        store = _read(path, mime, trust.our_root_pem)
    except c2pa.C2paError as exc:
        return ManifestResult(
            ManifestStatus.INVALID, failure_codes=(type(exc).__name__,), error=str(exc)
        )
    if store is None:
        return ManifestResult(ManifestStatus.NO_MANIFEST)

    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    assertions = {a["label"]: a.get("data") for a in active.get("assertions", [])}
    soft = assertions.get(SOFT_BINDING_LABEL)
    soft_binding = None
    if isinstance(soft, dict):
        blocks = soft.get("blocks") or [{}]
        soft_binding = {"alg": soft.get("alg"), "value": blocks[0].get("value")}
    common = dict(
        signer=active.get("signature_info") or {},
        assertions=assertions,
        ingredients=tuple(active.get("ingredients") or ()),
        claim_generator=tuple(active.get("claim_generator_info") or ()),
        soft_binding=soft_binding,
        consent=assertions.get(CONSENT_LABEL),
        label=store.get("active_manifest"),
    )
    # Read with our root as the only anchor, so "trusted" here means "chains to our root".
    signature_valid, signed_by_us = _signature_checks(store) if active else (False, False)
    common.update(signature_valid=signature_valid, signed_by_us=signed_by_us)
    state = store.get("validation_state")
    failures = _failures(store)
    broken = [c for c in failures if c not in _TRUST_ONLY_CODES]
    if broken or not active or state == "Invalid":
        return ManifestResult(
            ManifestStatus.INVALID,
            failure_codes=tuple(broken or failures or ("manifest.invalid",)),
            validation_state=state,
            **common,
        )
    if state == "Trusted":
        return ManifestResult(
            ManifestStatus.OURS_TRUSTED, trusted=True, validation_state=state, **common
        )
    trusted_elsewhere = False
    if trust.extra_bundle_pem:
        other = _read(path, mime, trust.extra_bundle_pem)
        trusted_elsewhere = bool(other) and other.get("validation_state") == "Trusted"
        if trusted_elsewhere:
            state = "Trusted"
    return ManifestResult(
        ManifestStatus.OTHER_SIGNER,
        trusted=trusted_elsewhere,
        failure_codes=tuple(failures),
        validation_state=state,
        **common,
    )
