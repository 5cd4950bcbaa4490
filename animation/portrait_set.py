"""A varied set of test portraits the project makes itself (nothing in it is committed).

    python -m animation.portrait_set [--out DIR] [--download]

- ``astronaut``: scikit-image's public-domain astronaut (a toothy smile);
- ``astronaut_closed`` and ``astronaut_open``: the same face with its mouth closed and wide open,
  made by the project's own rig (`FaceRig` mouth parameters rendered by `PortraitGenerator`), so
  they follow the rig as it improves;
- ``astronaut_gray`` and ``astronaut_sepia``: the astronaut as an old photograph;
- ``glasses_man``: the left third of ``example.jpg`` from Debian's ``opencv-doc`` package (a man
  with glasses and a closed mouth). It is taken from the installed package, else from a cached
  copy of the ``.deb``, else (only with ``download=True``) from ``apt-get download opencv-doc``;
  without any of these the set goes without it. The package's other images are kept for
  acceptance testing and never used here.

Portraits are written as PNG files to a folder (default ``$LIKENESS_VAR_DIR/portrait-set``,
else ``var/portrait-set``, which also caches the opencv-doc photograph and package); the rig's
variants are made afresh every time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

OPENCV_DOC_PACKAGE = "opencv-doc"
OPENCV_EXAMPLE = "usr/share/doc/opencv-doc/opencv4/html/example.jpg"
APT_ARCHIVES = Path("/var/cache/apt/archives")
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
CLOSED_MOUTH = (0.0, 0.0, 0.0, 1.0)  # jaw_open, lip_width, lip_round, lip_closure
WIDE_OPEN_MOUTH = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Portrait:
    name: str  # short identifier
    path: Path  # PNG file
    mouth: str  # the portrait's own mouth: "smile" (teeth), "closed" or "open"
    tone: str  # "colour", "gray" or "sepia"
    origin: str  # where it comes from, in words


def default_root() -> Path:
    return Path(os.environ.get("LIKENESS_VAR_DIR", "var")) / "portrait-set"


def build_portrait_set(
    root: str | os.PathLike | None = None, *, download: bool = False
) -> dict[str, Portrait]:
    """Write the set's portraits to `root` and return them by name (see the module's list)."""
    from skimage.data import astronaut

    root = Path(root) if root is not None else default_root()
    root.mkdir(parents=True, exist_ok=True)
    face = astronaut()
    portraits: dict[str, Portrait] = {}

    def save(name: str, image: np.ndarray, mouth: str, tone: str, origin: str) -> None:
        path = root / f"{name}.png"
        Image.fromarray(image).save(path)
        portraits[name] = Portrait(name, path, mouth, tone, origin)

    save("astronaut", face, "smile", "colour", "skimage.data.astronaut()")
    closed, wide = rig_variants(face, [CLOSED_MOUTH, WIDE_OPEN_MOUTH])
    save("astronaut_closed", closed, "closed", "colour", "astronaut, mouth closed by the rig")
    save("astronaut_open", wide, "open", "colour", "astronaut, mouth opened by the rig")
    save("astronaut_gray", grayscale(face), "smile", "gray", "astronaut in grayscale")
    save("astronaut_sepia", sepia(face), "smile", "sepia", "astronaut in sepia")
    man = opencv_example(download=download)
    if man is not None:
        save("glasses_man", man, "closed", "colour", f"left third of {OPENCV_EXAMPLE}")
    return portraits


def rig_variants(image: np.ndarray, mouths: Sequence[Sequence[float]]) -> list[np.ndarray]:
    """The portrait rendered by the project's rig with each mouth (jaw, width, round, closure)."""
    import torch

    from .generator import PortraitGenerator
    from .landmarks import FaceLandmarker
    from .rig import FaceRig

    with FaceLandmarker() as finder:
        points = finder.find(image).points
    rig = FaceRig(points)
    n = len(mouths)
    zeros = torch.zeros
    with torch.inference_mode():
        mouth = torch.tensor(np.asarray(mouths, dtype=np.float32))
        targets = rig(mouth, zeros(n, 3), zeros(n, 2), zeros(n), zeros(n, 2), zeros(n))
        frames = PortraitGenerator(image, points)(targets)
    return [np.ascontiguousarray(f) for f in frames.numpy()]


def grayscale(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 luma (ITU-R BT.601), as a scanned black-and-white print."""
    luma = image[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    return np.clip(np.round(luma), 0, 255).astype(np.uint8)


def sepia(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 in the classic sepia tone."""
    return np.clip(image[..., :3].astype(np.float64) @ SEPIA.T, 0, 255).astype(np.uint8)


def opencv_example(cache: Path | None = None, *, download: bool = False) -> np.ndarray | None:
    """The left third of opencv-doc's example.jpg, or None when the package is not at hand.

    The photograph (and the package, when downloaded) is kept in `cache` (`default_root()`)."""
    cache = cache or default_root()
    cache.mkdir(parents=True, exist_ok=True)
    extracted = cache / "opencv-doc-example.jpg"
    if not extracted.is_file():
        data = _example_bytes(cache, download)
        if data is None:
            return None
        extracted.write_bytes(data)
    with Image.open(extracted) as image:
        rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, : rgb.shape[1] // 3])


def _example_bytes(cache: Path, download: bool) -> bytes | None:
    installed = Path("/") / OPENCV_EXAMPLE
    if installed.is_file():
        return installed.read_bytes()
    debs = sorted(cache.glob(f"{OPENCV_DOC_PACKAGE}_*.deb")) + sorted(
        APT_ARCHIVES.glob(f"{OPENCV_DOC_PACKAGE}_*.deb")
    )
    if not debs and download and shutil.which("apt-get"):
        subprocess.run(["apt-get", "download", OPENCV_DOC_PACKAGE], cwd=cache, check=False,
                       capture_output=True, timeout=600)  # fmt: skip
        debs = sorted(cache.glob(f"{OPENCV_DOC_PACKAGE}_*.deb"))
    for deb in debs:
        data = _member_of_deb(deb, OPENCV_EXAMPLE)
        if data is not None:
            return data
    return None


def _member_of_deb(deb: Path, member: str) -> bytes | None:
    """One file of a Debian package's data archive (dpkg-deb --fsys-tarfile, read in Python)."""
    if not shutil.which("dpkg-deb"):
        return None
    with tempfile.TemporaryFile() as tar_file:
        done = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=tar_file,
                              stderr=subprocess.DEVNULL, check=False)  # fmt: skip
        if done.returncode != 0:
            return None
        tar_file.seek(0)
        with tarfile.open(fileobj=tar_file) as archive:
            for name in (f"./{member}", member):
                try:
                    handle = archive.extractfile(name)
                except KeyError:
                    continue
                if handle is not None:
                    return handle.read()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m animation.portrait_set",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default=None, help="folder for the PNG files")
    parser.add_argument(
        "--download",
        action="store_true",
        help="fetch the opencv-doc .deb with apt-get download when missing",
    )
    args = parser.parse_args(argv)
    portraits = build_portrait_set(args.out, download=args.download)
    for p in portraits.values():
        print(f"{p.name:<18} {p.mouth:<7} {p.tone:<7} {p.path}  ({p.origin})")
    if "glasses_man" not in portraits:
        print("glasses_man: opencv-doc is not at hand (run with --download)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
