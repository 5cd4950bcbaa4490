"""Benchmark: python -m animation.bench [--seconds 10] [--size 512] [--out DIR] [--quick]

For a speech clip on the astronaut portrait it prints, as JSON and as a table: per-stage
ms/frame, the end-to-end real-time factor (clip seconds / wall seconds) and peak RSS, on CPU and
on CUDA when present; and quality figures from a second run: (a) the landmark detector re-run on
the generated frames versus the intended target landmarks, mean error in % of inter-ocular
distance, mouth and eyes separately; (b) SSIM of the first (neutral) frame against the source
outside the mouth; (c) mean pixel drift of the background the warp leaves alone (outside the
head and the band that gives way around it), and the mean change in that band. It writes
bench.json and a contact sheet (mouth closed, half open, wide open, blink, head turned).

Then, per portrait of `portrait_set` (`bench_portraits`): closed- and open-frame recall of the
re-detected lips against espeak-ng's phoneme truth, the warp's smallest Jacobian determinant
(clip and stress poses), blinks per minute (scheduled and seen by the detector) and a mouth
contact sheet at 2x (mouth_sheet.png). A long clip (--long-seconds, default 300) checks that
memory stays flat. Every target is printed with whether it is met. Timings are only meaningful
on an otherwise idle machine; --quick (4 s timing clip, one timed run, two sentences per
portrait, no long clip) is for tests.
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
from pathlib import Path

import numpy as np
import torch

from . import topology as topo
from .audio import decode_audio, write_wav

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
        speech = decode_audio(raw, rate)
        source = "espeak-ng"
    else:
        t = np.arange(int(4 * rate)) / rate
        speech = 0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 4 * t) > 0)
        source = "synthetic"
    n = int(seconds * rate)
    samples = np.resize(speech, n).astype(np.float32)
    write_wav(path, samples, rate)
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

    from .head_region import PersonSegmenter, head_weight
    from .landmarks import FaceLandmarker
    from .pipeline import animate
    from .portrait import load_portrait, output_size, resize_rgb

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
    # (c) background drift where the warp leaves the portrait alone, every frame; and how much
    # the band of background next to the head (which gives way as the head moves) changes.
    with PersonSegmenter() as segmenter:
        person = segmenter.mask(source)
    weight = head_weight(pts, source.shape[:2], person)
    background = weight == 0
    band = (weight > 0) & (person < 0.5)
    src_bg = source[background].astype(np.float64)
    src_band = source[band].astype(np.float64)
    band_change = float(np.mean([np.abs(f[band] - src_band).mean() for f in video]))
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
        "head_band_change_grey_levels": round(band_change, 3),
        "head_band_share_of_frame": round(float(band.mean()), 3),
        **_face_tone_and_detail(video, source, pts, result.target_landmarks),
        "iod_px": round(iod, 1),
    }
    sheet = _contact_sheet(video, result, out_dir / "contact_sheet.png")
    return quality, sheet


def _face_tone_and_detail(
    video: np.ndarray, source: np.ndarray, points: np.ndarray, targets: np.ndarray
) -> dict:
    """Brightness and fine detail of the skin (face oval without eyes and mouth), each frame's
    face where that frame draws it, against the portrait's own: is the face darker or softer?"""
    import cv2

    def measure(image: np.ndarray, xy: np.ndarray) -> tuple[float, float]:
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(xy[list(topo.FACE_OVAL)]).astype(np.int32)], 1)
        for part in (topo.LIPS_ALL, topo.EYE_METRIC_POINTS):
            lo, hi = xy[list(part)].min(0) - 4, xy[list(part)].max(0) + 4
            mask[int(lo[1]) : int(hi[1]) + 1, int(lo[0]) : int(hi[0]) + 1] = 0
        mask = cv2.erode(mask, np.ones((5, 5), np.uint8)) > 0
        luma = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float64)
        detail = np.abs(cv2.Laplacian(luma, cv2.CV_64F))
        return float(luma[mask].mean()), float(detail[mask].mean())

    tone, detail = measure(source, points[:, :2])
    frames = [measure(frame, xy) for frame, xy in zip(video, targets, strict=True)]
    return {
        "face_brightness_change_grey_levels": round(
            float(np.mean([f[0] for f in frames]) - tone), 2
        ),
        "face_detail_kept_share": round(float(np.mean([f[1] for f in frames]) / detail), 3),
    }


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


