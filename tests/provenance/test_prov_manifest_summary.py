"""The one typed reader of our manifests: both actions versions, missing pieces, hostile shapes."""

from __future__ import annotations

import pytest

from provenance import manifest as m
from provenance.manifest_summary import ManifestAction, ManifestSummary

AI = m.TRAINED_ALGORITHMIC_MEDIA
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


def _ours(**overrides) -> dict:
    """A stored ``ManifestResult.as_dict()`` as our signer writes it (actions v2)."""
    data = m.ManifestResult(
        m.ManifestStatus.OURS_TRUSTED,
        trusted=True,
        signer={"issuer": "Likeness local", "common_name": "Likeness signer", "time": "2025-01-02"},
        assertions={
            "c2pa.actions.v2": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": AI,
                        "softwareAgent": {"name": "likeness", "version": "0.1.0"},
                        "parameters": {
                            "com.likeness.models": {"generator": "3.0", "audio2motion": "1.2"}
                        },
                    },
                    {
                        "action": "c2pa.watermarked.bound",
                        "parameters": {"com.likeness.alg": "com.likeness.ssw.v3"},
                    },
                ],
                "allActionsIncluded": True,
            }
        },
        ingredients=({"title": "portrait"}, {"title": "audio"}),
        claim_generator=({"name": "likeness", "version": "0.1.0"},),
        soft_binding={"alg": "com.likeness.ssw.v3", "value": "ASNFZ4mrze8="},
        consent={"consent_id": "c-1", "scope": "private", "assurance": "x", "content_hash": "ab"},
        label="urn:c2pa:123",
        signature_valid=True,
        signed_by_us=True,
    ).as_dict()
    data.update(overrides)
    return data


def test_reads_every_fact_of_our_own_manifest():
    summary = ManifestSummary.from_dict(_ours())
    assert summary.status == "ours_trusted" and summary.present
    assert summary.trusted and summary.signature_valid and summary.signed_by_us
    assert (summary.issuer, summary.signed_by, summary.signed_at) == (
        "Likeness local",
        "Likeness local",
        "2025-01-02",
    )
    assert summary.generator == "likeness 0.1.0"
    assert summary.digital_source_type == AI and summary.ai_generated
    assert summary.model_versions == {"generator": "3.0", "audio2motion": "1.2"}
    assert [a.action for a in summary.actions] == ["c2pa.created", "c2pa.watermarked.bound"]
    assert summary.created.software_agent == "likeness 0.1.0"
    assert summary.ingredients == ("portrait", "audio")
    assert summary.consent["scope"] == "private"
    assert summary.soft_binding_value == "ASNFZ4mrze8="
    assert summary.label == "urn:c2pa:123"


def test_reads_the_models_of_clips_signed_before_parameters_were_namespaced():
    """Clips stored before the parameters were namespaced name their models under `models`."""
    old = {
        "c2pa.actions.v2": {
            "actions": [
                {
                    "action": "c2pa.created",
                    "digitalSourceType": AI,
                    "parameters": {"models": {"generator": "2.0"}},
                },
                {"action": "c2pa.watermarked", "parameters": {"alg": "com.likeness.ssw.v2"}},
            ]
        }
    }
    summary = ManifestSummary.from_dict(_ours(assertions=old))
    assert summary.model_versions == {"generator": "2.0"}
    assert [a.action for a in summary.actions] == ["c2pa.created", "c2pa.watermarked"]
    both = {"com.likeness.models": {"generator": "3.0"}, "models": {"generator": "2.0"}}
    newer = {"c2pa.actions.v2": {"actions": [{"action": "c2pa.created", "parameters": both}]}}
    assert ManifestSummary.from_dict(_ours(assertions=newer)).model_versions == {"generator": "3.0"}


def test_reads_version_one_actions_too():
    v1 = {
        "c2pa.actions": {
            "actions": [
                {"action": "c2pa.created", "digitalSourceType": COMPOSITE, "softwareAgent": "x 2"}
            ]
        }
    }
    summary = ManifestSummary.from_dict(_ours(assertions=v1))
    assert summary.created == ManifestAction("c2pa.created", COMPOSITE, "x 2")
    assert summary.ai_generated
    assert summary.source_types == (COMPOSITE,)


