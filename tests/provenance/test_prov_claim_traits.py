"""The signed claim, read back as c2pa's crJSON, holds the traits of the C2PA conformance
rubrics (spec 2.2 and 2.4) and of issue 14: created assertions, the inception action first,
allActionsIncluded, specVersion, namespaced parameters, referenced ingredients, a soft binding
with pad and scope, a chain without its root and an RFC 3161 timestamp when configured."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from provenance import manifest as m
from provenance import media
from provenance.binding import DEFAULT_ALG, binding_value, soft_binding_alg
from tests.provenance.claims import sample_claim
from tests.timestamp_authority import LocalTimestampAuthority

# Action parameters the specification defines (the spec-2.4 rubric's list); any other key
# must be namespaced (a dot).
STANDARD_PARAMETERS = {
    "redacted", "ingredients", "ingredient", "description", "relatedAssertions",
    "sourceLanguage", "targetLanguage", "multipleInstances", "ranges", "weight", "width",
    "italic", "slant", "optical-size",
}  # fmt: skip
KINDS = ["mp4", "png", "jpeg"]


def _claim() -> m.ClaimInfo:
    return sample_claim(m.WatermarkBinding(DEFAULT_ALG, binding_value("0123456789abcdef")))


def _sign(src: Path, tmp_path: Path, signing: m.SigningConfig) -> tuple[Path, m.SignResult]:
    dst = tmp_path / f"signed{src.suffix}"
    return dst, m.sign_media(src, dst, claim=_claim(), signing=signing)


def _crjson(path: Path, anchors_pem: str) -> dict:
    """The active manifest of c2pa's crJSON (the form the conformance rubrics read)."""
    settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors_pem}}
    with open(path, "rb") as fh:
        reader = c2pa.Reader(m.mime_for_path(path), fh, context=c2pa.Context.from_dict(settings))
        try:
            (manifest,) = json.loads(reader.crjson())["manifests"]
        finally:
            reader.close()
    return manifest


def _labels(refs: list[dict]) -> list[str]:
    """Assertion labels of hashed URIs, without c2pa's ``__<n>`` instance suffix."""
    return [ref["url"].rsplit("/", 1)[-1].split("__")[0] for ref in refs]


@pytest.fixture(params=KINDS)
def read_back(request, tmp_path, chain) -> tuple[str, Path, dict]:
    """(kind, signed file, its active manifest in crJSON) for a clip, a PNG and a JPEG."""
    src = Path(request.getfixturevalue(request.param))
    signed, _ = _sign(src, tmp_path, m.SigningConfig.from_local_chain(chain))
    return request.param, signed, _crjson(signed, chain.root_cert.read_text())


def test_every_assertion_is_created_by_the_signer(read_back):
    _, _, manifest = read_back
    claim = manifest["claim.v2"]
    assert claim.get("gathered_assertions", []) == []
    created = _labels(claim["created_assertions"])
    assert created.count("c2pa.ingredient.v3") == 2
    for label in (m.ACTIONS_LABEL, m.SOFT_BINDING_LABEL, m.CONSENT_LABEL, m.TRAINING_LABEL):
        assert label in created
    assert any(label.startswith("c2pa.hash.") for label in created)  # the hard binding
    assert manifest["validationResults"]["failure"] == []


def test_the_first_created_actions_assertion_opens_with_the_ai_creation(read_back):
    _, _, manifest = read_back
    created = manifest["claim.v2"]["created_assertions"]
    first_actions = next(ref["url"] for ref in created if "c2pa.actions" in ref["url"])
    assert first_actions.endswith("c2pa.actions.v2")
    actions = manifest["assertions"]["c2pa.actions.v2"]["actions"]
    assert actions[0]["action"] == "c2pa.created"
    assert actions[0]["digitalSourceType"] == m.TRAINED_ALGORITHMIC_MEDIA
    # The watermark is bound to this manifest; "c2pa.watermarked" is deprecated in 2.4.
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.watermarked.bound"]
    every_actions = [v for v in manifest["assertions"].values() if "actions" in v]
    assert every_actions and all(a.get("allActionsIncluded") is True for a in every_actions)


def test_claim_generator_states_the_spec_version(read_back):
    _, _, manifest = read_back
    claim = manifest["claim.v2"]
    assert claim["claim_generator_info"]["specVersion"] == m.C2PA_SPEC_VERSION == "2.4"
    assert "specVersion" not in claim  # deprecated in the claim itself (2.4)


def test_custom_action_parameters_are_namespaced(read_back):
    _, _, manifest = read_back
    actions = manifest["assertions"]["c2pa.actions.v2"]["actions"]
    keys = [key for action in actions for key in action.get("parameters", {})]
    assert keys and all(key in STANDARD_PARAMETERS or "." in key for key in keys)
    created, watermarked = actions
    assert created["parameters"]["com.likeness.models"] == {
        "audio2motion": "1.2",
        "generator": "3.0",
    }
    assert watermarked["parameters"] == {"com.likeness.alg": DEFAULT_ALG}
    assert all("." in label for label in manifest["assertions"] if not label.startswith("c2pa."))