def _rss_now_mb() -> float:
    """Resident memory of this process now (Linux), MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return _rss_mb()
    return pages * resource.getpagesize() / 2**20


def _memory_run(portrait: Path, out: Path, seconds: float, size: int) -> dict:
    """Resident memory along a long clip: after its first 10 s and at its highest after that."""
    from .pipeline import animate

    audio = out / "long.wav"
    _speech(audio, seconds)
    samples: list[tuple[int, float]] = []

    def watch(chunk: torch.Tensor, start: int) -> torch.Tensor:
        samples.append((start, _rss_now_mb()))
        return chunk

    result = animate(portrait, audio, out / "long.mp4", size=size, seed=0, frame_hook=watch)
    after_10s = [mb for start, mb in samples if start >= 10 * result.fps]
    first = after_10s[0] if after_10s else samples[0][1]
    return {
        "clip_s": round(result.duration_s, 1),
        "rss_after_10s_mb": round(first, 1),
        "rss_max_after_mb": round(max(after_10s or [first]), 1),
        "growth_mb": round(max(after_10s or [first]) - first, 1),
    }


def _portrait_figures(
    out: Path, size: int, names: list[str] | None, download: bool, sentences: int | None
) -> dict:
    """Per-portrait figures (bench_portraits) and the mouth contact sheet."""
    from . import bench_portraits as bp
    from .landmarks import FaceLandmarker
    from .portrait_set import build_portrait_set

    portraits = build_portrait_set(out / "portraits", download=download)
    chosen = [n for n in (names or list(portraits)) if n in portraits]
    speech = bp.bench_speech(out / "phonemes.wav", sentences=sentences)
    figures, rows = {}, []
    with FaceLandmarker() as finder:
        for name in chosen:
            figures[name] = bp.evaluate_portrait(portraits[name], speech, out, size, finder)
            rows.append(figures[name].pop("sheet_row"))
    sheet = out / "mouth_sheet.png"
    bp.save_sheet(rows, chosen, sheet)
    missing = [n for n in (names or []) if n not in portraits]
    if "glasses_man" not in portraits:
        missing.append("glasses_man (opencv-doc not at hand: --download)")
    return {"portraits": figures, "missing": missing, "mouth_sheet": str(sheet),
            "blink_schedule": bp.schedule_blink_check()}  # fmt: skip


def _target_rows(report: dict) -> list[tuple[str, object, str, bool | None]]:
    """(figure, value, target, met) for every target the issue sets."""
    rows: list[tuple[str, object, str, bool | None]] = []

    def add(name: str, value, target: str, met: bool | None) -> None:
        rows.append((name, value, target, None if met is None else bool(met)))

    for device, p in report["performance"].items():
        if device == "cpu":
            add("cpu real-time factor (median)", p["real_time_factor"], ">=1",
                p["real_time_factor"] >= 1.0)  # fmt: skip
        else:
            add(f"{device} real-time factor (median)", p["real_time_factor"], ">=20",
                p["real_time_factor"] >= 20.0)  # fmt: skip
        add(f"{device} peak RSS MB", p["peak_rss_mb"], "<=3072", p["peak_rss_mb"] <= 3072)
    q = report["quality"]
    for key, label in (("landmark_error_mouth_pct_iod", "landmark error mouth % IOD"),
                       ("landmark_error_eyes_pct_iod", "landmark error eyes % IOD")):  # fmt: skip
        add(label, q[key], "<=3", q[key] <= 3.0)
    ssim = q["ssim_first_frame_outside_mouth"]
    add("SSIM first frame outside mouth", ssim, ">=0.95", ssim >= 0.95)
    drift = q["background_drift_grey_levels"]
    add("background drift (grey levels)", drift, "<=1", drift <= 1.0)
    add("  same, decoded from the MP4", q["background_drift_grey_levels_mp4"], "", None)
    add("  MP4 over time (vs its first frame)",
        q["background_drift_grey_levels_mp4_over_time"], "", None)  # fmt: skip
    add("  band next to the head (changes)", q["head_band_change_grey_levels"], "", None)
    add("face brightness change (grey levels)", q["face_brightness_change_grey_levels"], "", None)
    add("face fine detail kept (share)", q["face_detail_kept_share"], "", None)
    memory = report.get("memory")
    if memory:
        add(f"memory growth over {memory['clip_s']:g} s MB", memory["growth_mb"], "<=100",
            memory["growth_mb"] <= 100)  # fmt: skip
    per = report["portraits"]
    schedule = per["blink_schedule"]
    add(f"clips of 3-7 s without a blink (of {schedule['clips_3_to_7s']})",
        schedule["clips_without_blink"], "0", schedule["clips_without_blink"] == 0)  # fmt: skip
    add("scheduled blinks per minute (5 min)", schedule["blinks_per_minute_5min"], "10-20",
        10 <= schedule["blinks_per_minute_5min"] <= 20)  # fmt: skip
    for name, f in per["portraits"].items():
        for key, target in (("closed_recall", 0.9), ("open_recall", 0.9)):
            value = f[key]
            add(f"{name} {key.replace('_', ' ')}", value, f">={target}",
                value is not None and value >= target)  # fmt: skip
        for key in ("min_jacobian_clip", "min_jacobian_stress"):
            add(f"{name} {key.replace('_', ' ')}", f[key], ">=0.3", f[key] >= 0.3)
        hidden, scheduled = f["blinks_iris_hidden"], f["blinks_scheduled"]
        add(f"{name} blinks hiding the irises / scheduled", f"{hidden}/{scheduled}", ">=1",
            hidden >= 1 and hidden == scheduled)  # fmt: skip
        add("  blinks per minute on this short clip", f["blinks_per_minute_iris_hidden"], "",
            None)  # fmt: skip
        add("  blinks the landmark detector sees / scheduled",
            f"{f['blinks_detected']}/{scheduled}", "", None)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m animation.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length")
    parser.add_argument("--size", type=int, default=512, help="longest side of the video")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per device (median)")
    parser.add_argument("--out", default=None, help="folder for bench.json, contact sheets")
    parser.add_argument("--portraits", nargs="*", default=None, help="names (default: all)")
    parser.add_argument("--long-seconds", type=float, default=300.0,
                        help="clip for the memory check (0: skip)")  # fmt: skip
    parser.add_argument(
        "--download",
        action="store_true",
        help="fetch opencv-doc with apt-get download if it is not at hand",
    )
    parser.add_argument("--quick", action="store_true",
                        help="4 s clips, one timed run, no long clip (for tests)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.repeats, args.long_seconds = min(args.seconds, 4.0), 1, 0.0
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
    sentences = 2 if args.quick else None
    portraits = _portrait_figures(out, args.size, args.portraits, args.download, sentences)
    memory = _memory_run(portrait, out, args.long_seconds, args.size) if args.long_seconds else None
    report = {
        "clip_seconds": args.seconds, "size": args.size, "speech": speech_source,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "performance": perf,
        "quality": quality, "contact_sheet": sheet, "portraits": portraits, "memory": memory,
    }  # fmt: skip
    rows = _target_rows(report)
    report["targets"] = [{"figure": n, "value": v, "target": t, "met": m} for n, v, t, m in rows]
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print()
    print(f"{'figure':<48}{'value':>12}{'target':>10}{'met':>6}")
    for device, p in perf.items():
        for stage, ms in p["ms_per_frame"].items():
            print(f"{f'{device} {stage} ms/frame':<48}{ms:>12}")
    for name, value, target, met in rows:
        flag = "" if met is None else ("yes" if met else "no")
        print(f"{name:<48}{value!s:>12}{target:>10}{flag:>6}")
    print(f"\ncontact sheet: {sheet['path']}\nmouth sheet: {portraits['mouth_sheet']}"
          f"\njson: {out / 'bench.json'}")  # fmt: skip
    if portraits["missing"]:
        print("not measured: " + ", ".join(portraits["missing"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
