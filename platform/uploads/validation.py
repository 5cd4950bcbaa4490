"""Content-based validation of untrusted uploads (portraits and voice recordings).

Everything a user uploads is treated as hostile. The file name and the declared content type
are ignored: the bytes themselves decide. A portrait must decode as a still JPEG, PNG or WebP
within size and pixel limits; a recording must demux with an allow-listed FFmpeg demuxer, hold
exactly one allow-listed audio stream (and no video), and decode completely within a duration
limit.

What comes out is never the uploaded file: portraits are re-encoded from their pixels (EXIF
orientation applied, then EXIF/GPS, ICC, XMP, comments and any bytes appended after the image,
such as a ZIP or HTML polyglot tail, are gone) and recordings are re-encoded: lossless ones
to 16-bit FLAC, lossy ones to mono Opus at about their own bit rate, so what is stored stays
proportionate to what was uploaded (tags, cover art and trailing bytes are gone).

Every refusal is an :class:`UploadRejected` carrying a machine code, a human sentence and the
HTTP status to answer with. This module deliberately has no Django imports.
"""

from __future__ import annotations

import io
import struct
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import av
import av.error
from av.audio.resampler import AudioResampler
from av.stream import Disposition
from PIL import Image, ImageOps

__all__ = [
    "UploadRejected",
    "ValidatedAudio",
    "ValidatedPortrait",
    "spool_capped",
    "validate_audio",
    "validate_audio_file",
    "validate_portrait",
]

_CHUNK = 1024 * 1024


class UploadRejected(Exception):
    """An upload refused for a reason the uploader can be told about."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"UploadRejected(code={self.code!r}, status={self.status}, message={self.message!r})"


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _human_size(num_bytes: int) -> str:
    """1536 -> '1.5 KB', 20 * 2**20 -> '20 MB' (binary units, as limits are usually set)."""
    if num_bytes < 1024:
        return f"{num_bytes} bytes"
    unit, scale = next(
        (unit, scale)
        for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024))
        if num_bytes >= scale
    )
    return f"{num_bytes / scale:.1f}".removesuffix(".0") + f" {unit}"


def _human_duration(seconds: float) -> str:
    """2.0 -> '2 seconds', 90 -> '1 minute 30 seconds', 600 -> '10 minutes'."""
    whole = int(round(seconds))
    if abs(seconds - whole) > 0.05:
        return f"{seconds:.1f} seconds"
    minutes, secs = divmod(whole, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    if secs or not minutes:
        parts.append(f"{secs} second" + ("s" if secs != 1 else ""))
    return " ".join(parts)


def _remaining_size(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream (without moving it), or None if it cannot tell."""
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(position)
        return end - position
    except (AttributeError, OSError, ValueError):
        return None


def _too_large(stream: BinaryIO, what: str, max_bytes: int) -> UploadRejected:
    size = _remaining_size(stream)
    if size is not None and size > max_bytes:
        message = f"The {what} is {_human_size(size)}; the limit is {_human_size(max_bytes)}."
    else:
        message = f"The {what} is larger than the limit of {_human_size(max_bytes)}."
    return UploadRejected("too_large", message, status=413)


def _empty(what: str) -> UploadRejected:
    return UploadRejected("empty", f"The {what} is empty (0 bytes).")


def _read_capped(stream: BinaryIO, max_bytes: int, what: str) -> bytes:
    """Read the whole stream into memory, refusing it once it exceeds ``max_bytes``."""
    start = _tell(stream)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        _seek(stream, start)
        raise _too_large(stream, what, max_bytes)
    if not data:
        raise _empty(what)
    return data


def spool_capped(stream: BinaryIO, target: BinaryIO, *, max_bytes: int, what: str) -> None:
    """Copy an upload into ``target`` (e.g. an anonymous temporary file) in chunks, refusing it
    with the usual "too large" or "empty" message past ``max_bytes`` or at zero bytes."""
    start = _tell(stream)
    copied = 0
    while chunk := stream.read(min(_CHUNK, max_bytes + 1 - copied)):
        copied += len(chunk)
        if copied > max_bytes:
            _seek(stream, start)
            raise _too_large(stream, what, max_bytes)
        target.write(chunk)
    if copied == 0:
        raise _empty(what)
    target.flush()


