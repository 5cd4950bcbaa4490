"""The C2PA manifest store as JUMBF boxes (ISO/IEC 19566-5; C2PA 2.x §11.1), read without c2pa.

A store (``application/c2pa``) is one JUMBF superbox labelled ``c2pa`` whose children are the
manifests' superboxes, each labelled with its manifest's identifier (``urn:c2pa:…``); the
last one is the active manifest. This module lists those labels, cuts a store down to one
manifest (the Soft Binding Resolution API's ``returnActiveManifest``), and takes the store out
of a PNG's ``caBX`` chunk. It reads stores we wrote; a malformed one raises ``ValueError``.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

__all__ = [
    "active_manifest_label",
    "manifest_labels",
    "png_manifest_store",
    "store_with_manifest",
]

_C2PA_SUFFIX = bytes.fromhex("00110010800000aa00389b71")  # the ISO UUID tail of C2PA types
STORE_TYPE = b"c2pa" + _C2PA_SUFFIX
MANIFEST_TYPES = frozenset(
    {b"c2ma" + _C2PA_SUFFIX, b"c2um" + _C2PA_SUFFIX}  # standard and update manifests
)
_LABEL_PRESENT = 0x02
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class _Box:
    kind: bytes  # TBox, e.g. b"jumb"
    start: int  # offset of the box header in the buffer
    payload: int  # offset of the payload
    end: int  # offset just past the box


@dataclass(frozen=True)
class _Superbox:
    box: _Box
    description: _Box  # the jumd box
    content_type: bytes  # 16-byte UUID
    label: str | None
    children: tuple[_Box, ...]  # the boxes after the description


def manifest_labels(store: bytes) -> list[str]:
    """The identifiers of the store's manifests, in order (the active one last)."""
    return [manifest.label or "" for manifest in _manifests(store)[1]]


def active_manifest_label(store: bytes) -> str | None:
    """The active manifest's identifier, or None for a store with no manifest."""
    labels = manifest_labels(store)
    return labels[-1] if labels else None


def store_with_manifest(store: bytes, label: str) -> bytes:
    """A store holding only the manifest ``label`` (its bytes unchanged, so its claim
    signature still verifies); ``KeyError`` if the store has no such manifest."""
    outer, manifests = _manifests(store)
    for manifest in manifests:
        if manifest.label == label:
            body = store[outer.description.start : outer.description.end]
            body += store[manifest.box.start : manifest.box.end]
            return struct.pack(">I", 8 + len(body)) + b"jumb" + body
    raise KeyError(label)


def png_manifest_store(png: bytes) -> bytes | None:
    """The manifest store a PNG carries in its ``caBX`` chunk, or None."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    offset = len(_PNG_SIGNATURE)
    while offset + 12 <= len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        if len(data) != length:
            raise ValueError("truncated PNG chunk")
        if kind == b"caBX":
            (crc,) = struct.unpack_from(">I", png, offset + 8 + length)
            if zlib.crc32(kind + data) != crc:
                raise ValueError("caBX chunk fails its CRC")
            return bytes(data)
        if kind == b"IEND":
            break
        offset += 12 + length
    return None


# ---------------------------------------------------------------------------------------------
def _manifests(store: bytes) -> tuple[_Superbox, list[_Superbox]]:
    boxes = _boxes(store, 0, len(store))
    if len(boxes) != 1 or boxes[0].kind != b"jumb":
        raise ValueError("a manifest store is one JUMBF superbox")
    outer = _superbox(store, boxes[0])
    if outer.content_type != STORE_TYPE:
        raise ValueError("not a C2PA manifest store")
    manifests = []
    for child in outer.children:
        if child.kind != b"jumb":
            continue
        inner = _superbox(store, child)
        if inner.content_type in MANIFEST_TYPES:
            manifests.append(inner)
    return outer, manifests


def _boxes(data: bytes, start: int, end: int) -> list[_Box]:
    boxes, offset = [], start
    while offset < end:
        if offset + 8 > end:
            raise ValueError("truncated box header")
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if offset + 16 > end:
                raise ValueError("truncated box header")
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise ValueError("box size out of bounds")
        boxes.append(_Box(kind, offset, offset + header, offset + size))
        offset += size
    return boxes


def _superbox(data: bytes, box: _Box) -> _Superbox:
    children = _boxes(data, box.payload, box.end)
    if not children or children[0].kind != b"jumd":
        raise ValueError("a JUMBF superbox starts with its description box")
    description = children[0]
    if description.end - description.payload < 17:
        raise ValueError("truncated JUMBF description")
    content_type = data[description.payload : description.payload + 16]
    toggles = data[description.payload + 16]
    label = None
    if toggles & _LABEL_PRESENT:
        text_start = description.payload + 17
        text_end = data.find(b"\x00", text_start, description.end)
        if text_end < 0:
            raise ValueError("unterminated JUMBF label")
        label = data[text_start:text_end].decode("utf-8")
    return _Superbox(box, description, content_type, label, tuple(children[1:]))
