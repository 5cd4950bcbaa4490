"""Media for the demo and benchmarks: a public-domain portrait bundled with scikit-image
(NASA's astronaut photo) and speech synthesised by espeak-ng. Nothing is downloaded."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from core.errors import DomainError

DEMO_SENTENCES = (
    "Hello, my dear family. I am so glad you found this old photograph of me. "
    "Remember to look after each other."
)


def demo_portrait_jpeg(size: int = 512) -> bytes:
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((size, size)).save(buffer, "JPEG", quality=94)
    return buffer.getvalue()


def demo_speech_wav(
    text: str = DEMO_SENTENCES, *, voice: str = "en-us", seconds: float = 0
) -> bytes:
    """Speech from espeak-ng; with ``seconds``, exactly that long (the text repeated, then cut)."""
    if not shutil.which("espeak-ng"):
        raise DomainError("espeak-ng is not installed (scripts/install installs it).")
    if seconds:
        text = " ".join([text] * max(1, int(seconds // 6) + 1))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "160", "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        return _cut_wav(path.read_bytes(), seconds) if seconds else path.read_bytes()


def _cut_wav(data: bytes, seconds: float) -> bytes:
    """The first ``seconds`` of a WAV file."""
    with wave.open(io.BytesIO(data)) as source:
        params = source.getparams()
        frames = source.readframes(int(round(seconds * params.framerate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setparams(params)
        target.writeframes(frames)
    return out.getvalue()
