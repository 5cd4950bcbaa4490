"""Portrait loading: decode any still image, honour its EXIF orientation, fit the output size.

The output keeps the portrait's framing: it is only scaled (never cropped), so the longest side
becomes `size` (at most 1024, never upscaled) and both sides are even, as yuv420p needs.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UnreadableImageError

MAX_OUTPUT_SIDE = 1024  # longest side of the generated video
MIN_INPUT_SIDE = 32  # smaller images cannot hold an animatable face
MAX_INPUT_PIXELS = 80_000_000  # refuse decompression bombs before decoding them

PortraitSource = str | os.PathLike | bytes | np.ndarray | Image.Image


def load_portrait(source: PortraitSource) -> np.ndarray:
    """Decode a portrait into an upright (H, W, 3) uint8 RGB array.

    Accepts a path, the file's bytes, a PIL image or an array (H, W) / (H, W, 3|4).
    Raises UnreadableImageError with a readable message when it is not a usable image.
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    try:
        if isinstance(source, Image.Image):
            image = source
        elif isinstance(source, bytes):
            image = Image.open(io.BytesIO(source))
        else:
            path = Path(source)
            if not path.is_file():
                raise UnreadableImageError(f"The portrait file {path.name!r} does not exist.")
            image = Image.open(path)
        if image.width * image.height > MAX_INPUT_PIXELS:
            raise UnreadableImageError(
                f"The portrait is {image.width}x{image.height} pixels; images above "
                f"{MAX_INPUT_PIXELS // 1_000_000} megapixels are not accepted."
            )
        image.load()
        image = ImageOps.exif_transpose(image)
        rgb = _pil_to_rgb(image)
    except UnreadableImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImageError(
            "The portrait could not be read as an image (use a JPEG, PNG or WebP photo)."
        ) from exc
    if min(rgb.shape[:2]) < MIN_INPUT_SIDE:
        raise UnreadableImageError(
            f"The portrait is only {rgb.shape[1]}x{rgb.shape[0]} pixels; at least "
            f"{MIN_INPUT_SIDE} pixels on each side are needed."
        )
    return rgb


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white, as a printed photo's paper would be.
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        data = np.asarray(image, dtype=np.float64)
        lo, hi = float(data.min()), float(data.max())
        data = (data - lo) / max(hi - lo, 1e-9) * 255.0
        image = Image.fromarray(data.round().astype(np.uint8), "L")
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise UnreadableImageError("The portrait array must be (H, W), (H, W, 3) or (H, W, 4).")
    if array.dtype != np.uint8:
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array[..., :3])


def output_size(width: int, height: int, size: int) -> tuple[int, int]:
    """Return the (width, height) of the video: longest side `size`, never upscaled, even."""
    if not 64 <= size <= MAX_OUTPUT_SIDE:
        raise ValueError(f"size must be between 64 and {MAX_OUTPUT_SIDE}, not {size}")
    scale = min(1.0, size / max(width, height))
    out_w = max(2, int(round(width * scale / 2.0)) * 2)
    out_h = max(2, int(round(height * scale / 2.0)) * 2)
    return out_w, out_h


def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an RGB array with area averaging when shrinking (no aliasing), Lanczos otherwise."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    import cv2  # heavy import kept off the package import path

    shrinking = width < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    return cv2.resize(image, (width, height), interpolation=interpolation)
