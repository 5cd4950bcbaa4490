"""Fixtures for the security stage: the platform's (see tests/platform_fixtures.py)."""

from tests.platform_fixtures import *  # noqa: F403
