"""Fixtures for the Django platform's tests (see tests/platform_fixtures.py)."""

from tests.platform_fixtures import *  # noqa: F403
