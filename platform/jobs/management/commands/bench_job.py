"""`manage.py bench_job`: seconds per stage of a whole job, from upload to signed clip.

Runs what a worker runs (upload validation, landmarks, audio, motion, generation, watermark,
encode, sign, fingerprint, store) on bundled media, without touching the database, and prints
a table and JSON. One Animator serves every run, as in a worker process: the first run is
cold (models load), the rest are warm; medians are over the warm runs.

Targets: provenance (watermark + sign + fingerprint) at most 25% of the pipeline's own time;
a warm worker's job starts generating within 1 s of being claimed; a real-time factor of at
least 3 for a 10 s clip at 512² on two CPU cores.
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand

from config import credentials
from jobs.clip_maker import GenerationClock, benchmark_inputs, clip_make, worker_animator
from jobs.demo_media import demo_portrait_jpeg, demo_speech_wav
from uploads.validation import validate_audio, validate_portrait

# Stages provenance adds on top of the pipeline's own work.
PROVENANCE_STAGES = ("watermark", "sign", "fingerprint")
OUTSIDE_PIPELINE = PROVENANCE_STAGES + ("upload", "store")
TARGETS = {"provenance_overhead": 0.25, "claim_to_generate_seconds": 1.0, "real_time_factor": 3.0}


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=10.0, help="length of the speech")
        parser.add_argument("--size", type=int, default=512)
        parser.add_argument(
            "--repeats", type=int, default=3, help="warm runs (after one cold run); medians"
        )
        parser.add_argument("--device", default=settings.ANIMATION_DEVICE or None)
        parser.add_argument(
            "--json", dest="json_path", type=Path, help="also write the figures here"
        )

    def handle(self, *args, seconds, size, repeats, device, json_path, **options):
        portrait_bytes = demo_portrait_jpeg(size=size)
        speech_bytes = demo_speech_wav(seconds=seconds)
        animator = worker_animator(device)
        cold = self._run(portrait_bytes, speech_bytes, size, animator)
        runs = [self._run(portrait_bytes, speech_bytes, size, animator) for _ in range(repeats)]
        stages = sorted({stage for run in runs for stage in run["stages"]})
        medians = {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in stages}
        total = statistics.median(r["total"] for r in runs)
        own = sum(v for s, v in medians.items() if s not in OUTSIDE_PIPELINE)
        added = sum(medians.get(s, 0.0) for s in PROVENANCE_STAGES)
        report = {
            "clip_seconds": runs[0]["clip_seconds"],
            "size": size,
            "device": runs[0]["device"],
            "threads": torch_threads(),
            "repeats": repeats,
            "stage_seconds_median": {s: round(v, 3) for s, v in medians.items()},
            "total_seconds_median": round(total, 3),
            "pipeline_own_seconds": round(own, 3),
            "provenance_seconds": round(added, 3),
            "provenance_overhead": round(added / own, 3) if own else None,
            "claim_to_generate_seconds": {
                "cold": round(cold["to_generate"], 3),
                "warm_median": round(statistics.median(r["to_generate"] for r in runs), 3),
            },
            "real_time_factor": round(runs[0]["clip_seconds"] / total, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "targets": TARGETS,
        }
        report["targets_met"] = {
            "provenance_overhead": report["provenance_overhead"] <= TARGETS["provenance_overhead"],
            "claim_to_generate_seconds": report["claim_to_generate_seconds"]["warm_median"]
            <= TARGETS["claim_to_generate_seconds"],
            "real_time_factor": report["real_time_factor"] >= TARGETS["real_time_factor"],
        }
        self._print(report)
        if json_path:
            json_path.write_text(_dumps(report))

    def _run(self, portrait_bytes: bytes, speech_bytes: bytes, size: int, animator) -> dict:
        started = time.perf_counter()
        portrait = validate_portrait(
            io.BytesIO(portrait_bytes),
            max_bytes=settings.UPLOAD_PORTRAIT_MAX_BYTES,
            max_pixels=settings.UPLOAD_PORTRAIT_MAX_PIXELS,
            min_side=settings.UPLOAD_PORTRAIT_MIN_SIDE,
        )
        audio = validate_audio(
            io.BytesIO(speech_bytes),
            max_bytes=settings.UPLOAD_AUDIO_MAX_BYTES,
            max_seconds=settings.UPLOAD_AUDIO_MAX_SECONDS,
        )
        upload_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            (work / "portrait.jpg").write_bytes(portrait.content)
            (work / "audio.flac").write_bytes(audio.content)
            claimed = time.perf_counter()
            clock = GenerationClock()
            made = clip_make(
                benchmark_inputs(
                    portrait_path=work / "portrait.jpg",
                    portrait_mime=portrait.content_type,
                    audio_path=work / "audio.flac",
                    audio_mime=audio.content_type,
                    size=size,
                ),
                workdir=work,
                signing=credentials.signing_config(),
                trust=credentials.trust_config(),
                watermark_key=credentials.watermark_key(),
                generator_name=settings.GENERATOR_NAME,
                soft_binding_alg=credentials.soft_binding_alg(),
                progress=clock,
                should_stop=lambda: False,
                animator=animator,
            )
            store_started = time.perf_counter()
            storage = FileSystemStorage(location=work / "stored")
            for path in (made.video_path, made.poster_path):
                storage.save(path.name, ContentFile(path.read_bytes()))
            store_seconds = time.perf_counter() - store_started
        stages = {"upload": upload_seconds, **made.stage_seconds, "store": store_seconds}
        return {
            "stages": stages,
            "total": time.perf_counter() - started,
            "clip_seconds": made.duration_seconds,
            "device": made.device,
            "to_generate": clock.started_at - claimed,
        }

    def _print(self, report: dict) -> None:
        self.stdout.write(f"{'stage':<14}{'seconds':>10}")
        for stage, seconds in report["stage_seconds_median"].items():
            self.stdout.write(f"{stage:<14}{seconds:>10.3f}")
        met = report["targets_met"]
        self.stdout.write(
            f"total {report['total_seconds_median']:.2f} s for a {report['clip_seconds']:.1f} s "
            f"clip at {report['size']}² on {report['device']} ({report['threads']} threads): "
            f"real-time factor {report['real_time_factor']:.2f} (target ≥ 3: "
            f"{_verdict(met['real_time_factor'])}); provenance adds "
            f"{report['provenance_overhead']:.0%} to the pipeline (target ≤ 25%: "
            f"{_verdict(met['provenance_overhead'])}); a warm job starts generating "
            f"{report['claim_to_generate_seconds']['warm_median']:.2f} s after its claim "
            f"(target ≤ 1 s: {_verdict(met['claim_to_generate_seconds'])}); peak memory "
            f"{report['peak_rss_mb']:.0f} MB"
        )
        self.stdout.write(_dumps(report))


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2)
