"""Start and stop a real Celery worker process against the test database and broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class RealWorker:
    """``celery worker`` in its own process, solo pool (a SIGKILL kills the running task)."""

    def __init__(
        self, queue: str, log_path: Path, *, beat: bool = False, pace: float = 0.0, **env: str
    ) -> None:
        """``pace``: seconds to pause after each generated chunk (tests/paced_worker.py), so
        that a test can revoke or kill mid-generation on a machine of any speed."""
        self.queue, self.log_path, self.beat, self.pace = queue, log_path, beat, pace
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "platform"),
            "DATABASE_URL": test_database_url(),
            "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            "PROVENANCE_KEYS_DIR": str(settings.PROVENANCE_KEYS_DIR),
            "JOBS_QUEUE": settings.JOBS_QUEUE,
            "LIKENESS_TEST_GENERATE_PAUSE": str(pace),
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> RealWorker:
        entry = "tests.paced_worker" if self.pace else "celery"
        args = [sys.executable, "-m", entry, "-A", "config", "worker", "-Q", self.queue]
        args += ["--pool", "solo", "--without-mingle", "--without-gossip", "--loglevel", "INFO"]
        if self.beat:
            args += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def __enter__(self) -> RealWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(condition: Callable[[], bool], *, timeout: float, worker: RealWorker, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if not worker.alive():
            raise AssertionError(f"worker died while waiting for {what}:\n{worker.log()}")
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{worker.log()}")