def _tell(stream: BinaryIO) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _seek(stream: BinaryIO, position: int | None) -> None:
    if position is None:
        return
    try:
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        pass


# --------------------------------------------------------------------------------------------
# Portraits
# --------------------------------------------------------------------------------------------

_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
_ACCEPTED_IMAGES_TEXT = "JPEG, PNG or WebP"
# Errors Pillow raises on hostile or damaged input (Image.open itself treats these as
# "not this format"; load() raises OSError for truncated data).
_PILLOW_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
)
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class ValidatedPortrait:
    """A portrait re-encoded from its pixels only."""

    content: bytes
    format: str  # "JPEG" or "PNG"
    extension: str  # ".jpg" or ".png"
    content_type: str
    width: int
    height: int
    source_format: str  # what Pillow recognised: "JPEG", "MPO", "PNG" or "WEBP"


def validate_portrait(
    stream: BinaryIO, *, max_bytes: int, max_pixels: int, min_side: int
) -> ValidatedPortrait:
    """Check an uploaded portrait by content and return a clean re-encoded copy.

    Raises :class:`UploadRejected` for anything that is not a still JPEG, PNG or WebP within
    ``max_bytes`` bytes and ``max_pixels`` pixels whose shorter side is at least ``min_side``.
    """
    data = _read_capped(stream, max_bytes, "portrait")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open_image(data)
        try:
            _check_image_header(image, max_pixels=max_pixels, min_side=min_side)
            _decode_image(image)
            source_format = image.format or "unknown"
            pixels = _upright_rgb(image)
        finally:
            image.close()
    return _encode_portrait(pixels, source_format)


def _open_image(data: bytes) -> Image.Image:
    """Identify the image from its header, allowing only the accepted formats."""
    try:
        return Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _decompression_bomb() from exc
    except Image.UnidentifiedImageError as exc:
        raise UploadRejected(
            "unsupported_type",
            f"The portrait is not a {_ACCEPTED_IMAGES_TEXT} image; "
            "only those formats are accepted.",
            status=415,
        ) from exc
    except _PILLOW_ERRORS as exc:
        raise _malformed_image() from exc


def _check_image_header(image: Image.Image, *, max_pixels: int, min_side: int) -> None:
    """Refuse on what the header says, before any pixel is decoded."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _malformed_image()
    if width * height > max_pixels:
        raise UploadRejected(
            "too_many_pixels",
            f"The portrait is {width}×{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,} pixels.",
        )
    if min(width, height) < min_side:
        raise UploadRejected(
            "too_small",
            f"The portrait is {width}×{height} pixels; "
            f"both sides must be at least {min_side} pixels.",
        )
    if image.format in ("PNG", "WEBP") and getattr(image, "is_animated", False):
        raise UploadRejected(
            "animated",
            "The portrait is animated; animated images are not accepted. "
            "Please upload a single still photo.",
            status=415,
        )


def _decode_image(image: Image.Image) -> None:
    """Decode every pixel, so truncated or corrupt data is caught here."""
    try:
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _decompression_bomb() from exc
    except _PILLOW_ERRORS as exc:
        raise _malformed_image() from exc


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, flatten to RGB on white, and drop every metadata field."""
    try:
        upright = ImageOps.exif_transpose(image)
        rgb = _flatten_to_rgb(upright)
    except _PILLOW_ERRORS as exc:
        raise _malformed_image() from exc
    # Pillow's encoders fall back to ``info`` (ICC profile, transparency...): keep nothing.
    rgb.info = {}
    return rgb


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit greyscale: scale to 8 bits rather than clip.
        scale = 1 / 256 if image.mode.startswith("I;16") else 1 / 65536
        image = image.convert("I").point(lambda value: value * scale).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or ("transparency" in image.info)
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flattened = Image.new("RGB", rgba.size, _WHITE)
    flattened.paste(rgba, mask=rgba.getchannel("A"))
    return flattened


def _encode_portrait(pixels: Image.Image, source_format: str) -> ValidatedPortrait:
    buffer = io.BytesIO()
    if source_format in ("JPEG", "MPO"):
        pixels.save(buffer, format="JPEG", quality=95, optimize=True)
        fmt, extension, content_type = "JPEG", ".jpg", "image/jpeg"
    else:
        pixels.save(buffer, format="PNG")
        fmt, extension, content_type = "PNG", ".png", "image/png"
    return ValidatedPortrait(
        content=buffer.getvalue(),
        format=fmt,
        extension=extension,
        content_type=content_type,
        width=pixels.width,
        height=pixels.height,
        source_format=source_format,
    )


