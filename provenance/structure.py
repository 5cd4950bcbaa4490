"""A structural pre-scan of untrusted media: refuse absurd structure before any decoder runs.

Decoders and readers can be made to work far beyond what a file's size suggests: c2pa-rs's MP4
reader slows with the square of the number of top-level boxes, a tiny H.264 stream can hold
thousands of large frames, and Pillow decodes every scan of a progressive JPEG (a repeated last
scan costs a full pass each). This module walks only the container structure (box and segment
headers, a few counts and dimensions), in time linear in what it reads and with early stops,
and refuses files whose structure no real photo, recording or clip has.

It is deliberately lenient about damage: a header that points past its parent or past the end
ends the walk at that level instead of refusing, because damaged copies (a few flipped bytes)
must still reach the readers that can say what survives. Only counts, depth and declared sizes
refuse. Pure Python, no third-party imports, so it is cheap to run first in a sandboxed child.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from provenance.sandbox import REFUSED_STATUS, TaskRefused

__all__ = [
    "StructureLimits",
    "StructureRefused",
    "StructureReport",
    "scan_media",
]


@dataclass(frozen=True)
class StructureLimits:
    """Caps on structure. Defaults are generous for real media and far below any attack."""

    # ISO-BMFF (MP4/M4A): a real clip has a few dozen boxes, a fragmented one a few hundred.
    max_boxes: int = 4_000
    max_top_level_boxes: int = 1_000
    max_depth: int = 10
    # Decoded video: frames x width x height summed over video tracks. Verification decodes
    # every frame twice (watermark, fingerprint) at ~300 Mpixel/s on one core, so the default
    # (1e9: 2.5 minutes of our 512x512 clips at 25 fps, 16 s of 1080p at 30 fps) keeps a real
    # file's examination within a few CPU-seconds. The frame cap is the verifier's own.
    max_frames: int = 18_000
    max_video_pixels: int = 1_000_000_000
    max_side: int = 8_192
    # JPEG: libjpeg's progressive files use about ten scans; every scan is a pass over the image.
    max_jpeg_scans: int = 40
    max_jpeg_segments: int = 2_000
    # PNG: encoders split IDAT into many chunks (8 KB each in libpng); other chunks are few.
    max_png_chunks: int = 50_000
    max_png_ancillary_chunks: int = 1_000
    # Still images: pixels declared by the header.
    max_image_pixels: int = 50_000_000


@dataclass
class StructureReport:
    """What the walk saw (for logs and the figures command)."""

    kind: str  # "isobmff", "jpeg", "png" or "other"
    boxes: int = 0
    top_level_boxes: int = 0
    depth: int = 0
    frames: int = 0
    width: int = 0
    height: int = 0
    scans: int = 0
    segments: int = 0
    chunks: int = 0
    notes: list[str] = field(default_factory=list)


class StructureRefused(TaskRefused):
    """The file's structure is beyond any real media; ``message`` says what, for the user.
    A :class:`~provenance.sandbox.TaskRefused`, so a sandboxed task raising it answers the
    parent with this refusal as it is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, REFUSED_STATUS)


def scan_media(fh: BinaryIO, *, limits: StructureLimits | None = None) -> StructureReport:
    """Walk the structure of a seekable binary file; raise :class:`StructureRefused` if absurd.

    Formats other than ISO-BMFF, JPEG and PNG pass unexamined (``kind == "other"``): the
    sandbox's CPU, memory and time limits are what bound them.
    """
    limits = limits or StructureLimits()
    fh.seek(0)
    head = fh.read(16)
    fh.seek(0)
    if head[4:8] == b"ftyp":
        return _scan_isobmff(fh, limits)
    if head.startswith(b"\xff\xd8\xff"):
        return _scan_jpeg(fh, limits)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _scan_png(fh, limits)
    return StructureReport(kind="other")


def _too_complex(what: str) -> StructureRefused:
    return StructureRefused("too_complex", f"The file is too complex to examine: {what}.")


# ---------------------------------------------------------------------------------------------
# ISO-BMFF (MP4, MOV, M4A)

