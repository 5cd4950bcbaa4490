"""The subjects the consent tests ask consent of: one living, one deceased."""

from __future__ import annotations

import pytest

from consent import services


@pytest.fixture
def living(member):
    return services.subject_create(
        owner=member, display_name="Lena Living", vital_status="living", email="lena@example.org"
    )


@pytest.fixture
def deceased(member):
    return services.subject_create(
        owner=member, display_name="Arthur Ancestor", vital_status="deceased", death_year=1950
    )
