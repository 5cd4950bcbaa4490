"""``manage.py attack_figures``: CPU seconds and peak memory of each hostile-media attack
(``provenance.hostile.ATTACKS``) against the real examination path, as JSON and a table.

By default each attack goes through the guarded path every request takes (verification's
service, the upload validators in their sandbox). ``--before`` instead runs the old unguarded
path (no pre-scan, no memory limit, the fingerprint that kept every frame) in a child capped
at ``--cap`` CPU-seconds, for a "before" figure. Nothing is written to the database except
what a verification would write (attacks are refused, so nothing).
"""

from __future__ import annotations

import io
import json
import resource
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from config.examination import examine_limits
from core.errors import DomainError
from provenance import hostile
from provenance.sandbox import ExaminationFailed, Limits, TaskRefused, run_task


class Command(BaseCommand):
    help = "Print CPU seconds and peak memory per hostile-media attack (JSON, then a table)."

    def add_arguments(self, parser):
        parser.add_argument("--attack", action="append", choices=sorted(hostile.ATTACKS))
        parser.add_argument("--before", action="store_true", help="the old, unguarded path")
        parser.add_argument("--cap", type=float, default=60, help="CPU cap for --before (s)")
        parser.add_argument("--json", action="store_true", help="JSON only")

    def handle(self, *args, attack=None, before=False, cap=60.0, json=False, **options):
        rows = []
        for name in attack or sorted(hostile.ATTACKS):
            spec = hostile.ATTACKS[name]
            data = spec.build()
            for target in spec.targets:
                run = _before if before else _after
                rows.append({"attack": name, "target": target, "bytes": len(data)})
                rows[-1].update(run(target, data, cap))
        report = {"path": "before" if before else "guarded", "cap_s": cap, "rows": rows}
        self.stdout.write(_json(report))
        if not json:
            self.stdout.write(_table(rows))


def _after(target: str, data: bytes, cap: float) -> dict[str, Any]:
    """The guarded path, as a request takes it (parent CPU included)."""
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    outcome, figures = "accepted", {}
    try:
        if target == "verify":
            from verification.services import verification_run

            verification_run(stream=io.BytesIO(data), filename="attack")
        else:
            _upload(target, data)
    except DomainError as exc:
        outcome, figures = f"{exc.status} {exc.code}: {exc.message}", _figures(exc.__cause__)
    except Exception as exc:  # validators' UploadRejected (not a DomainError)
        status = getattr(exc, "status", "error")
        outcome = f"{status} {getattr(exc, 'code', type(exc).__name__)}: {exc}"
        figures = _figures(exc.__cause__)
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    parent = (self_after.ru_utime + self_after.ru_stime) - (
        self_before.ru_utime + self_before.ru_stime
    )
    child = figures.get("cpu_seconds", 0.0)
    return {
        "outcome": outcome[:160],
        "cpu_parent_s": round(parent, 3),
        "cpu_child_s": round(child, 3),
        "cpu_total_s": round(parent + child, 3),
        "child_peak_rss_mb": round(figures.get("max_rss_bytes", 0) / 2**20, 1),
        "wall_s": round(time.monotonic() - started, 3),
    }


def _upload(target: str, data: bytes) -> None:
    from uploads.isolation import audio_isolated, portrait_isolated

    if target == "portrait":
        portrait_isolated(
            io.BytesIO(data),
            max_bytes=settings.UPLOAD_PORTRAIT_MAX_BYTES,
            max_pixels=settings.UPLOAD_PORTRAIT_MAX_PIXELS,
            min_side=settings.UPLOAD_PORTRAIT_MIN_SIDE,
            limits=examine_limits(),
        )
    else:
        audio_isolated(
            io.BytesIO(data),
            max_bytes=settings.UPLOAD_AUDIO_MAX_BYTES,
            max_seconds=settings.UPLOAD_AUDIO_MAX_SECONDS,
            min_seconds=getattr(settings, "UPLOAD_AUDIO_MIN_SECONDS", 0.0),
            limits=examine_limits(),
        )


def _before(target: str, data: bytes, cap: float) -> dict[str, Any]:
    """The old path in a child with only a CPU cap (and 16 GB of memory)."""
    import tempfile

    kwargs: dict[str, Any] = {"target": target}
    if target == "portrait":
        kwargs.update(
            max_bytes=settings.UPLOAD_PORTRAIT_MAX_BYTES,
            max_pixels=settings.UPLOAD_PORTRAIT_MAX_PIXELS,
            min_side=settings.UPLOAD_PORTRAIT_MIN_SIDE,
        )
    limits = Limits(cpu_seconds=cap, memory_bytes=16 * 1024**3, wall_seconds=cap * 3 + 30)
    outcome, figures = "finished", {}
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        try:
            result = run_task(
                "verification.management.commands.attack_figures:unguarded_task",
                files=(spool,),
                kwargs=kwargs,
                limits=limits,
            )
            figures = {
                "cpu_seconds": result.cpu_seconds,
                "max_rss_bytes": result.max_rss_bytes,
                "wall_seconds": result.wall_seconds,
            }
            outcome = f"finished: {result.value}"
        except (TaskRefused, ExaminationFailed) as exc:
            figures = exc.figures
            reason = getattr(exc, "reason", "refused")
            outcome = f"stopped at the {cap:g} s cap" if reason in ("cpu", "timeout") else str(exc)
    return {
        "outcome": outcome[:160],
        "cpu_child_s": round(figures.get("cpu_seconds", 0.0), 3),
        "child_peak_rss_mb": round(figures.get("max_rss_bytes", 0) / 2**20, 1),
        "wall_s": round(figures.get("wall_seconds", 0.0), 3),
    }


def unguarded_task(*, paths: list[str], target: str, **limits: Any) -> str:
    """Child side of ``--before``: what the code did before the guards, minus nothing."""
    (path,) = paths
    if target == "verify":
        import numpy as np

        from provenance import watermark as wm
        from provenance.fingerprint import fingerprint_image, fingerprint_luma
        from provenance.manifest import TrustConfig, read_manifest
        from provenance.media import iter_video_luma, load_image_rgb

        with open(path, "rb") as fh:
            mime = "video/mp4" if fh.read(8)[4:8] == b"ftyp" else "image/jpeg"
        read_manifest(path, TrustConfig(our_root_pem=""), mime=mime)
        if mime == "video/mp4":
            wm.detect_video(path)
            planes = [p[::2, ::2].astype(np.float32) for p in iter_video_luma(path)]
            fingerprint_luma(planes)
        else:
            rgb = load_image_rgb(path)
            wm.detect_image(rgb)
            fingerprint_image(rgb)
        return "verified"
    from uploads.validation import validate_audio_file, validate_portrait

    if target == "portrait":
        with open(path, "rb") as fh:
            validate_portrait(fh, **limits)
    else:
        validate_audio_file(path, max_seconds=300)
    return "validated"


def _figures(exc: BaseException | None) -> dict[str, float]:
    return dict(getattr(exc, "figures", None) or {})


def _json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2)


def _table(rows: list[dict[str, Any]]) -> str:
    columns = ["attack", "target", "bytes", "cpu_total_s", "cpu_child_s", "child_peak_rss_mb"]
    columns += ["wall_s", "outcome"]
    present = [c for c in columns if any(c in r for r in rows)]
    lines = ["| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in present) + " |")
    return "\n".join(lines)
