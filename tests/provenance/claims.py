"""The claim the provenance tests sign: a generated clip with two hashed ingredients, a consent
assertion and a soft binding."""

from __future__ import annotations

from provenance import manifest as m

CONSENT = m.ConsentAssertion("consent-42", "private", "liveness+document", "ab" * 32)


def sample_claim(watermark: m.WatermarkBinding) -> m.ClaimInfo:
    return m.ClaimInfo(
        generator_name="likeness",
        generator_version="0.1.0",
        model_versions={"audio2motion": "1.2", "generator": "3.0"},
        ingredients=[
            m.Ingredient("portrait", "11" * 32, "image/jpeg"),
            m.Ingredient("audio", "22" * 32, "audio/wav"),
        ],
        consent=CONSENT,
        watermark=watermark,
    )
