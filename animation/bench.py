"""Benchmark: python -m animation.bench [--seconds 10] [--size 512] [--out DIR]

For a speech clip on the astronaut portrait it prints, as JSON and as a table: per-stage
ms/frame, the end-to-end real-time factor (clip seconds / wall seconds) and peak RSS, on CPU and
on CUDA when present; and quality figures from a second run: (a) the landmark detector re-run on
the generated frames versus the intended target landmarks, mean error in % of inter-ocular
distance, mouth and eyes separately; (b) SSIM of the first (neutral) frame against the source
outside the mouth; (c) mean pixel drift of the background outside the head. It writes
bench.json and a contact sheet (mouth closed, half open, wide open, blink, head turned).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import torch

from . import topology as topo

TEXT = (
    "Good evening, my dears. I wanted to tell you about the summer we spent by the sea, "
    "when your grandfather built a little boat and we sailed it every morning."
)


def _speech(path: Path, seconds: float) -> str:
    """A WAV of exactly `seconds`: espeak-ng speech (repeated/trimmed), else a voiced buzz."""
    rate = 16_000
    if shutil.which("espeak-ng"):
        raw = path.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), TEXT], check=True,
                       capture_output=True)  # fmt: skip
        from .audio import decode_audio

        speech = decode_audio(raw, rate)
        source = "espeak-ng"
    else:
        t = np.arange(int(4 * rate)) / rate
        speech = 0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 4 * t) > 0)
        source = "synthetic"
    n = int(seconds * rate)
    samples = np.resize(speech, n).astype(np.float32)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return source


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_run(portrait, audio, out: Path, size: int, device: str) -> dict:
    from .pipeline import animate

    start = time.perf_counter()
    result = animate(portrait, audio, out, size=size, device=device, seed=0)
    wall = time.perf_counter() - start
    frames = result.frame_count
    per_stage = {k: round(v * 1000 / frames, 2) for k, v in result.timings.items()}
    return {
        "device": device, "frames": frames, "clip_s": result.duration_s, "wall_s": round(wall, 2),
        "real_time_factor": round(result.duration_s / wall, 3), "ms_per_frame": per_stage,
        "peak_rss_mb": round(_rss_mb(), 1),
        "peak_cuda_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)
        if device.startswith("cuda") else None,
    }  # fmt: skip


def _quality(portrait_path: Path, audio: Path, out_dir: Path, size: int) -> tuple[dict, dict]:
    import av
    import cv2
    from skimage.metrics import structural_similarity

    from .landmarks import FaceLandmarker
    from .pipeline import animate
    from .portrait import load_portrait, output_size, resize_rgb
    from .warp import HeadSupport, WarpConfig

    frames: list[np.ndarray] = []

    def keep(chunk: torch.Tensor, start: int) -> torch.Tensor:
        frames.append(chunk.cpu().numpy().copy())
        return chunk

    result = animate(portrait_path, audio, out_dir / "quality.mp4", size=size, seed=0,
                     frame_hook=keep)  # fmt: skip
    video = np.concatenate(frames)
    image = load_portrait(portrait_path)
    source = resize_rgb(image, *output_size(image.shape[1], image.shape[0], size))
    pts = result.source_landmarks
    iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2] - pts[topo.RIGHT_IRIS_CENTER, :2]))

    # (a) landmark error of the detector on generated frames vs intended targets.
    mouth_ids, eye_ids = list(topo.MOUTH_METRIC_POINTS), list(topo.EYE_METRIC_POINTS)
    errors_mouth, errors_eyes, missed = [], [], 0
    with FaceLandmarker() as finder:
        for i, frame in enumerate(video):
            try:
                found = finder.find(frame).points[:, :2]
            except Exception:  # noqa: BLE001 - a miss is a figure, not a crash
                missed += 1
                continue
            err = np.linalg.norm(found - result.target_landmarks[i], axis=1) / iod * 100
            errors_mouth.append(err[mouth_ids].mean())
            errors_eyes.append(err[eye_ids].mean())
        baseline = finder.find(source).points[:, :2]
    base_err = np.linalg.norm(baseline - pts[:, :2], axis=1) / iod * 100

    # (b) SSIM of the first frame against the source, outside the mouth.
    mouth_mask = np.zeros(source.shape[:2], np.uint8)
    lips = np.concatenate([pts[list(topo.LIPS_OUTER_UPPER), :2],
                           pts[list(topo.LIPS_OUTER_LOWER[::-1]), :2]])  # fmt: skip
    cv2.fillPoly(mouth_mask, [np.round(lips).astype(np.int32)], 1)
    mouth_mask = cv2.dilate(mouth_mask, np.ones((int(0.3 * iod) * 2 + 1,) * 2, np.uint8))
    outside = mouth_mask == 0

    def ssim_outside(frame: np.ndarray) -> float:
        _, full = structural_similarity(source, frame, channel_axis=2, full=True, data_range=255)
        return float(full.mean(axis=2)[outside].mean())

    with av.open(str(result.output_path)) as container:
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    # (c) background drift outside the head ellipse, every frame.
    support = HeadSupport.from_landmarks(pts, WarpConfig())
    yy, xx = np.mgrid[: source.shape[0], : source.shape[1]]
    background = support.radius(np.stack([xx, yy], -1).astype(np.float64)) > 1.0
    src_bg = source[background].astype(np.float64)
    drift_gen = float(np.mean([np.abs(f[background] - src_bg).mean() for f in video]))
    drift_mp4 = float(np.mean([np.abs(f[background] - src_bg).mean() for f in decoded]))
    # How much the decoded background moves over time (against the first decoded frame), which
    # leaves out the one-off H.264 quantisation error that the line above includes.
    first_bg = decoded[0][background].astype(np.float64)
    drift_mp4_temporal = float(
        np.mean([np.abs(f[background] - first_bg).mean() for f in decoded[1:]] or [0.0])
    )
    quality = {
        "landmark_error_mouth_pct_iod": round(float(np.mean(errors_mouth)), 2),
        "landmark_error_eyes_pct_iod": round(float(np.mean(errors_eyes)), 2),
        "landmark_frames_missed": missed,
        "detector_repeatability_on_source_pct_iod": round(float(base_err.mean()), 3),
        "ssim_first_frame_outside_mouth": round(ssim_outside(video[0]), 4),
        "ssim_first_frame_outside_mouth_mp4": round(ssim_outside(decoded[0]), 4),
        "background_drift_grey_levels": round(drift_gen, 3),
        "background_drift_grey_levels_mp4": round(drift_mp4, 3),
        "background_drift_grey_levels_mp4_over_time": round(drift_mp4_temporal, 3),
        "background_share_of_frame": round(float(background.mean()), 3),
        "iod_px": round(iod, 1),
    }
    sheet = _contact_sheet(video, result, out_dir / "contact_sheet.png")
    return quality, sheet


def _contact_sheet(video: np.ndarray, result, path: Path) -> dict:
    import cv2
    from PIL import Image

    jaw = result.motion.mouth[:, 0]
    picks = {
        "mouth closed": int(np.argmin(jaw + result.motion.blink)),
        "half open": int(np.argmin(np.abs(jaw - 0.5 * jaw.max()) + result.motion.blink)),
        "wide open": int(np.argmax(jaw - result.motion.blink)),
        "blink": int(np.argmax(result.motion.blink)),
        "head turned": int(np.argmax(np.abs(result.motion.pose_deg[:, 0]))),
    }
    pts = result.source_landmarks
    xy = pts[list(topo.FACE_OVAL), :2]
    cx, cy = xy.mean(0)
    half = 0.75 * (xy[:, 1].max() - xy[:, 1].min())
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(video.shape[2], cx + half)), int(min(video.shape[1], cy + half))
    tiles = []
    for label, index in picks.items():
        crop = cv2.resize(video[index, y0:y1, x0:x1], (320, 320), interpolation=cv2.INTER_CUBIC)
        cv2.putText(crop, f"{label} #{index}", (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (255, 255, 255), 2, cv2.LINE_AA)  # fmt: skip
        tiles.append(crop)
    Image.fromarray(np.concatenate(tiles, axis=1)).save(path)
    return {"path": str(path), "frames": picks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m animation.bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length")
    parser.add_argument("--size", type=int, default=512, help="longest side of the video")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per device (median)")
    parser.add_argument("--out", default=None, help="folder for bench.json, contact sheet")
    args = parser.parse_args(argv)
    from PIL import Image
    from skimage.data import astronaut

    out = Path(args.out or tempfile.mkdtemp(prefix="animation-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    portrait = out / "astronaut.png"
    Image.fromarray(astronaut()).save(portrait)
    audio = out / "speech.wav"
    speech_source = _speech(audio, args.seconds)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    perf = {}
    for device in devices:
        runs = [_timed_run(portrait, audio, out / f"bench-{device}.mp4", args.size, device)
                for _ in range(args.repeats)]  # fmt: skip
        order = sorted(range(len(runs)), key=lambda i: runs[i]["real_time_factor"])
        median = dict(runs[order[len(runs) // 2]])
        median["rtf_all_runs"] = [r["real_time_factor"] for r in runs]
        perf[device] = median
    quality, sheet = _quality(portrait, audio, out, args.size)
    report = {
        "clip_seconds": args.seconds, "size": args.size, "speech": speech_source,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "performance": perf,
        "quality": quality, "contact_sheet": sheet,
        "targets": {"rtf_cpu": 1.0, "rtf_cuda": 20.0, "peak_rss_mb": 3072,
                    "landmark_error_pct_iod": 3.0, "ssim": 0.95, "background_drift": 1.0},
    }  # fmt: skip
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print()
    print(f"{'figure':<44}{'value':>12}{'target':>10}")
    rows = []
    for device, p in perf.items():
        for stage, ms in p["ms_per_frame"].items():
            rows.append((f"{device} {stage} ms/frame", ms, ""))
        rows.append((f"{device} real-time factor (median)", p["real_time_factor"],
                     ">=1" if device == "cpu" else ">=20"))  # fmt: skip
        rows.append((f"{device} peak RSS MB", p["peak_rss_mb"], "<=3072"))
    rows += [
        ("landmark error mouth % IOD", quality["landmark_error_mouth_pct_iod"], "<=3"),
        ("landmark error eyes % IOD", quality["landmark_error_eyes_pct_iod"], "<=3"),
        ("SSIM first frame outside mouth", quality["ssim_first_frame_outside_mouth"], ">=0.95"),
        ("  same, decoded from the MP4", quality["ssim_first_frame_outside_mouth_mp4"], ""),
        ("background drift (grey levels)", quality["background_drift_grey_levels"], "<=1"),
        ("  same, decoded from the MP4", quality["background_drift_grey_levels_mp4"], ""),
        (
            "  MP4 over time (vs its first frame)",
            quality["background_drift_grey_levels_mp4_over_time"],
            "",
        ),
    ]
    for name, value, target in rows:
        print(f"{name:<44}{value:>12}{target:>10}")
    print(f"\ncontact sheet: {sheet['path']}\njson: {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
