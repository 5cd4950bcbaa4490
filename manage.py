#!/usr/bin/env python
"""Django's command-line entry point.

`platform/` is the Django source root. It is appended (not prepended) to sys.path and has no
`__init__.py`, so `import platform` still finds the standard library.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    sys.path.append(str(ROOT / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
