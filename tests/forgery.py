"""Evidence forged the ways an attacker would: someone else's signature naming one of our
clips, a picture repainted under its manifest, our watermark carried onto another picture.
Made by the tests, nothing committed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def cat_png(path: Path) -> Path:
    """A picture that is none of our clips (scikit-image's cat)."""
    from skimage import data

    Image.fromarray(data.chelsea()[:256, :256]).save(path)
    return path


def sign_naming(src: Path, dst: Path, *, chain, content_id: str, alg: str = "") -> Path:
    """Sign ``src`` with ``chain``, its soft-binding assertion naming ``content_id`` under
    ``alg`` (our watermark's name by default)."""
    from provenance.binding import binding_value
    from provenance.manifest import ClaimInfo, SigningConfig, WatermarkBinding, sign_media
    from provenance.watermark import ALG

    claim = ClaimInfo(
        generator_name="Likeness",
        generator_version="1",
        watermark=WatermarkBinding(alg=alg or ALG, value=binding_value(content_id)),
    )
    sign_media(src, dst, claim=claim, signing=SigningConfig.from_local_chain(chain))
    return dst


def break_claim_signature(png: bytes) -> bytes:
    """A signed PNG with one bit flipped inside its claim signature (the PNG chunk's CRC
    recomputed, so it still decodes): credentials whose signature fails, naming no signer."""
    import zlib

    raw = bytearray(png)
    box = raw.find(b"caBX")
    length = int.from_bytes(raw[box - 4 : box], "big")
    raw[box + 4 + length - 10] ^= 0x01
    end = box + 4 + length
    raw[end : end + 4] = zlib.crc32(raw[box:end]).to_bytes(4, "big")
    return bytes(raw)


def repaint(path: Path) -> bytes:
    """The PNG with a few pixels changed and its other chunks (the manifest) left in place, so
    it still decodes but no longer matches the hash its manifest signed."""
    raw = path.read_bytes()
    pixels = np.array(Image.open(io.BytesIO(raw)).convert("RGB"))
    pixels[:8, :8] = 255 - pixels[:8, :8]
    fresh = io.BytesIO()
    Image.fromarray(pixels).save(fresh, format="PNG")
    new_idat = b"".join(c for c in png_chunks(fresh.getvalue()) if c[4:8] == b"IDAT")
    out, placed = [raw[:8]], False
    for chunk in png_chunks(raw):
        if chunk[4:8] == b"IDAT":
            if not placed:
                out.append(new_idat)
                placed = True
            continue
        out.append(chunk)
    return b"".join(out)


def png_chunks(png: bytes):
    at = 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        yield png[at : at + 12 + length]
        at += 12 + length


def watermarked_cat_png(content_id: str, *, key: bytes) -> bytes:
    """Our watermark, naming ``content_id``, on a picture that is not that clip."""
    from skimage import data

    from provenance.watermark import Watermarker

    cat = np.ascontiguousarray(data.chelsea()[:256, :256])
    marked = Watermarker(int(content_id, 16), key=key, device="cpu")
    buffer = io.BytesIO()
    Image.fromarray(marked(cat[None])[0]).save(buffer, format="PNG")
    return buffer.getvalue()
