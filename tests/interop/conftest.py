"""Fixtures for the interoperability stage: the platform's, to run real jobs."""

from tests.platform_fixtures import *  # noqa: F403
