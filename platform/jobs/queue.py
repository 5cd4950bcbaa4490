"""Putting a job on the queue: the one place that does, by the task's name.

Nothing that queues a job imports the worker's code: `jobs.tasks` imports the services, never
the reverse. The tasks are registered when the app is ready (see `JobsConfig.ready`), so in
eager mode (the unit tests) a queued job runs in this process.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings

ANIMATE_TASK = "jobs.animate"
REQUEUE_STALLED_TASK = "jobs.requeue_stalled"


def job_enqueue(*, job_id) -> None:
    """Send the job to the animation workers' queue."""
    task = current_app.signature(ANIMATE_TASK, args=[str(job_id)], queue=settings.JOBS_QUEUE)
    task.apply_async()
