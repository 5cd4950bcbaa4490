"""Tests for uploads.validation: untrusted portraits and recordings are judged by content.

All media is generated here (Pillow/numpy for images, PyAV for audio); nothing is downloaded.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from fractions import Fraction

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms

from uploads.validation import (
    UploadRejected,
    ValidatedAudio,
    ValidatedPortrait,
    validate_audio,
    validate_portrait,
)

MB = 1024 * 1024
RANDOM_BYTES = np.random.default_rng(1).bytes(5000)
PORTRAIT_LIMITS = {"max_bytes": 5 * MB, "max_pixels": 4_000_000, "min_side": 32}
AUDIO_LIMITS = {"max_bytes": 5 * MB, "max_seconds": 30.0}


# ------------------------------------------------------------------------------------------
# Image helpers
# ------------------------------------------------------------------------------------------


def photo(width: int = 96, height: int = 64, mode: str = "RGB") -> Image.Image:
    """A smooth colour gradient with some noise (compresses like a photo, not like a flat fill)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256])
    rgb = np.clip(rgb.transpose(1, 2, 0) + rng.integers(-8, 8, (height, width, 3)), 0, 255)
    return Image.fromarray(rgb.astype(np.uint8), "RGB").convert(mode)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def portrait(data: bytes, **overrides) -> ValidatedPortrait:
    return validate_portrait(io.BytesIO(data), **{**PORTRAIT_LIMITS, **overrides})


