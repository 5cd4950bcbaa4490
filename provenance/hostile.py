"""Builders of hostile media, for the security tests and the ``attack_figures`` command.

Each builder makes, in memory and in well under a second, a small file that once made a
reader or decoder work far beyond its size (measured before the guards in
:mod:`provenance.structure` and :mod:`provenance.sandbox` existed):

* ``mp4_free_boxes``: an ``ftyp`` box and 200,000 empty ``free`` boxes (1.6 MB); c2pa-rs's MP4
  reader is about quadratic in top-level boxes (474 CPU-seconds).
* ``mp4_many_frames``: 2,000 frames of 1024x1024 in ~90 KB (one picture, then "nothing
  changed" frames); decoding kept every frame (2.3 GB).
* ``jpeg_repeated_scans``: a progressive JPEG whose last scan repeats; Pillow decodes each
  repeat as a full pass (~28 ms at 5000x5000, ~10 ms at 4000x4000,
  which both the portrait and the verification caps admit).

The registry ``ATTACKS`` maps a name to (builder, suffix, which endpoints it is aimed at);
other attacks can be added to it.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "ATTACKS",
    "Attack",
    "jpeg_repeated_scans",
    "m4a_free_boxes",
    "mp4_free_boxes",
    "mp4_many_frames",
]


def mp4_free_boxes(boxes: int = 200_000, *, brand: bytes = b"isom") -> bytes:
    """``ftyp`` then ``boxes`` empty ``free`` boxes (8 bytes each)."""
    ftyp = struct.pack(">I4s4sI", 20, b"ftyp", brand, 0x200) + brand
    ftyp = struct.pack(">I", len(ftyp)) + ftyp[4:]
    return ftyp + struct.pack(">I4s", 8, b"free") * boxes


def m4a_free_boxes(boxes: int = 200_000) -> bytes:
    """The same against audio uploads: an M4A brand."""
    return mp4_free_boxes(boxes, brand=b"M4A ")


def mp4_many_frames(frames: int = 2_000, side: int = 1024) -> bytes:
    """An H.264 MP4 of ``frames`` black frames of ``side`` x ``side``: one encoded picture,
    then the same "nothing changed" P-frame packet muxed again and again (fast to build)."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "51", "preset": "ultrafast"})
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        picture = av.VideoFrame.from_ndarray(np.zeros((side, side, 3), np.uint8), format="rgb24")
        picture = picture.reformat(format="yuv420p")
        packets = []
        for i in range(2):
            picture.pts = i
            packets += list(stream.encode(picture))
        packets += list(stream.encode(None))
        first, repeat = packets[0], packets[-1]
        time_base = Fraction(1, 25)
        for i in range(frames):
            source = first if i == 0 else repeat
            packet = av.Packet(bytes(source))
            packet.pts = packet.dts = i
            packet.time_base = time_base
            packet.is_keyframe = i == 0
            packet.stream = stream
            out.mux(packet)
    return buffer.getvalue()


def jpeg_repeated_scans(side: int = 4000, repeats: int = 2_000) -> bytes:
    """A progressive JPEG of ``side`` x ``side`` whose last scan is repeated ``repeats`` times
    before EOI."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (128, 96, 64)).save(
        buffer, format="JPEG", progressive=True, quality=50
    )
    data = buffer.getvalue()
    last_scan = data.rindex(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    return data[:end] + data[last_scan:end] * repeats + data[end:]


@dataclass(frozen=True)
class Attack:
    build: Callable[[], bytes]
    suffix: str  # the file name it is uploaded under
    targets: tuple[str, ...]  # "verify", "portrait", "audio"
    description: str


ATTACKS: dict[str, Attack] = {
    "mp4_free_boxes": Attack(
        mp4_free_boxes, ".mp4", ("verify",), "ftyp + 200,000 empty free boxes (1.6 MB)"
    ),
    "m4a_free_boxes": Attack(
        m4a_free_boxes, ".m4a", ("audio",), "M4A ftyp + 200,000 empty free boxes (1.6 MB)"
    ),
    "mp4_many_frames": Attack(
        mp4_many_frames, ".mp4", ("verify",), "2,000 frames of 1024x1024 in ~90 KB"
    ),
    "jpeg_repeated_scans": Attack(
        jpeg_repeated_scans,
        ".jpg",
        ("verify", "portrait"),
        "4000x4000 progressive JPEG, last scan repeated 2,000 times",
    ),
}


# ---------------------------------------------------------------------------------------------
# Stand-ins for a decoder that spins or hoards, as sandbox tasks (``provenance.hostile:...``).


def spinning_task(*, paths: list[str]) -> None:
    """Burns CPU until a limit stops it."""
    while True:
        pass


def hoarding_task(*, paths: list[str], step_mb: int = 64) -> None:
    """Allocates (and touches) memory until a limit stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(step_mb * 1024 * 1024))
