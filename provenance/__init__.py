"""provenance: prove where a generated clip came from. Pure library, no Django, no animation.

Public API (import from the submodules; nothing heavy runs at import time):

Credentials (:mod:`provenance.keys`)
    create_local_chain(dir, *, organization="Likeness local", overwrite=False) -> LocalChain
        root.pem (trust anchor), signer.pem (ES256 end-entity cert, no root), signer.key (0600).

Manifests (:mod:`provenance.manifest`, c2pa-python)
    SigningConfig(chain_path, key_path=None, callback=None, tsa_url=None)
        key file, or ``callback(data) -> raw r||s`` for HSM/KMS; .from_local_chain(chain)
    TrustConfig(our_root_pem, extra_bundle_pem=None); .from_paths(root, extra=None)
    ClaimInfo(generator_name, generator_version, model_versions={}, ingredients=[Ingredient(role,
        sha256, mime)], consent=ConsentAssertion(consent_id, scope, assurance, content_hash),
        watermark=WatermarkBinding(alg, value), title=..., do_not_train=True)
        every assertion is created (attributed to the signer); the chain is sent without its
        root; an RFC 3161 timestamp is added when tsa_url is set.
    sign_media(src, dst, *, claim, signing, mime=None) -> SignResult(path, sha256, manifest_bytes)
        temp file + rename only on success; raises SigningError.
    read_manifest(path, trust, *, mime=None) -> ManifestResult(status, trusted, failure_codes,
        signer, assertions, ingredients, soft_binding, consent, ...)
        status is exactly one of ManifestStatus: no_manifest | ours_trusted | other_signer |
        invalid. "ours" = Trusted against our root alone; never inferred from "Valid".

Watermark (:mod:`provenance.watermark`, torch, batched, CPU or CUDA)
    Watermarker(payload: int (64-bit), key=DEFAULT_KEY, config=None, device=None)
        __call__(frames (N,H,W,3) uint8 RGB, start_index=0) -> frames   # the animation hook
        embed_image(rgb) -> rgb; embed_tensor(uint8 tensor) -> tensor
    detect_video(path, *, key) / detect_image(rgb, *, key) / detect_frames(luma, *, key)
        -> WatermarkResult(detected, payload, confidence, z_score, crc_ok, bit_agreement, ...)
    false_detection_bound() -> float   # per clip or image (the CRC-32 bound); see module doc
    ALG = "com.likeness.ssw.v3" (the default, unregistered soft-binding algorithm name;
    provenance.binding.soft_binding_alg(domain) names it under the operator's domain)

ECC (:mod:`provenance.ecc`): encode(payload) -> 204 coded bits; decode(soft) -> (payload,
    crc_ok, codeword). CRC-32 + K=7 rate-1/2 convolutional code, list Viterbi decoding.

Fingerprint (:mod:`provenance.fingerprint`)
    fingerprint(path) -> Fingerprint (.to_hex / .from_hex); fingerprint_image(rgb);
    fingerprint_distance(a, b) -> float in [0, 1]; MATCH_THRESHOLD

Verify (:mod:`provenance.verify`)
    verify(path, trust, *, watermark_key=DEFAULT_KEY) -> VerifyResult(manifest, watermark,
        fingerprint, sha256, binding_consistent); .as_dict(). No record lookups.

CLI: ``python -m provenance keygen|sign|verify|watermark|detect|fingerprint|bench`` (--help).
Benchmark: ``python -m provenance bench`` (quick) / ``--full`` (the counts the targets name):
    table + bench.json + bench.png.
"""

__all__ = ["ecc", "fingerprint", "keys", "manifest", "media", "verify", "watermark"]
