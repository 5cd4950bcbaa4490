"""Reading and cutting C2PA manifest stores as JUMBF boxes (provenance.jumbf)."""

from __future__ import annotations

import struct
import zlib

import pytest

from provenance.jumbf import (
    MANIFEST_TYPES,
    STORE_TYPE,
    active_manifest_label,
    manifest_labels,
    png_manifest_store,
    store_with_manifest,
)

MANIFEST_TYPE = sorted(MANIFEST_TYPES)[0]
FIRST = "urn:c2pa:11111111-1111-4111-8111-111111111111"
ACTIVE = "urn:c2pa:22222222-2222-4222-8222-222222222222:likeness"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _superbox(content_type: bytes, label: str, *children: bytes) -> bytes:
    description = _box(b"jumd", content_type + b"\x03" + label.encode() + b"\0")
    return _box(b"jumb", description + b"".join(children))


def _manifest(label: str) -> bytes:
    claim = _superbox(b"c2cl" + STORE_TYPE[4:], "c2pa.claim.v2", _box(b"cbor", label.encode()))
    return _superbox(MANIFEST_TYPE, label, claim)


STORE = _superbox(STORE_TYPE, "c2pa", _manifest(FIRST), _manifest(ACTIVE))


def test_labels_in_order_the_active_one_last():
    assert manifest_labels(STORE) == [FIRST, ACTIVE]
    assert active_manifest_label(STORE) == ACTIVE
    assert active_manifest_label(_superbox(STORE_TYPE, "c2pa")) is None


def test_a_store_cut_to_one_manifest_keeps_its_bytes():
    for label in (ACTIVE, FIRST):
        cut = store_with_manifest(STORE, label)
        assert manifest_labels(cut) == [label]
        assert _manifest(label) in cut and len(cut) < len(STORE)
    with pytest.raises(KeyError):
        store_with_manifest(STORE, "urn:c2pa:33333333-3333-4333-8333-333333333333")


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        STORE[:-3],  # truncated
        STORE + b"\0\0\0\x08free",  # a second top-level box
        _superbox(MANIFEST_TYPE, "c2pa", _manifest(FIRST)),  # not a store
        _box(b"jumb", _box(b"free", b"")),  # no description box
        struct.pack(">I", 4) + b"jumb",  # a size smaller than its header
    ],
)
def test_a_malformed_store_is_refused(broken):
    with pytest.raises(ValueError):
        manifest_labels(broken)


def _png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PNG_HEAD = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", b"\0" * 13)


def test_the_store_a_png_carries():
    png = PNG_HEAD + _png_chunk(b"caBX", STORE) + _png_chunk(b"IEND", b"")
    assert png_manifest_store(png) == STORE
    assert png_manifest_store(PNG_HEAD + _png_chunk(b"IEND", b"")) is None
    with pytest.raises(ValueError, match="CRC"):
        png_manifest_store(PNG_HEAD + _png_chunk(b"caBX", STORE, crc=0))
    with pytest.raises(ValueError):
        png_manifest_store(b"GIF89a")
