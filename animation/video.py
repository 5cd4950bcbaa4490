"""Video out (H.264 yuv420p + AAC MP4 through PyAV, written in chunks) and driving-video input.

`ClipWriter` takes frames chunk by chunk and interleaves the matching stretch of audio, so memory
stays flat however long the clip. It writes to a temporary file next to the target and renames
it only when everything succeeded: a failed job leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import DrivingVideoError


@dataclass(frozen=True)
class EncoderConfig:
    crf: int = 18  # x264 quality (lower = better); 18 is visually lossless for faces
    preset: str = "veryfast"  # x264 speed/size trade-off (FACTS: ~550 fps at 512² veryfast)
    audio_rate: int = 48_000  # Hz of the AAC track
    audio_bitrate: int = 128_000  # bits/s of the AAC track
    threads: int = 0  # x264 threads; 0 lets FFmpeg decide


class ClipWriter:
    """Writes an MP4: `write(frames)` per chunk, `close()` to finish, or use as a context manager.

    audio: mono float32 samples at config.audio_rate, trimmed or padded with silence to the
    video's length; None writes a silent track so every clip has the same streams.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width: int,
        height: int,
        fps: float,
        audio: np.ndarray | None,
        n_frames: int,
        config: EncoderConfig | None = None,
    ) -> None:
        import av

        self.config = c = config or EncoderConfig()
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.n_frames = n_frames
        total = int(round(n_frames / self.fps * c.audio_rate))
        samples = np.zeros(total, np.float32)
        if audio is not None:
            take = min(total, len(audio))
            samples[:take] = np.clip(audio[:take], -1.0, 1.0)
        self._audio = samples
        self._audio_pos = 0
        self._frames_written = 0
        fd, tmp = tempfile.mkstemp(suffix=".mp4", prefix=".partial-", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        self._video = self._container.add_stream("libx264", rate=self.fps)
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = "yuv420p"
        self._video.options = {"crf": str(c.crf), "preset": c.preset}
        if c.threads:
            self._video.codec_context.thread_count = c.threads
        self._aud = self._container.add_stream("aac", rate=c.audio_rate)
        self._aud.layout = "mono"
        self._aud.bit_rate = c.audio_bitrate
        self._frame_size = 1024
        self._closed = False

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, frames: np.ndarray) -> None:
        """Encode (N, H, W, 3) uint8 RGB frames and the audio up to their end time."""
        import av

        for frame in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = self._frames_written
            self._frames_written += 1
            for packet in self._video.encode(vf):
                self._container.mux(packet)
        until = int(round(self._frames_written / self.fps * self.config.audio_rate))
        self._write_audio(until)

    def _write_audio(self, until: int, final: bool = False) -> None:
        import av

        size = self._frame_size
        while self._audio_pos + size <= until or (final and self._audio_pos < until):
            chunk = self._audio[self._audio_pos : self._audio_pos + size]
            if len(chunk) < size:
                chunk = np.pad(chunk, (0, size - len(chunk)))
            af = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            af.sample_rate = self.config.audio_rate
            af.pts = self._audio_pos
            self._audio_pos += size
            for packet in self._aud.encode(af):
                self._container.mux(packet)

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._write_audio(len(self._audio), final=True)
            for packet in self._video.encode(None):
                self._container.mux(packet)
            for packet in self._aud.encode(None):
                self._container.mux(packet)
            self._container.close()
            self._closed = True
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop and delete the partial file."""
        if not self._closed:
            self._closed = True
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - the file is deleted either way
                pass
        self._tmp.unlink(missing_ok=True)


@dataclass
class DrivingClip:
    frames: list[np.ndarray]  # video frames (H, W, 3) uint8 RGB, resampled to the output fps
    fps: float  # the output fps they were resampled to
    audio_path: Path  # the clip itself (its audio track, if any, is read from it)


def read_driving_video(
    path: str | os.PathLike, fps: float, max_side: int = 480, max_seconds: float = 600.0
) -> DrivingClip:
    """Decode a driving clip at `fps` (frames held in time), shrunk to `max_side` px."""
    import av

    from .portrait import resize_rgb

    path = Path(path)
    if not path.is_file():
        raise DrivingVideoError(f"The driving video {path.name!r} does not exist.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise DrivingVideoError("The driving video could not be read.") from exc
    frames: list[np.ndarray] = []
    try:
        if not container.streams.video:
            raise DrivingVideoError("The driving file has no video track.")
        stream = container.streams.video[0]
        next_time = 0.0
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if frame.time > max_seconds:
                break
            while frame.time + 1e-6 >= next_time:
                image = frame.to_ndarray(format="rgb24")
                scale = min(1.0, max_side / max(image.shape[:2]))
                if scale < 1.0:
                    image = resize_rgb(image, round(image.shape[1] * scale),
                                       round(image.shape[0] * scale))  # fmt: skip
                frames.append(image)
                next_time = len(frames) / fps
    except (av.error.FFmpegError, ValueError) as exc:
        raise DrivingVideoError("The driving video could not be decoded.") from exc
    finally:
        container.close()
    if not frames:
        raise DrivingVideoError("The driving video holds no frames.")
    return DrivingClip(frames, fps, path)
