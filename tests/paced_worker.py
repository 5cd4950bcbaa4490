"""``python -m tests.paced_worker <celery args>``: a real Celery worker whose generation stage
pauses after each chunk of frames, so a test can act mid-job however fast the machine is.

Only the timing changes: the job runs the real pipeline, broker, database and storage. The
pause (seconds per chunk) comes from LIKENESS_TEST_GENERATE_PAUSE.
"""

from __future__ import annotations

import os
import sys
import time

from celery.signals import worker_init


@worker_init.connect
def _pace_generation(**_) -> None:
    from jobs import runner

    pause = float(os.environ["LIKENESS_TEST_GENERATE_PAUSE"])
    record = runner._ProgressRecorder.__call__

    def paced(self, stage: str, fraction: float) -> None:
        mid_generation = stage == "generate" and 0.0 < fraction < 1.0
        if mid_generation:
            self.last = 0.0  # saved however soon after the previous report it comes
        record(self, stage, fraction)
        if mid_generation:
            time.sleep(pause)

    runner._ProgressRecorder.__call__ = paced
    print(f"paced worker: generation pauses {pause}s after each chunk", flush=True)


if __name__ == "__main__":
    from celery.__main__ import main

    sys.exit(main())