def test_the_creation_references_its_input_ingredients(read_back):
    _, _, manifest = read_back
    created = manifest["assertions"]["c2pa.actions.v2"]["actions"][0]
    referenced = sorted(
        ref["url"].rsplit("/", 1)[-1] for ref in created["parameters"]["ingredients"]
    )
    ingredients = {
        label: data
        for label, data in manifest["assertions"].items()
        if label.startswith("c2pa.ingredient")
    }
    assert referenced == sorted(ingredients) and len(referenced) == 2
    assert {i["relationship"] for i in ingredients.values()} == {"inputTo"}
    assert {i["instanceID"] for i in ingredients.values()} == {
        "sha256:" + "11" * 32,
        "sha256:" + "22" * 32,
    }
    matched = {
        s["url"].rsplit("/", 1)[-1]
        for s in manifest["validationResults"]["success"]
        if s["code"] == "assertion.hashedURI.match"
    }
    assert set(referenced) <= matched  # the references' hashes verify


def test_soft_binding_has_pad_and_scopes_a_video_to_the_whole_clip(read_back):
    kind, signed, manifest = read_back
    binding = manifest["assertions"]["c2pa.soft-binding"]
    assert binding["alg"] == DEFAULT_ALG and "pad" in binding
    (block,) = binding["blocks"]
    assert block["value"] == "ASNFZ4mrze8="  # base64 of the 8-byte content id
    if kind == "mp4":
        duration = media.video_duration_ms(signed)
        assert duration > 0
        assert block["scope"] == {"timespan": {"start": 0, "end": duration}}
    else:
        assert block["scope"] == {}  # the whole image


def _der(pem_path: Path) -> bytes:
    return x509.load_pem_x509_certificate(pem_path.read_bytes()).public_bytes(Encoding.DER)


def test_the_chain_is_sent_without_its_root(png, tmp_path, chain):
    assert len(x509.load_pem_x509_certificates(chain.chain.read_bytes())) == 1
    _, result = _sign(png, tmp_path, m.SigningConfig.from_local_chain(chain))
    assert _der(chain.chain) in result.manifest_store
    assert _der(chain.root_cert) not in result.manifest_store


def test_a_chain_file_ending_with_its_root_is_sent_without_it(png, tmp_path, chain):
    """Local chains made before the rule end with the root: it is left out when signing."""
    legacy = tmp_path / "signer-and-root.pem"
    legacy.write_bytes(chain.chain.read_bytes() + chain.root_cert.read_bytes())
    assert m.chain_to_send(legacy.read_text()) == chain.chain.read_text()
    signed, result = _sign(png, tmp_path, m.SigningConfig(legacy, key_path=chain.key))
    assert _der(chain.root_cert) not in result.manifest_store
    read = m.read_manifest(signed, m.TrustConfig.from_paths(chain.root_cert))
    assert read.status is m.ManifestStatus.OURS_TRUSTED


def test_a_timestamp_from_the_configured_authority_validates(mp4, tmp_path, chain):
    with LocalTimestampAuthority(tmp_path / "tsa") as tsa:
        signing = m.SigningConfig.from_local_chain(chain, tsa_url=tsa.url)
        signed, _ = _sign(mp4, tmp_path, signing)
        assert tsa.requests == 1
    # Trusting the authority's root: the timestamp validates and is trusted.
    manifest = _crjson(signed, chain.root_cert.read_text() + tsa.root_pem)
    codes = {s["code"] for s in manifest["validationResults"]["success"]}
    assert {"timeStamp.validated", "timeStamp.trusted", "signingCredential.trusted"} <= codes
    assert manifest["validationResults"]["failure"] == []
    # Read as the platform reads (our root alone): still ours, with the timestamp's time.
    read = m.read_manifest(signed, m.TrustConfig.from_paths(chain.root_cert))
    assert read.status is m.ManifestStatus.OURS_TRUSTED
    stamped = dt.datetime.fromisoformat(read.signer["time"])
    assert abs(dt.datetime.now(dt.UTC) - stamped) < dt.timedelta(minutes=10)


def test_without_an_authority_there_is_no_timestamp(png, tmp_path, chain):
    signed, _ = _sign(png, tmp_path, m.SigningConfig.from_local_chain(chain))
    manifest = _crjson(signed, chain.root_cert.read_text())
    results = manifest["validationResults"]
    codes = [r["code"] for key in ("success", "informational", "failure") for r in results[key]]
    assert not any(code.startswith("timeStamp.") for code in codes)
    read = m.read_manifest(signed, m.TrustConfig.from_paths(chain.root_cert))
    assert read.status is m.ManifestStatus.OURS_TRUSTED and "time" not in read.signer


def test_the_algorithm_name_is_under_the_configured_domain():
    assert DEFAULT_ALG == soft_binding_alg() == "com.likeness.ssw.v3"
    assert soft_binding_alg("org.example") == "org.example.ssw.v3"
    for bad in ("", "example", "org.example-news", "org..example", "org.example."):
        with pytest.raises(ValueError, match="reversed Internet domain"):
            soft_binding_alg(bad)
