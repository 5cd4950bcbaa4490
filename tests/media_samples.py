"""Small media files made on the fly for platform tests (nothing is downloaded)."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


def portrait_jpeg(width: int = 320, height: int = 400, *, gps: bool = False) -> bytes:
    """A real face (scikit-image's public-domain astronaut, her head and shoulders) at this
    size: portraits without a usable face are refused at upload."""
    from skimage import data

    head = data.astronaut()[0:300, 100:340]
    image = Image.fromarray(head, "RGB").resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
        exif[0x010F] = "Camera Maker"
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def faceless_png(side: int = 256) -> bytes:
    """A grey gradient, a valid picture with no face in it."""
    gradient = np.tile(np.linspace(0, 255, side, dtype=np.uint8), (side, 1))
    buffer = io.BytesIO()
    Image.fromarray(gradient).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def speech_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def video_with_audio_mp4(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("aac", rate=16000, layout="mono")
        for i in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 20, np.uint8), "rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        samples = np.zeros((1, int(seconds * 16000)), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, 0, Fraction(1, 16000)
        for packet in audio.encode(frame):
            container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return buffer.getvalue()


def reencode_mp4(src: str | Path, dst: Path, *, crf: int = 23) -> Path:
    """A copy as another site would make it: decoded and encoded again with x264 (the C2PA
    manifest does not survive; the watermark and the fingerprint should)."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": str(crf)})
        first = True
        for frame in source.decode(video=0):
            if first:
                stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
                first = False
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst
