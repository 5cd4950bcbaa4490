"""Time what a worker does for one clip (animate, watermark, fingerprint, sign) on a lent GPU
machine, which has torch but neither this project's environment nor Django, mediapipe or
espeak-ng (and nothing can be fetched there).

Two steps:

    # here, with the project's .venv: make the inputs (speech, portrait, its landmarks)
    .venv/bin/python scripts/bench_clip_device.py record .devbench --seconds 10 --size 512
    # there (PyAV, c2pa-python and cryptography carried as wheels):
    python3 scripts/bench_clip_device.py run .devbench --device cuda --repeats 3

`run` builds one Animator (as a worker process does), replays the portrait's landmarks recorded
here in place of mediapipe (the landmark stage runs on the CPU in every deployment and takes
~0.05 s; `record` prints its time here), makes one cold clip and `--repeats` warm ones through
`jobs.clip_maker.clip_make`, and prints per-stage medians and the real-time factor as JSON.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]


def record(folder: Path, seconds: float, size: int) -> None:
    """Write speech.wav, portrait.jpg and landmarks.pkl (the found face) into ``folder``."""
    from animation.landmarks import FaceLandmarker, LandmarkConfig
    from animation.portrait import load_portrait
    from jobs.demo_media import demo_portrait_jpeg, demo_speech_wav

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "portrait.jpg").write_bytes(demo_portrait_jpeg(size=size))
    (folder / "speech.wav").write_bytes(demo_speech_wav(seconds=seconds))
    image = load_portrait(folder / "portrait.jpg")
    with FaceLandmarker(LandmarkConfig()) as landmarker:
        landmarker.find(image)
        started = time.perf_counter()
        face = landmarker.find(image)
        took = time.perf_counter() - started
    (folder / "landmarks.pkl").write_bytes(pickle.dumps({"shape": image.shape, "face": face}))
    print(json.dumps({"recorded": str(folder), "landmarks_seconds_cpu_warm": round(took, 4)}))


class ReplayedLandmarker:
    """Stands in for mediapipe on a machine without it: the recorded face of the one portrait."""

    def __init__(self, path: Path) -> None:
        saved = pickle.loads(path.read_bytes())
        self.shape, self.face = tuple(saved["shape"]), saved["face"]

    def find(self, image, face_index=None):
        if tuple(image.shape) != self.shape:
            raise ValueError("only the recorded portrait can be replayed")
        return self.face

    def warm_up(self) -> None:
        pass

    def close(self) -> None:
        pass


def run(folder: Path, device: str, repeats: int, size: int) -> None:
    import torch

    from animation import AnimationConfig, Animator
    from provenance.keys import create_local_chain
    from provenance.manifest import SigningConfig, TrustConfig

    animator = Animator(AnimationConfig(device=device))
    animator.landmarker = ReplayedLandmarker(folder / "landmarks.pkl")
    animator.warm_up()
    with tempfile.TemporaryDirectory() as keys_dir:
        chain = create_local_chain(Path(keys_dir), organization="Likeness (device bench)")
        signing = SigningConfig.from_local_chain(chain)
        trust = TrustConfig.from_paths(str(chain.root_cert), None)
        runs = [_one_clip(folder, animator, signing, trust, size) for _ in range(repeats + 1)]
    warm = runs[1:]
    stages = sorted({s for r in warm for s in r["stages"]})
    medians = {
        s: round(statistics.median(r["stages"].get(s, 0.0) for r in warm), 4) for s in stages
    }
    total = statistics.median(r["total"] for r in warm)
    provenance = sum(medians.get(s, 0.0) for s in ("watermark", "sign", "fingerprint"))
    report = {
        "device": str(animator.device),
        "gpu": torch.cuda.get_device_name() if animator.device.type == "cuda" else None,
        "torch": torch.__version__,
        "size": size,
        "clip_seconds": warm[0]["clip_seconds"],
        "repeats": repeats,
        "cold_total_seconds": round(runs[0]["total"], 3),
        "stage_seconds_median": medians,
        "total_seconds_median": round(total, 3),
        "provenance_seconds": round(provenance, 3),
        "real_time_factor": round(warm[0]["clip_seconds"] / total, 2),
        "claim_to_generate_seconds_warm": round(
            statistics.median(r["to_generate"] for r in warm), 3
        ),
    }
    print(json.dumps(report, indent=2))


def _one_clip(folder, animator, signing, trust, size) -> dict:
    from jobs.clip_maker import GenerationClock, benchmark_inputs, clip_make

    clock = GenerationClock()
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        made = clip_make(
            benchmark_inputs(
                portrait_path=folder / "portrait.jpg",
                portrait_mime="image/jpeg",
                audio_path=folder / "speech.wav",
                audio_mime="audio/wav",
                size=size,
            ),
            workdir=Path(work),
            signing=signing,
            trust=trust,
            watermark_key=b"device-bench-key",
            generator_name="Likeness",
            progress=clock,
            should_stop=lambda: False,
            animator=animator,
        )
        total = time.perf_counter() - started
    return {
        "stages": made.stage_seconds,
        "total": total,
        "clip_seconds": made.duration_seconds,
        "to_generate": clock.started_at - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("record", "run"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.step == "record":
        record(args.folder, args.seconds, args.size)
    else:
        run(args.folder, args.device, args.repeats, args.size)


if __name__ == "__main__":
    main()
