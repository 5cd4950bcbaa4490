"""Fixtures shared by every test folder. The platform's (Django) fixtures live in
tests/platform/conftest.py, so the pure libraries' tests need no Django at all."""

from __future__ import annotations

import os
import shutil

import pytest

# Debian's chromium, headless in a container: no sandbox, GPU or background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (it downloads no browser of its own)."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "Debian's chromium is not installed (scripts/install installs it)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own database calls
    # are still synchronous and safe. Only while a browser module runs: nothing else may
    # inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