def _decompression_bomb() -> UploadRejected:
    return UploadRejected(
        "decompression_bomb",
        "The portrait declares far more pixels than any photo needs "
        f"(over {Image.MAX_IMAGE_PIXELS or 0:,}); it looks like a decompression bomb.",
    )


def _malformed_image() -> UploadRejected:
    return UploadRejected(
        "malformed",
        "The portrait could not be decoded: the file is damaged, truncated or not a real image.",
    )


# --------------------------------------------------------------------------------------------
# Voice recordings
# --------------------------------------------------------------------------------------------

# FFmpeg demuxer names. "mov" is the demuxer for MP4/M4A ("mov,mp4,m4a,3gp,3g2,mj2"), "aac"
# reads raw ADTS streams.
_AUDIO_DEMUXERS = ("wav", "mp3", "mov", "mp4", "m4a", "ogg", "flac", "aac")
# FFmpeg decoder names, plus every "pcm_*" decoder (WAV's s16le, s24le, s32le, f32le, u8...).
_AUDIO_CODECS = frozenset(
    {"mp3", "mp3float", "aac", "vorbis", "libvorbis", "opus", "libopus", "flac"}
)
_ACCEPTED_AUDIO_TEXT = "WAV, MP3, M4A/AAC, OGG (Vorbis or Opus) or FLAC"
_MIN_SAMPLE_RATE = 8_000
_MAX_SAMPLE_RATE = 192_000
_AV_ERRORS = (av.error.FFmpegError, ValueError, EOFError, OSError, IndexError, KeyError)
_OUTPUT_FORMAT = "s16"
_MAX_BAD_PACKETS = 3


@dataclass(frozen=True)
class ValidatedAudio:
    """A voice recording re-encoded: 16-bit FLAC (mono or stereo) from a lossless source,
    mono Opus in Ogg from a lossy one."""

    content: bytes
    extension: str  # ".flac" or ".ogg"
    content_type: str  # "audio/flac" or "audio/ogg"
    duration_seconds: float
    sample_rate: int
    channels: int  # of the output: 1 or 2
    source_format: str  # FFmpeg demuxer name, e.g. "wav" or "mov,mp4,m4a,3gp,3g2,mj2"
    source_codec: str  # FFmpeg decoder name, e.g. "pcm_s16le", "mp3float", "aac"


def validate_audio(
    stream: BinaryIO, *, max_bytes: int, max_seconds: float, min_seconds: float = 0.0
) -> ValidatedAudio:
    """Check an uploaded recording by content and return it re-encoded (FLAC, or Opus from a
    lossy source).

    Raises :class:`UploadRejected` unless the upload is at most ``max_bytes`` bytes, is one of
    the accepted containers and codecs, has exactly one audio stream and no video, and decodes
    to at most ``max_seconds`` seconds of sound.
    """
    # FFmpeg reads a real file (so the "file" protocol is the only one it may use); the
    # context manager deletes it on the way out, whatever happened (try/finally inside).
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=".audio") as spool:
        spool_capped(stream, spool, max_bytes=max_bytes, what="recording")
        return validate_audio_file(spool.name, max_seconds=max_seconds, min_seconds=min_seconds)


def validate_audio_file(
    path: str, *, max_seconds: float, min_seconds: float = 0.0
) -> ValidatedAudio:
    """:func:`validate_audio` for a recording already in a file (size already checked), e.g.
    ``/proc/self/fd/N`` in the sandboxed child, which must not spool a named copy of its own."""
    try:
        return _transcode(path, max_seconds, min_seconds)
    except _AV_ERRORS as exc:  # UnicodeDecodeError is a ValueError
        raise _malformed_audio() from exc


def _open_audio_container(path: str) -> av.container.InputContainer:
    options = {
        "protocol_whitelist": "file",
        "format_whitelist": ",".join(_AUDIO_DEMUXERS),
    }
    try:
        container = av.open(path, mode="r", container_options=options, metadata_errors="replace")
    except _AV_ERRORS as exc:
        raise _unsupported_audio() from exc
    if not set(container.format.name.split(",")) & set(_AUDIO_DEMUXERS):
        container.close()
        raise _unsupported_audio()
    return container