# Boxes whose payload is a list of boxes; "meta" is a full box (4 bytes of version/flags first).
_CONTAINERS = frozenset(
    b"moov trak mdia minf stbl edts dinf mvex moof traf udta mfra tref sinf schi".split()
)
_FULL_CONTAINERS = frozenset({b"meta"})


@dataclass
class _Track:
    handler: bytes = b""
    width: int = 0
    height: int = 0
    samples: int = 0


def _scan_isobmff(fh: BinaryIO, limits: StructureLimits) -> StructureReport:
    report = StructureReport(kind="isobmff")
    file_end = fh.seek(0, 2)
    tracks: list[_Track] = []
    fragment_samples = 0
    track_end = 0  # boxes before this offset belong to the last track entered
    # Each level: (end offset, depth). Iterative, so nesting cannot exhaust the stack.
    stack: list[tuple[int, int]] = [(file_end, 0)]
    pos = 0
    while stack:
        end, depth = stack[-1]
        if pos + 8 > end:
            stack.pop()
            pos = end if stack else pos
            continue
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        offset = 8
        if size == 1:
            if len(header) < 16:
                break
            size = struct.unpack(">Q", header[8:16])[0]
            offset = 16
        elif size == 0:
            size = end - pos
        if size < offset or pos + size > end:
            # Damaged header: stop reading this level, let the decoders judge the damage.
            report.notes.append(f"bad box header at {pos}")
            stack.pop()
            pos = end if stack else pos
            continue
        report.boxes += 1
        if depth == 0:
            report.top_level_boxes += 1
        if report.boxes > limits.max_boxes:
            raise _too_complex(f"more than {limits.max_boxes:,} boxes in the container")
        if report.top_level_boxes > limits.max_top_level_boxes:
            raise _too_complex(f"more than {limits.max_top_level_boxes:,} top-level boxes")
        report.depth = max(report.depth, depth + 1)
        if depth + 1 > limits.max_depth:
            raise _too_complex(f"boxes nested more than {limits.max_depth} deep")
        body = pos + offset
        box_end = pos + size
        if kind == b"trak":
            tracks.append(_Track())
            track_end = box_end
        if kind in _CONTAINERS or kind in _FULL_CONTAINERS:
            stack.append((box_end, depth + 1))
            pos = body + (4 if kind in _FULL_CONTAINERS else 0)
            continue
        track = tracks[-1] if tracks and pos < track_end else None
        if track is not None and kind in (b"hdlr", b"tkhd", b"stsd", b"stsz", b"stz2"):
            _read_track_box(fh, kind, body, box_end, track)
        elif kind == b"trun":
            fh.seek(body)
            data = fh.read(8)
            if len(data) == 8:
                fragment_samples += struct.unpack(">I", data[4:8])[0]
        pos = box_end
    _check_video(report, tracks, fragment_samples, limits)
    return report


def _read_track_box(fh: BinaryIO, kind: bytes, body: int, end: int, track: _Track) -> None:
    fh.seek(body)
    data = fh.read(min(end - body, 128))
    if kind == b"hdlr" and len(data) >= 12 and not track.handler:  # mdia's, not a meta's
        track.handler = data[8:12]
    elif kind == b"tkhd" and len(data) >= 84:
        # version 0: 84 bytes, version 1: 96; width/height are the last 8 bytes (16.16).
        size = 96 if data[0] == 1 else 84
        if len(data) >= size:
            w, h = struct.unpack(">II", data[size - 8 : size])
            track.width = max(track.width, w >> 16)
            track.height = max(track.height, h >> 16)
    elif kind == b"stsd" and len(data) >= 8 + 8 + 28:
        # First sample entry: 8-byte header, then (visual) 6 reserved + 2 index + 16 + w + h.
        w, h = struct.unpack(">HH", data[8 + 8 + 24 : 8 + 8 + 28])
        track.width = max(track.width, w)
        track.height = max(track.height, h)
    elif kind == b"stsz" and len(data) >= 12:
        track.samples += struct.unpack(">I", data[8:12])[0]
    elif kind == b"stz2" and len(data) >= 12:
        track.samples += struct.unpack(">I", data[8:12])[0]