def test_reads_both_versions_newest_first_and_repeated_labels():
    assertions = {
        "c2pa.actions": {"actions": [{"action": "c2pa.edited", "digitalSourceType": CAPTURE}]},
        "c2pa.actions.v2__1": {"actions": [{"action": "c2pa.opened"}]},
        "c2pa.actions.v2": {"actions": [{"action": "c2pa.created", "digitalSourceType": AI}]},
        "c2pa.actionsX": {"actions": [{"action": "not.an.action.assertion"}]},
    }
    summary = ManifestSummary.from_dict(_ours(assertions=assertions))
    assert [a.action for a in summary.actions] == ["c2pa.created", "c2pa.opened", "c2pa.edited"]
    assert summary.source_types == (AI, CAPTURE)


def test_a_manifest_that_claims_no_ai_is_not_ai_generated():
    assertions = {
        "c2pa.actions.v2": {
            "actions": [
                {"action": "c2pa.opened"},
                {"action": "c2pa.edited", "digitalSourceType": CAPTURE},
            ]
        }
    }
    summary = ManifestSummary.from_dict(
        _ours(assertions=assertions, status="other_signer", signed_by_us=False, consent=None)
    )
    assert not summary.ai_generated
    assert summary.created is None
    assert summary.digital_source_type == CAPTURE  # no creation: the first type stated
    assert summary.model_versions == {}
    assert summary.consent is None and not summary.signed_by_us


@pytest.mark.parametrize("data", [None, {}, m.ManifestResult(m.ManifestStatus.NO_MANIFEST)])
def test_missing_pieces_read_as_absent(data):
    if isinstance(data, m.ManifestResult):
        data = data.as_dict()
    summary = ManifestSummary.from_dict(data)
    assert summary.status == "no_manifest" and not summary.present
    assert not (summary.trusted or summary.signature_valid or summary.signed_by_us)
    assert summary.actions == () and summary.ingredients == ()
    assert summary.generator == "" and summary.signed_by == "" and summary.digital_source_type == ""
    assert summary.consent is None and summary.soft_binding is None
    assert summary.soft_binding_value == ""
    assert not summary.ai_generated


def test_signer_without_issuer_is_named_by_its_certificate():
    summary = ManifestSummary.from_dict(_ours(signer={"common_name": "Someone"}))
    assert summary.issuer == "" and summary.signed_by == "Someone"


def test_hostile_shapes_read_as_missing_not_as_errors():
    hostile = _ours(
        trusted="yes",
        signer=["not", "a", "mapping"],
        claim_generator=[42],
        assertions={
            "c2pa.actions.v2": {"actions": ["created", {"action": 7, "digitalSourceType": AI}]},
            "c2pa.actions": ["not a mapping"],
        },
        ingredients=[{"title": 3}, "portrait"],
        consent="everyone agreed",
        soft_binding={"alg": "x", "value": 1234567890123456},
        failure_codes=None,
    )
    summary = ManifestSummary.from_dict(hostile)
    assert summary.trusted is False  # only a real True counts
    assert summary.signed_by == "" and summary.generator == ""
    assert summary.actions == (ManifestAction("", AI),)
    assert summary.ai_generated  # the claim is still read as stated
    assert summary.ingredients == ("", "")
    assert summary.consent is None
    assert summary.soft_binding_value == ""  # a number names no content id
    assert summary.failure_codes == ()


def test_reads_a_manifest_signed_and_read_back(png, tmp_path, chain):
    claim = m.ClaimInfo(
        generator_name="likeness",
        generator_version="0.1.0",
        model_versions={"generator": "3.0"},
        ingredients=[m.Ingredient("portrait", "11" * 32, "image/jpeg")],
        consent=m.ConsentAssertion("consent-42", "private", "liveness", "ab" * 32),
        watermark=m.WatermarkBinding("com.likeness.ssw.v3", "ASNFZ4mrze8="),
    )
    signed = tmp_path / "signed.png"
    m.sign_media(png, signed, claim=claim, signing=m.SigningConfig.from_local_chain(chain))
    read = m.read_manifest(signed, m.TrustConfig.from_paths(chain.root_cert))
    summary = ManifestSummary.from_dict(read.as_dict())
    assert summary.status == "ours_trusted" and summary.signed_by_us
    assert summary.generator.startswith("likeness 0.1.0")
    assert summary.digital_source_type == AI and summary.ai_generated
    assert summary.model_versions == {"generator": "3.0"}
    assert summary.created.parameters["com.likeness.models"] == {"generator": "3.0"}
    assert [a.action for a in summary.actions] == ["c2pa.created", "c2pa.watermarked.bound"]
    assert summary.ingredients == ("portrait",)
    assert summary.consent == claim.consent.as_dict()
    assert summary.soft_binding_value == "ASNFZ4mrze8="
    assert summary.signed_by and summary.label.startswith("urn:")
