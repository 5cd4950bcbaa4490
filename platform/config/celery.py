"""The Celery application, configured from Django settings (names prefixed CELERY_)."""

import os
import sys
from pathlib import Path

# The worker is started as `celery -A config ...`; make sure platform/ is importable and the
# standard library's `platform` module stays first on sys.path.
_PLATFORM_DIR = str(Path(__file__).resolve().parents[1])
if _PLATFORM_DIR not in sys.path:
    sys.path.append(_PLATFORM_DIR)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from celery import Celery  # noqa: E402

app = Celery("likeness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_broker_folders(**_kwargs) -> None:
    """The filesystem broker needs its folders to exist before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


_ensure_broker_folders()
