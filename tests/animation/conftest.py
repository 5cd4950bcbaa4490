"""Fixtures for the animation tests: every input is made here (skimage's astronaut, espeak-ng)."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np
import pytest
from PIL import Image


def write_wav(path, samples: np.ndarray, rate: int = 16_000) -> None:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(data.tobytes())


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()


@pytest.fixture(scope="session")
def portraits(astronaut, tmp_path_factory) -> dict:
    """Paths of the astronaut and variants made from it."""
    import cv2

    root = tmp_path_factory.mktemp("portraits")
    out = {}

    def save(name: str, array: np.ndarray, **kwargs) -> None:
        path = root / f"{name}.png"
        Image.fromarray(array).save(path, **kwargs)
        out[name] = path

    save("color", astronaut)
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    Image.fromarray(gray, "L").save(root / "gray.png")
    out["gray"] = root / "gray.png"
    sepia_matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    sepia = np.clip(astronaut.astype(float) @ sepia_matrix.T, 0, 255).astype(np.uint8)
    save("sepia", sepia)
    save("painted", cv2.stylization(astronaut, sigma_s=40, sigma_r=0.35))
    save("small", cv2.resize(astronaut, (320, 320), interpolation=cv2.INTER_AREA))
    save("tiny_face", cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA))
    # Two faces side by side: a smaller copy (left) and the full-size one (right).
    smaller = np.pad(cv2.resize(astronaut, (384, 384)), ((0, 128), (0, 0), (0, 0)), mode="edge")
    save("two_faces", np.concatenate([smaller, astronaut], axis=1))
    save("no_face", np.ascontiguousarray(astronaut[320:, 330:]))
    # EXIF orientation 6 (rotate 90° clockwise to display): store the pixels rotated back.
    rotated = np.ascontiguousarray(np.rot90(astronaut, k=1))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(rotated).save(buffer, format="JPEG", quality=95, exif=exif)
    (root / "exif_rotated.jpg").write_bytes(buffer.getvalue())
    out["exif_rotated"] = root / "exif_rotated.jpg"
    (root / "garbage.jpg").write_bytes(b"this is not an image at all" * 10)
    out["garbage"] = root / "garbage.jpg"
    return out


@pytest.fixture(scope="session")
def espeak(tmp_path_factory):
    """Callable: text -> path of an espeak-ng WAV (skips when espeak-ng is absent)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    root = tmp_path_factory.mktemp("speech")
    cache: dict = {}

    def make(text: str, voice: str = "en-us", speed: int = 175):
        key = (text, voice, speed)
        if key not in cache:
            path = root / f"speech{len(cache)}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                           check=True, capture_output=True)  # fmt: skip
            cache[key] = path
        return cache[key]

    return make


@pytest.fixture(scope="session")
def short_speech(espeak):
    return espeak("Hello, mama. Good to see you.")


@pytest.fixture(scope="session")
def silence_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "silence.wav"
    write_wav(path, np.zeros(16_000))
    return path


@pytest.fixture(scope="session")
def empty_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "empty.wav"
    write_wav(path, np.zeros(0))
    return path


def decode_video(path):
    """(frames (N, H, W, 3) uint8, fps, audio stream count, audio seconds)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
    with av.open(str(path)) as container:
        n_audio = len(container.streams.audio)
        seconds = 0.0
        if n_audio:
            for frame in container.decode(container.streams.audio[0]):
                seconds += frame.samples / frame.sample_rate
    return frames, fps, n_audio, seconds


@pytest.fixture(scope="session")
def video_decoder():
    return decode_video


@pytest.fixture(scope="session")
def wav_writer():
    return write_wav