def _check_video(
    report: StructureReport, tracks: list[_Track], fragment_samples: int, limits: StructureLimits
) -> None:
    video = [t for t in tracks if t.handler == b"vide"]
    if not video:
        return
    width = max(t.width for t in video)
    height = max(t.height for t in video)
    frames = sum(t.samples for t in video) + fragment_samples
    report.frames, report.width, report.height = frames, width, height
    if width > limits.max_side or height > limits.max_side:
        raise _too_complex(f"frames of {width}×{height} pixels (at most {limits.max_side} a side)")
    if frames > limits.max_frames:
        raise _too_complex(f"{frames:,} video frames (at most {limits.max_frames:,})")
    pixels = frames * max(width, 1) * max(height, 1)
    if pixels > limits.max_video_pixels:
        raise _too_complex(
            f"{frames:,} frames of {width}×{height} pixels, more than "
            f"{limits.max_video_pixels / 1e6:,.0f} million pixels to decode"
        )


# ---------------------------------------------------------------------------------------------
# JPEG

# After a scan header, entropy-coded data runs until a marker: 0xFF followed by anything but a
# stuffed 0x00, a restart marker or another fill 0xFF. A regex finds it at C speed.
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _scan_jpeg(fh: BinaryIO, limits: StructureLimits) -> StructureReport:
    report = StructureReport(kind="jpeg")
    data = fh.read()
    pos = 2
    n = len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:
            report.notes.append(f"no marker at {pos}")
            break
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= n:
            break
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9:  # EOI: what follows (MPO frames, trailers) is not decoded as this
            break
        if marker in _STANDALONE:
            continue
        if pos + 2 > n:
            break
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        report.segments += 1
        if report.segments > limits.max_jpeg_segments:
            raise _too_complex(f"more than {limits.max_jpeg_segments:,} JPEG segments")
        if marker in _SOF and length >= 7 and pos + 7 <= n:
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            report.width, report.height = max(report.width, width), max(report.height, height)
            _check_image(report, width, height, limits)
        pos += length
        if marker == 0xDA:
            report.scans += 1
            if report.scans > limits.max_jpeg_scans:
                raise _too_complex(
                    f"more than {limits.max_jpeg_scans} JPEG scans (real progressive photos "
                    "use about ten)"
                )
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return report


def _check_image(report: StructureReport, width: int, height: int, limits: StructureLimits) -> None:
    if width > limits.max_side or height > limits.max_side:
        raise _too_complex(
            f"an image of {width}×{height} pixels (at most {limits.max_side} a side)"
        )
    if width * height > limits.max_image_pixels:
        raise _too_complex(
            f"an image of {width}×{height} pixels (at most {limits.max_image_pixels:,} pixels)"
        )


# ---------------------------------------------------------------------------------------------
# PNG

_IMAGE_DATA_CHUNKS = frozenset({b"IDAT", b"fdAT"})


def _scan_png(fh: BinaryIO, limits: StructureLimits) -> StructureReport:
    report = StructureReport(kind="png")
    file_end = fh.seek(0, 2)
    pos = 8
    ancillary = 0
    while pos + 12 <= file_end:
        fh.seek(pos)
        header = fh.read(8)
        length, kind = struct.unpack(">I4s", header)
        if pos + 12 + length > file_end:
            report.notes.append(f"chunk past the end at {pos}")
            break
        report.chunks += 1
        if report.chunks > limits.max_png_chunks:
            raise _too_complex(f"more than {limits.max_png_chunks:,} PNG chunks")
        if kind not in _IMAGE_DATA_CHUNKS:
            ancillary += 1
            if ancillary > limits.max_png_ancillary_chunks:
                raise _too_complex(
                    f"more than {limits.max_png_ancillary_chunks:,} PNG chunks besides image data"
                )
        if kind == b"IHDR" and length >= 8:
            width, height = struct.unpack(">II", fh.read(8))
            report.width, report.height = width, height
            _check_image(report, width, height, limits)
        if kind == b"IEND":
            break
        pos += 12 + length
    return report
