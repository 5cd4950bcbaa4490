"""Video and image I/O for provenance: decode with guarded PyAV, encode test/benchmark clips.

Untrusted media is opened with the ``file`` protocol only, a format whitelist and caps on
dimensions and frame count, because ``av.open`` probes by decoding.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image

__all__ = [
    "MediaError",
    "count_video_frames",
    "encode_video",
    "iter_video_luma",
    "load_image_rgb",
    "read_video_rgb",
    "remux",
    "video_duration_ms",
]

MAX_SIDE = 4096
MAX_FRAMES = 30 * 60 * 10  # ten minutes at 30 fps
_OPEN_OPTIONS = {"protocol_whitelist": "file"}
_VIDEO_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"


class MediaError(ValueError):
    """The file is not media we accept (unreadable, too large, no video stream)."""


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", format=None, options=_OPEN_OPTIONS)
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {Path(path).name}: {exc}") from exc


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    fmt = container.format.name
    if not any(name in _VIDEO_FORMATS.split(",") for name in fmt.split(",")):
        raise MediaError(f"unexpected container format {fmt!r}")
    if not container.streams.video:
        raise MediaError("no video stream")
    stream = container.streams.video[0]
    if stream.width > MAX_SIDE or stream.height > MAX_SIDE:
        raise MediaError(f"video too large: {stream.width}x{stream.height}")
    stream.thread_type = "AUTO"
    return stream


def _decoded_frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.VideoFrame]:
    """The frames that decode, as a player would show them: a damaged packet is skipped (the
    decoder resynchronises at the next one) and a damaged tail ends the video, so a copy with
    a few flipped bytes still yields its pictures. Only a video with no decodable frame at
    all is refused."""
    decoded = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                decoded += 1
                yield frame
    except av.error.InvalidDataError:
        pass  # the container itself is damaged from here on: keep what came before
    if decoded == 0:
        raise MediaError("the video has no frame that can be decoded")


def iter_video_luma(
    path: str | os.PathLike[str], *, max_frames: int = MAX_FRAMES, step: int = 1
) -> Iterator[np.ndarray]:
    """Yield the luma plane (H, W) uint8 of every ``step``-th frame."""
    with _open(path) as container:
        stream = _video_stream(container)
        for i, frame in enumerate(_decoded_frames(container, stream)):
            if i >= max_frames:
                break
            if i % step == 0:
                yield frame.to_ndarray(format="gray")


def count_video_frames(path: str | os.PathLike[str]) -> int:
    """Frames in the first video stream, counted from its packets without decoding."""
    count = 0
    with _open(path) as container:
        stream = _video_stream(container)
        try:
            for packet in container.demux(stream):
                if packet.size:
                    count += 1
        except av.error.InvalidDataError:
            pass  # damaged from here on, as in decoding
    return count


def video_duration_ms(path: str | os.PathLike[str]) -> int:
    """The first video stream's duration in whole milliseconds, from the container's header
    (no decoding); the container's own duration when the stream states none."""
    with _open(path) as container:
        stream = _video_stream(container)
        if stream.duration is not None and stream.time_base is not None:
            return round(float(stream.duration * stream.time_base) * 1000)
        if container.duration is not None:
            return round(container.duration / av.time_base * 1000)
    raise MediaError(f"{Path(path).name} states no duration")


def read_video_rgb(path: str | os.PathLike[str], *, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """All frames as (N, H, W, 3) uint8 RGB."""
    frames = []
    with _open(path) as container:
        stream = _video_stream(container)
        for i, frame in enumerate(_decoded_frames(container, stream)):
            if i >= max_frames:
                break
            frames.append(frame.to_ndarray(format="rgb24"))
    return np.stack(frames)


def encode_video(
    frames: np.ndarray,
    path: str | os.PathLike[str],
    *,
    fps: int = 25,
    crf: int = 18,
    preset: str = "veryfast",
    size: tuple[int, int] | None = None,
) -> Path:
    """Encode (N, H, W, 3) uint8 RGB as H.264 yuv420p MP4; ``size`` = (W, H) rescales."""
    path = Path(path)
    n, h, w, _ = frames.shape
    out_w, out_h = size or (w, h)
    out_w, out_h = out_w - out_w % 2, out_h - out_h % 2
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = out_w, out_h
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[i]), format="rgb24")
            if (out_w, out_h) != (w, h):
                frame = frame.reformat(width=out_w, height=out_h, interpolation="BILINEAR")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def remux(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Copy the video packets into a fresh MP4 without re-encoding (drops C2PA boxes)."""
    with _open(src) as inp, av.open(str(dst), mode="w") as out:
        istream = _video_stream(inp)
        ostream = out.add_stream_from_template(istream)
        for packet in inp.demux(istream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            out.mux(packet)
    return Path(dst)


def load_image_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB."""
    try:
        with Image.open(path) as im:
            if max(im.size) > MAX_SIDE:
                raise MediaError(f"image too large: {im.size}")
            return np.asarray(im.convert("RGB"))
    except OSError as exc:
        raise MediaError(f"cannot read image {Path(path).name}: {exc}") from exc