def _transcode(path: str, max_seconds: float, min_seconds: float = 0.0) -> ValidatedAudio:
    """Lossless sources become FLAC; lossy ones (MP3, AAC, Vorbis, Opus) become mono Opus at
    about their own bit rate, since lossless storage of a lossy source only multiplies its size
    (a 171 KB Opus file made a 7.9 MB FLAC)."""
    with _open_audio_container(path) as container:
        audio = _single_audio_stream(container)
        codec = _checked_codec(audio)
        frames = _decoded_frames(container, audio)
        lossless = codec.startswith("pcm_") or codec == "flac"
        bit_rate = None if lossless else _opus_bit_rate(container, audio)
        encoded = _encode_audio(frames, max_seconds, opus_bit_rate=bit_rate)
        if encoded.duration_seconds < min_seconds:
            raise UploadRejected(
                "too_short",
                f"The recording is {_short_duration(encoded.duration_seconds)} seconds long; "
                f"speech must be at least {_human_duration(min_seconds)}.",
            )
        return ValidatedAudio(
            content=encoded.content,
            extension=".flac" if lossless else ".ogg",
            content_type="audio/flac" if lossless else "audio/ogg",
            duration_seconds=encoded.duration_seconds,
            sample_rate=encoded.sample_rate,
            channels=encoded.channels,
            source_format=container.format.name,
            source_codec=codec,
        )


def _single_audio_stream(container: av.container.InputContainer) -> av.audio.AudioStream:
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:  # cover art is fine (dropped)
            raise UploadRejected(
                "has_video",
                "The recording contains video; please upload an audio-only file.",
            )
    audio_streams = list(container.streams.audio)
    if not audio_streams:
        raise UploadRejected("no_audio", "The file contains no audio stream.")
    if len(audio_streams) > 1:
        raise UploadRejected(
            "multiple_audio_streams",
            f"The file contains {len(audio_streams)} audio streams; "
            "please upload a recording with exactly one.",
        )
    return audio_streams[0]


def _checked_codec(audio: av.audio.AudioStream) -> str:
    """The decoder's name, if it is on the allow-list."""
    context = audio.codec_context  # None when FFmpeg has no decoder for the stream
    codec = context.name if context is not None else "unknown"
    if context is not None and (codec.startswith("pcm_") or codec in _AUDIO_CODECS):
        return codec
    raise UploadRejected(
        "unsupported_type",
        f"The recording uses the {codec!r} codec, which is not accepted. "
        f"Accepted formats: {_ACCEPTED_AUDIO_TEXT}.",
        status=415,
    )


def _decoded_frames(
    container: av.container.InputContainer, audio: av.audio.AudioStream
) -> Iterator[av.AudioFrame]:
    """Decoded frames of the one audio stream (other streams are not decoded).

    A few undecodable packets are skipped, as players do (MP3s often end in a scrap of junk
    that the demuxer hands over as a packet); more than that makes the file malformed.
    """
    bad_packets = 0
    for packet in container.demux(audio):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            bad_packets += 1
            if bad_packets > _MAX_BAD_PACKETS:
                raise
            continue
        for frame in frames:
            if frame.samples:
                yield frame


# Opus bit rates for re-encoded lossy speech: about the source's own, within these bounds.
_OPUS_MIN_BIT_RATE = 24_000
_OPUS_MAX_BIT_RATE = 64_000
_OPUS_RATE = 48_000
_OPUS_FRAME = 960  # samples per 20 ms Opus frame at 48 kHz


def _opus_bit_rate(container: av.container.InputContainer, audio: av.audio.AudioStream) -> int:
    """The source's bit rate (as its header says; a lie only moves us within the bounds)."""
    declared = audio.bit_rate or container.bit_rate or _OPUS_MAX_BIT_RATE
    return int(min(_OPUS_MAX_BIT_RATE, max(_OPUS_MIN_BIT_RATE, declared)))