def portrait_rejection(data: bytes, **overrides) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        portrait(data, **overrides)
    return info.value


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bilevel_png(width: int, height: int, *, with_pixels: bool = True) -> bytes:
    """A black 1-bit PNG built row by row (a 20000² one is ~50 KB: a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(height if with_pixels else 1))
    body += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------------------
# Portraits: accepted
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "out_format", "extension", "content_type"),
    [
        ("JPEG", "JPEG", ".jpg", "image/jpeg"),
        ("PNG", "PNG", ".png", "image/png"),
        ("WEBP", "PNG", ".png", "image/png"),
    ],
)
def test_accepted_formats_are_reencoded(fmt, out_format, extension, content_type):
    result = portrait(encode(photo(), fmt))

    assert (result.format, result.extension, result.content_type) == (
        out_format,
        extension,
        content_type,
    )
    assert result.source_format == fmt
    assert (result.width, result.height) == (96, 64)
    with Image.open(io.BytesIO(result.content)) as decoded:
        assert decoded.format == out_format
        assert decoded.size == (96, 64)
        assert decoded.mode == "RGB"


def test_file_name_is_irrelevant_only_content_counts():
    stream = io.BytesIO(encode(photo(), "JPEG"))
    stream.name = "portrait.png"  # a lying name changes nothing

    result = validate_portrait(stream, **PORTRAIT_LIMITS)

    assert result.format == "JPEG"
    assert result.extension == ".jpg"


def test_jpeg_output_is_high_quality():
    original = photo(128, 128)
    result = portrait(encode(original, "JPEG", quality=100))

    decoded = np.asarray(Image.open(io.BytesIO(result.content)), dtype=float)
    assert np.abs(decoded - np.asarray(original, dtype=float)).mean() < 4


def test_exif_gps_is_stripped():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 21.0, 3.0),
    }
    source = encode(photo(), "JPEG", exif=exif.tobytes(), comment=b"secret comment")
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = portrait(source)

    with Image.open(io.BytesIO(result.content)) as decoded:
        assert not decoded.getexif()
        assert "exif" not in decoded.info
        assert "comment" not in decoded.info
    assert b"Exif" not in result.content
    assert b"SpyCam" not in result.content
    assert b"secret comment" not in result.content


def test_png_metadata_and_icc_profile_are_stripped():
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Secret")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(photo(), "PNG", pnginfo=text, icc_profile=icc)

    result = portrait(source)

    with Image.open(io.BytesIO(result.content)) as decoded:
        assert "icc_profile" not in decoded.info
        assert "Author" not in decoded.info
    assert b"Jane Secret" not in result.content


def test_exif_orientation_is_applied():
    # Left half red, right half blue, stored landscape; orientation 6 = "rotate 90° clockwise".
    array = np.zeros((40, 80, 3), np.uint8)
    array[:, :40] = (255, 0, 0)
    array[:, 40:] = (0, 0, 255)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = encode(Image.fromarray(array), "JPEG", exif=exif.tobytes(), quality=95)

    result = portrait(source)

    assert (result.width, result.height) == (40, 80)
    decoded = np.asarray(Image.open(io.BytesIO(result.content)).convert("RGB"), dtype=int)
    top, bottom = decoded[10, 20], decoded[70, 20]
    assert top[0] > 200 and top[2] < 60  # the stored left (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert Image.open(io.BytesIO(result.content)).getexif().get(ExifTags.Base.Orientation) is None


def test_trailing_polyglot_bytes_are_gone():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    html = b"<html><script>alert(document.cookie)</script></html>"
    source = encode(photo(), "JPEG") + html + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(source))

    result = portrait(source)

    assert not zipfile.is_zipfile(io.BytesIO(result.content))
    assert b"PK\x03\x04" not in result.content
    assert b"<script" not in result.content
    assert result.content.endswith(b"\xff\xd9")


def test_alpha_is_flattened_onto_white():
    image = photo(64, 64, "RGBA")
    image.putalpha(0)  # fully transparent
    result = portrait(encode(image, "PNG"))

    decoded = np.asarray(Image.open(io.BytesIO(result.content)))
    assert decoded.shape == (64, 64, 3)
    assert (decoded == 255).all()


@pytest.mark.parametrize("mode", ["L", "P", "LA", "I;16", "1", "CMYK"])
def test_unusual_modes_become_rgb(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    result = portrait(encode(photo(64, 64, mode), fmt))

    assert Image.open(io.BytesIO(result.content)).mode == "RGB"


# ------------------------------------------------------------------------------------------
# Portraits: refused
# ------------------------------------------------------------------------------------------


def test_truncated_jpeg_is_malformed():
    source = encode(photo(256, 256), "JPEG", quality=95)
    error = portrait_rejection(source[: len(source) // 2])

    assert (error.code, error.status) == ("malformed", 400)
    assert "truncated" in error.message


_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>x()</script></svg>'
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(photo(), "GIF"), id="gif"),
        pytest.param(encode(photo(), "BMP"), id="bmp"),
        pytest.param(encode(photo(), "TIFF"), id="tiff"),
        pytest.param(encode(photo(), "ICO"), id="ico"),
        pytest.param(_SVG, id="svg"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", id="html"),
        pytest.param(b"just some words, not a picture\n" * 10, id="text"),
        pytest.param(RANDOM_BYTES, id="random"),
        pytest.param(b"PK\x03\x04" + RANDOM_BYTES[:200], id="zip-ish"),
    ],
)
def test_other_types_are_unsupported(data):
    error = portrait_rejection(data)

    assert (error.code, error.status) == ("unsupported_type", 415)
    assert "JPEG, PNG or WebP" in error.message
    assert str(error) == error.message


def test_empty_portrait():
    error = portrait_rejection(b"")

    assert (error.code, error.status) == ("empty", 400)


def test_decompression_bomb_is_refused_before_decoding():
    bomb = bilevel_png(20_000, 20_000)
    assert len(bomb) < 200_000

    started = time.perf_counter()
    error = portrait_rejection(bomb, max_pixels=25_000_000)

    assert error.code in {"too_many_pixels", "decompression_bomb"}
    assert error.status == 400
    assert time.perf_counter() - started < 1.0
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the global default is left alone


def test_pixel_limit_is_checked_from_the_header():
    # 8000² passes Pillow's own bomb check but not ours; the IDAT is one row, so decoding
    # would fail: refusing with too_many_pixels proves no pixel was decoded.
    header_only = bilevel_png(8_000, 8_000, with_pixels=False)
    error = portrait_rejection(header_only, max_pixels=25_000_000)

    assert (error.code, error.status) == ("too_many_pixels", 400)
    assert "64,000,000" in error.message
    assert "25,000,000" in error.message


def test_image_over_max_pixels():
    error = portrait_rejection(encode(photo(300, 200), "PNG"), max_pixels=50_000)

    assert error.code == "too_many_pixels"
    assert "60,000" in error.message and "50,000" in error.message


def test_tiny_image_is_too_small():
    error = portrait_rejection(encode(photo(20, 200), "PNG"), min_side=32)

    assert (error.code, error.status) == ("too_small", 400)
    assert "32" in error.message


def test_too_many_bytes():
    source = encode(photo(256, 256), "PNG")
    error = portrait_rejection(source, max_bytes=10_000)

    assert (error.code, error.status) == ("too_large", 413)
    assert "KB" in error.message and "limit" in error.message


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_too_many_bytes_from_an_unseekable_stream():
    stream = io.BufferedReader(_Unseekable(RANDOM_BYTES * 10))

    with pytest.raises(UploadRejected) as info:
        validate_portrait(stream, max_bytes=1_000, max_pixels=10**6, min_side=1)

    assert info.value.code == "too_large"
    assert info.value.status == 413


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_images_are_refused(fmt):
    frames = [photo(64, 64), photo(64, 64).rotate(90)]
    source = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(source)).is_animated

    error = portrait_rejection(source)

    assert "animated images are not accepted" in error.message
    assert error.status in (400, 415)


# ------------------------------------------------------------------------------------------
# Audio helpers
# ------------------------------------------------------------------------------------------


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


def tone(
    fmt: str,
    codec: str,
    *,
    seconds: float = 1.0,
    rate: int = 44_100,
    layout: str = "mono",
    title: str | None = None,
    options: dict | None = None,
    audio_streams: int = 1,
    with_video: bool = False,
) -> bytes:
    """A 440 Hz sine written with PyAV into memory."""
    if not has_encoder(codec):
        pytest.skip(f"this PyAV build has no {codec} encoder")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        if title:
            container.metadata["title"] = title
        streams = []
        for _ in range(audio_streams):
            stream = container.add_stream(codec, rate=rate, options=options or {})
            stream.layout = layout
            if title:
                stream.metadata["title"] = title
            streams.append(stream)
        if with_video:
            _write_video(container)
        count = int(rate * seconds)
        wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(count) / rate)).astype(np.float32)
        channels = len(streams[0].layout.channels)
        for start in range(0, count, 4096):
            block = np.ascontiguousarray(np.tile(wave[start : start + 4096], (channels, 1)))
            for stream in streams:
                frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                container.mux(stream.encode(frame))
        for stream in streams:
            container.mux(stream.encode(None))
    return buffer.getvalue()


def _write_video(container) -> None:
    video = container.add_stream("mpeg4", rate=10)
    video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
    for index in range(5):
        array = np.full((64, 64, 3), index * 40, np.uint8)
        frame = av.VideoFrame.from_ndarray(array, format="rgb24")
        frame.pts = index
        container.mux(video.encode(frame))
    container.mux(video.encode(None))


def audio(data: bytes, **overrides) -> ValidatedAudio:
    return validate_audio(io.BytesIO(data), **{**AUDIO_LIMITS, **overrides})


def audio_rejection(data: bytes, **overrides) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        audio(data, **overrides)
    return info.value


def decode_flac(content: bytes) -> tuple[av.container.InputContainer, int]:
    container = av.open(io.BytesIO(content))
    stream = container.streams.audio[0]
    samples = sum(frame.samples for frame in container.decode(stream))
    container.seek(0)
    return container, samples


# ------------------------------------------------------------------------------------------
# Audio: accepted
# ------------------------------------------------------------------------------------------

ACCEPTED_AUDIO = {
    "wav": dict(fmt="wav", codec="pcm_s16le"),
    "wav-f32": dict(fmt="wav", codec="pcm_f32le"),
    "flac": dict(fmt="flac", codec="flac"),
    "mp3": dict(fmt="mp3", codec="libmp3lame"),
    "m4a-aac": dict(fmt="mp4", codec="aac"),
    "adts-aac": dict(fmt="adts", codec="aac"),
    "ogg-opus": dict(fmt="ogg", codec="libopus", rate=48_000),
    # FFmpeg's own Vorbis encoder is experimental and stereo-only.
    "ogg-vorbis": dict(
        fmt="ogg", codec="vorbis", layout="stereo", options={"strict": "experimental"}
    ),
}
EXPECTED_SOURCE = {
    "wav": ("wav", "pcm_s16le"),
    "wav-f32": ("wav", "pcm_f32le"),
    "flac": ("flac", "flac"),
    "mp3": ("mp3", "mp3float"),
    "m4a-aac": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    "adts-aac": ("aac", "aac"),
    "ogg-opus": ("ogg", "opus"),
    "ogg-vorbis": ("ogg", "vorbis"),
}


LOSSLESS_AUDIO = {"wav", "wav-f32", "flac"}


@pytest.mark.parametrize("kind", sorted(ACCEPTED_AUDIO))
def test_accepted_audio_is_reencoded_lossless_to_flac_lossy_to_opus(kind):
    params = ACCEPTED_AUDIO[kind]
    result = audio(tone(seconds=1.5, title="SECRET-TITLE", **params))

    assert (result.source_format, result.source_codec) == EXPECTED_SOURCE[kind]
    assert result.duration_seconds == pytest.approx(1.5, abs=0.1)
    lossless = kind in LOSSLESS_AUDIO
    if lossless:
        assert (result.extension, result.content_type) == (".flac", "audio/flac")
        assert result.sample_rate == params.get("rate", 44_100)
        assert result.channels == (2 if params.get("layout") == "stereo" else 1)
    else:  # lossless storage of a lossy source only multiplies its size
        assert (result.extension, result.content_type) == (".ogg", "audio/ogg")
        assert (result.sample_rate, result.channels) == (48_000, 1)

    container, samples = decode_flac(result.content)
    with container:
        stream = container.streams.audio[0]
        assert container.format.name == ("flac" if lossless else "ogg")
        assert stream.codec_context.name == ("flac" if lossless else "opus")
        if lossless:
            assert stream.codec_context.format.name == "s16"
        tolerance = 0.01 if lossless else 0.03  # Opus frames are 20 ms
        assert samples / result.sample_rate == pytest.approx(result.duration_seconds, abs=tolerance)
        assert "title" not in container.metadata
        assert "title" not in stream.metadata
    assert b"SECRET-TITLE" not in result.content


def test_metadata_and_trailing_bytes_are_gone():
    source = tone("mp3", "libmp3lame", title="SECRET-TITLE") + b"<html>trailing junk</html>"
    assert b"SECRET-TITLE" in source

    result = audio(source)

    assert b"SECRET-TITLE" not in result.content
    assert b"trailing junk" not in result.content
    assert not result.content.startswith(b"ID3")
    assert result.content.startswith(b"OggS")  # MP3 (lossy) is kept as Opus


def test_cover_art_is_allowed_and_dropped():
    if not has_encoder("libmp3lame"):
        pytest.skip("this PyAV build has no libmp3lame encoder")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        sound = container.add_stream("libmp3lame", rate=44_100)
        sound.layout = "mono"
        cover = container.add_stream("png")
        cover.width, cover.height, cover.pix_fmt = 16, 16, "rgb24"
        cover.disposition = av.stream.Disposition.attached_pic
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 44_100), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 44_100, 0
        container.mux(sound.encode(frame))
        container.mux(sound.encode(None))
        picture = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
        picture.pts = 0
        container.mux(cover.encode(picture))
        container.mux(cover.encode(None))
    probe = av.open(io.BytesIO(buffer.getvalue()))
    assert len(probe.streams.video) == 1
    probe.close()

    result = audio(buffer.getvalue())

    assert result.duration_seconds == pytest.approx(1.0, abs=0.1)
    with av.open(io.BytesIO(result.content)) as container:
        assert len(container.streams.video) == 0


def test_surround_is_downmixed_to_stereo():
    result = audio(tone("wav", "pcm_s16le", layout="5.1", seconds=0.5))

    assert result.channels == 2
    with av.open(io.BytesIO(result.content)) as container:
        assert container.streams.audio[0].codec_context.channels == 2


def test_stream_position_and_name_do_not_matter():
    stream = io.BytesIO(tone("wav", "pcm_s16le", seconds=0.5))
    stream.name = "voice.jpg"

    result = validate_audio(stream, **AUDIO_LIMITS)

    assert result.source_format == "wav"


# ------------------------------------------------------------------------------------------
# Audio: refused
# ------------------------------------------------------------------------------------------


def test_mp4_with_video_is_refused():
    error = audio_rejection(tone("mp4", "aac", with_video=True))

    assert (error.code, error.status) == ("has_video", 400)


def test_two_audio_streams_are_refused():
    error = audio_rejection(tone("mp4", "aac", audio_streams=2))

    assert (error.code, error.status) == ("multiple_audio_streams", 400)
    assert "2 audio streams" in error.message


def test_too_long_is_refused_by_decoded_length():
    error = audio_rejection(tone("wav", "pcm_s16le", seconds=3.0), max_seconds=2.0)

    assert (error.code, error.status) == ("too_long", 400)
    assert "2 seconds" in error.message


def test_too_long_message_names_the_limit():
    error = audio_rejection(tone("wav", "pcm_s16le", rate=8_000, seconds=3.0), max_seconds=1.5)
    assert "1.5 seconds" in error.message

    from uploads.validation import _human_duration

    assert _human_duration(600) == "10 minutes"
    assert _human_duration(90) == "1 minute 30 seconds"


def test_too_many_bytes_audio():
    error = audio_rejection(tone("wav", "pcm_s16le", seconds=1.0), max_bytes=10_000)

    assert (error.code, error.status) == ("too_large", 413)
    assert "86.2 KB" in error.message and "9.8 KB" in error.message


def test_empty_audio():
    error = audio_rejection(b"")

    assert (error.code, error.status) == ("empty", 400)


def test_random_bytes_are_refused():
    error = audio_rejection(RANDOM_BYTES)

    assert error.code in {"malformed", "unsupported_type"}
    assert 400 <= error.status < 500


def test_png_as_audio_is_refused():
    error = audio_rejection(encode(photo(), "PNG"))

    assert error.code == "unsupported_type"
    assert error.status == 415


@pytest.mark.parametrize(
    ("fmt", "codec"),
    [("aiff", "pcm_s16be"), ("matroska", "flac"), ("au", "pcm_s16be")],
)
def test_containers_outside_the_allow_list_are_refused(fmt, codec):
    error = audio_rejection(tone(fmt, codec, seconds=0.5))

    assert (error.code, error.status) == ("unsupported_type", 415)


@pytest.mark.parametrize(("fmt", "codec"), [("mp4", "alac"), ("wav", "adpcm_ms")])
def test_codecs_outside_the_allow_list_are_refused(fmt, codec):
    error = audio_rejection(tone(fmt, codec, seconds=0.5))

    assert (error.code, error.status) == ("unsupported_type", 415)
    assert codec in error.message


def test_odd_sample_rate_is_refused():
    error = audio_rejection(tone("wav", "pcm_s16le", rate=4_000, seconds=0.5))

    assert (error.code, error.status) == ("unsupported_type", 415)
    assert "4,000 Hz" in error.message


def test_header_without_samples_has_no_audio():
    header_only = tone("wav", "pcm_s16le", seconds=0.5)[:44]

    error = audio_rejection(header_only)

    assert error.code in {"no_audio", "malformed", "unsupported_type"}


@pytest.mark.parametrize("cut", [4, 12, 20, 30, 43, 45, 1001])
def test_truncated_wav_is_refused_or_accepted_cleanly(cut):
    source = tone("wav", "pcm_s16le", seconds=0.5)
    try:
        result = audio(source[:cut])
    except UploadRejected as error:
        assert 400 <= error.status < 500
    else:
        assert result.duration_seconds < 0.5


def test_temporary_file_is_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    audio(tone("wav", "pcm_s16le", seconds=0.2))
    audio_rejection(RANDOM_BYTES)
    audio_rejection(tone("wav", "pcm_s16le", seconds=3.0), max_seconds=1.0)

    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# Fuzzing: nothing but UploadRejected may escape
# ------------------------------------------------------------------------------------------

_FUZZ = settings(
    max_examples=100,
    database=None,  # no .hypothesis/ folder in the checkout
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_portrait_only_raises_upload_rejected(data):
    try:
        portrait(data, min_side=1)
    except UploadRejected as error:
        assert 400 <= error.status < 500 and error.code and error.message


@_FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_audio_only_raises_upload_rejected(data):
    try:
        audio(data)
    except UploadRejected as error:
        assert 400 <= error.status < 500 and error.code and error.message


def _seed_files() -> list[bytes]:
    seeds = [
        encode(photo(40, 40), "JPEG"),
        encode(photo(40, 40), "PNG"),
        encode(photo(40, 40), "WEBP"),
    ]
    seeds.append(tone("wav", "pcm_s16le", seconds=0.1, rate=8_000))
    seeds.append(tone("flac", "flac", seconds=0.1, rate=8_000))
    for fmt, codec in (("mp3", "libmp3lame"), ("mp4", "aac"), ("ogg", "libopus")):
        if has_encoder(codec):
            seeds.append(
                tone(fmt, codec, seconds=0.1, rate=48_000 if codec == "libopus" else 8_000)
            )
    return seeds


SEEDS = _seed_files()


@st.composite
def mutated_media(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    return bytes(data[:cut])


@_FUZZ
@given(mutated_media())
def test_fuzz_mutated_media_only_raises_upload_rejected(data):
    for validate in (
        lambda: portrait(data, min_side=1),
        lambda: audio(data),
    ):
        try:
            validate()
        except UploadRejected as error:
            assert 400 <= error.status < 500
