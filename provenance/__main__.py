"""Command line: ``python -m provenance keygen|sign|verify|watermark|detect|fingerprint|bench``.

Exit status: 0 success (for ``verify``/``detect``: a result was produced, whatever it says), 2 bad
usage or unreadable input. Results are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ENV_ROOT = "PROVENANCE_ROOT_CERT"
ENV_BUNDLE = "PROVENANCE_TRUST_BUNDLE"
ENV_WM_KEY = "PROVENANCE_WATERMARK_KEY"  # hex
ENV_ALG_DOMAIN = "PROVENANCE_SOFT_BINDING_ALG_DOMAIN"  # the soft-binding algorithm's domain


def _wm_key(args: argparse.Namespace) -> bytes:
    from provenance.watermark import DEFAULT_KEY

    text = args.wm_key or os.environ.get(ENV_WM_KEY)
    return bytes.fromhex(text) if text else DEFAULT_KEY


def _alg(args: argparse.Namespace) -> str:
    from provenance.binding import DEFAULT_ALG_DOMAIN, soft_binding_alg

    return soft_binding_alg(args.alg_domain or os.environ.get(ENV_ALG_DOMAIN) or DEFAULT_ALG_DOMAIN)


def _trust(args: argparse.Namespace):
    from provenance.manifest import TrustConfig

    root = args.root or os.environ.get(ENV_ROOT)
    if not root:
        raise SystemExit(f"error: --root (or ${ENV_ROOT}) is required")
    return TrustConfig.from_paths(root, args.extra_bundle or os.environ.get(ENV_BUNDLE))


def cmd_keygen(args: argparse.Namespace) -> dict:
    from provenance.keys import create_local_chain

    chain = create_local_chain(args.dir, organization=args.org, overwrite=args.overwrite)
    return {"root_cert": str(chain.root_cert), "chain": str(chain.chain), "key": str(chain.key)}


def cmd_sign(args: argparse.Namespace) -> dict:
    from provenance import manifest as m

    spec = json.loads(Path(args.claim).read_text()) if args.claim else {}
    ingredients = [m.Ingredient(**i) for i in spec.get("ingredients", [])]
    for role, source in (("portrait", args.portrait), ("audio", args.audio)):
        if source:
            mime = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".png": "image/png"}.get(
                Path(source).suffix.lower(), "image/jpeg"
            )
            ingredients.append(m.Ingredient(role, m.sha256_file(source), mime))
    consent = spec.get("consent")
    wmark = spec.get("watermark")
    if args.watermark_hex:
        from provenance.binding import binding_value

        wmark = {"alg": _alg(args), "value": binding_value(args.watermark_hex.lower())}
    claim = m.ClaimInfo(
        generator_name=spec.get("generator_name", args.generator),
        generator_version=spec.get("generator_version", args.generator_version),
        model_versions=spec.get("model_versions", {}),
        ingredients=ingredients,
        consent=m.ConsentAssertion(**consent) if consent else None,
        watermark=m.WatermarkBinding(**wmark) if wmark else None,
        title=spec.get("title", Path(args.dst).name),
    )
    signing = m.SigningConfig(
        chain_path=Path(args.chain), key_path=Path(args.key), tsa_url=args.tsa_url
    )
    result = m.sign_media(args.src, args.dst, claim=claim, signing=signing)
    return {"path": str(result.path), "sha256": result.sha256, "bytes": result.manifest_bytes}


def cmd_verify(args: argparse.Namespace) -> dict:
    from provenance.verify import verify

    trust, key = _trust(args), _wm_key(args)
    return verify(args.path, trust, watermark_key=key, soft_binding_alg=_alg(args)).as_dict()


def cmd_watermark(args: argparse.Namespace) -> dict:
    import numpy as np
    from PIL import Image

    from provenance import media
    from provenance.watermark import Watermarker

    payload = int(args.payload, 16)
    marker = Watermarker(payload, key=_wm_key(args))
    if args.src.lower().endswith((".png", ".jpg", ".jpeg")):
        out = marker.embed_image(media.load_image_rgb(args.src))
        Image.fromarray(out).save(args.dst, quality=95)
    else:
        frames = media.read_video_rgb(args.src)
        media.encode_video(marker(frames), args.dst, crf=args.crf, fps=args.fps)
    _ = np
    return {"path": args.dst, "payload": marker.payload_hex}


def cmd_detect(args: argparse.Namespace) -> dict:
    from provenance import watermark as wm
    from provenance.media import load_image_rgb

    if args.path.lower().endswith((".png", ".jpg", ".jpeg")):
        return wm.detect_image(load_image_rgb(args.path), key=_wm_key(args)).as_dict()
    return wm.detect_video(args.path, key=_wm_key(args)).as_dict()


def cmd_fingerprint(args: argparse.Namespace) -> dict:
    from provenance.fingerprint import fingerprint

    return {"fingerprint": fingerprint(args.path).to_hex()}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m provenance", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    k = sub.add_parser("keygen", help="create a local root CA and signing certificate")
    k.add_argument("dir")
    k.add_argument("--org", default="Likeness local")
    k.add_argument("--overwrite", action="store_true")
    k.set_defaults(func=cmd_keygen)

    s = sub.add_parser("sign", help="embed a signed C2PA manifest (MP4, PNG, JPEG)")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--chain", required=True, help="PEM chain, signing certificate first")
    s.add_argument("--key", required=True, help="PEM private key")
    s.add_argument("--tsa-url", default=None)
    s.add_argument("--claim", help="JSON: generator_name/version, model_versions, consent, ...")
    s.add_argument("--portrait", help="portrait file: referenced by sha256 as an ingredient")
    s.add_argument("--audio", help="audio file: referenced by sha256 as an ingredient")
    s.add_argument("--watermark-hex", help="payload embedded by `watermark` (soft binding)")
    s.add_argument("--generator", default="likeness")
    s.add_argument("--generator-version", default="0.1.0")
    s.add_argument("--alg-domain", help=f"soft-binding algorithm domain (or ${ENV_ALG_DOMAIN})")
    s.set_defaults(func=cmd_sign)

    for name, func, helptext in (
        ("verify", cmd_verify, "manifest + watermark + fingerprint, as JSON"),
        ("detect", cmd_detect, "detect the watermark"),
        ("fingerprint", cmd_fingerprint, "perceptual fingerprint"),
    ):
        v = sub.add_parser(name, help=helptext)
        v.add_argument("path")
        v.add_argument("--wm-key", help="watermark key, hex")
        if name == "verify":
            v.add_argument("--root", help=f"our root CA PEM (or ${ENV_ROOT})")
            v.add_argument("--extra-bundle", help=f"extra trust anchors PEM (or ${ENV_BUNDLE})")
            v.add_argument("--alg-domain", help=f"soft-binding alg domain (or ${ENV_ALG_DOMAIN})")
        v.set_defaults(func=func)

    w = sub.add_parser("watermark", help="embed a 64-bit payload in a clip or image")
    w.add_argument("src")
    w.add_argument("dst")
    w.add_argument("--payload", required=True, help="64-bit id, hex")
    w.add_argument("--wm-key", help="watermark key, hex")
    w.add_argument("--crf", type=int, default=18)
    w.add_argument("--fps", type=int, default=25)
    w.set_defaults(func=cmd_watermark)

    b = sub.add_parser("bench", help="robustness/speed benchmark (JSON + PNG + table)")
    b.add_argument("rest", nargs=argparse.REMAINDER)
    b.set_defaults(func=None)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from provenance.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