def _short_duration(seconds: float) -> str:
    """0.0054 -> '0.005', 0.5 -> '0.5'."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".") or "0"


@dataclass(frozen=True)
class _Encoded:
    content: bytes
    duration_seconds: float
    sample_rate: int
    channels: int


class _AudioWriter:
    """Resamples decoded frames to s16 and encodes them in memory: FLAC (mono or stereo), or
    with ``opus_bit_rate`` mono Opus in Ogg at 48 kHz (speech from a lossy source)."""

    def __init__(
        self, sample_rate: int, input_channels: int, opus_bit_rate: int | None = None
    ) -> None:
        self.sample_rate = sample_rate if opus_bit_rate is None else _OPUS_RATE
        self.channels = 1 if input_channels == 1 or opus_bit_rate else 2
        layout = "mono" if self.channels == 1 else "stereo"
        self.buffer = io.BytesIO()
        self.container = av.open(
            self.buffer,
            mode="w",
            format="flac" if opus_bit_rate is None else "ogg",
            container_options={"fflags": "+bitexact"},
        )
        codec = "flac" if opus_bit_rate is None else "libopus"
        self.stream = self.container.add_stream(codec, rate=self.sample_rate)
        self.stream.layout = layout
        self.stream.format = _OUTPUT_FORMAT
        if opus_bit_rate is not None:
            self.stream.bit_rate = opus_bit_rate
        self.resampler = AudioResampler(
            format=_OUTPUT_FORMAT,
            layout=layout,
            rate=self.sample_rate,
            frame_size=None if opus_bit_rate is None else _OPUS_FRAME,
        )
        self.time_base = Fraction(1, self.sample_rate)  # of the output (48 kHz for Opus)
        self.next_pts = 0

    def write(self, frame: av.AudioFrame | None) -> None:
        if frame is not None:
            frame.pts = None  # timestamps are regenerated; the source's may be absent or odd
        for resampled in self.resampler.resample(frame):
            self._mux(resampled)
        if frame is None:
            self._mux(None)

    def _mux(self, frame: av.AudioFrame | None) -> None:
        if frame is not None:
            frame.pts = self.next_pts
            frame.time_base = self.time_base
            self.next_pts += frame.samples
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def finish(self) -> bytes:
        self.write(None)
        self.container.close()
        return self.buffer.getvalue()

    def abandon(self) -> None:
        try:
            self.container.close()
        except _AV_ERRORS:
            pass


def _encode_audio(
    frames: Iterator[av.AudioFrame], max_seconds: float, opus_bit_rate: int | None = None
) -> _Encoded:
    """Encode while decoding; stop as soon as the decoded sound exceeds ``max_seconds``."""
    writer: _AudioWriter | None = None
    samples = 0
    rate = 1
    try:
        for frame in frames:
            if writer is None:
                rate = _checked_rate(frame.sample_rate)
                writer = _AudioWriter(rate, len(frame.layout.channels), opus_bit_rate)
            samples += frame.samples  # a change of rate mid-stream makes the resampler refuse
            if samples / rate > max_seconds:
                raise UploadRejected(
                    "too_long",
                    f"The recording is longer than the limit of {_human_duration(max_seconds)}.",
                )
            writer.write(frame)
        if writer is None:
            raise UploadRejected("no_audio", "The recording contains no decodable sound.")
        content = writer.finish()
    except BaseException:
        if writer is not None:
            writer.abandon()
        raise
    return _Encoded(content, samples / rate, writer.sample_rate, writer.channels)


def _checked_rate(sample_rate: int) -> int:
    if _MIN_SAMPLE_RATE <= sample_rate <= _MAX_SAMPLE_RATE:
        return sample_rate
    raise UploadRejected(
        "unsupported_type",
        f"The recording's sample rate ({sample_rate:,} Hz) is not supported; "
        f"it must be between {_MIN_SAMPLE_RATE:,} and {_MAX_SAMPLE_RATE:,} Hz.",
        status=415,
    )


def _unsupported_audio() -> UploadRejected:
    return UploadRejected(
        "unsupported_type",
        f"The file is not a recognised audio recording. Accepted formats: {_ACCEPTED_AUDIO_TEXT}.",
        status=415,
    )


def _malformed_audio() -> UploadRejected:
    return UploadRejected(
        "malformed",
        "The recording could not be decoded: the file is damaged, truncated or not real audio.",
    )
