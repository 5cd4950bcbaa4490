"""The limits every examination of untrusted media runs under, from settings.

Verification and uploads both hand files to :func:`provenance.sandbox.run_task`; this is the one
place that turns ``EXAMINE_*`` settings into its :class:`~provenance.sandbox.Limits`.
"""

from __future__ import annotations

from django.conf import settings

from provenance.sandbox import Limits


def examine_limits() -> Limits:
    return Limits(
        cpu_seconds=settings.EXAMINE_CPU_SECONDS,
        memory_bytes=settings.EXAMINE_MEMORY_BYTES,
        wall_seconds=settings.EXAMINE_WALL_SECONDS,
    )
