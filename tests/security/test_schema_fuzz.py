"""Every operation of the OpenAPI schema (/api/schema/), called with data generated from the
schema itself (schemathesis, through the WSGI app, no server), as a member with an API token
and anonymously. Fails on any 5xx and on any answer the schema does not describe: an
undocumented status code, content type, or body shape.

Bounded: SCHEMA_FUZZ_EXAMPLES examples per operation and mode (default 8; the whole file runs
in about a minute). More:
``SCHEMA_FUZZ_EXAMPLES=200 scripts/test tests/security/test_schema_fuzz.py``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create, organisation_create
from tests.factories import SubjectFactory

pytestmark = [pytest.mark.security, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", 8))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _load_schema():
    """The schema as the app serves it (a request through the real WSGI handler)."""
    from config.wsgi import application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    # Valid inputs (must be answered as documented) and invalid ones (must be refused with a
    # documented 4xx, never a 5xx).
    loaded.config.generation.update(modes=list(schemathesis.GenerationMode))
    return loaded


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The calls go through the real WSGI handler, which closes the database connection after
    each request; like Django's test client, keep it open (the test's transaction is on it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def member_token(member) -> str:
    organisation_create(name=f"Fuzz {member.pk}", founder=member)
    SubjectFactory(owner=member)  # something to list
    _token, raw = api_token_create(user=member, name="fuzz")
    return raw


_fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@schema.parametrize()
@_fuzz_settings
def test_operations_as_a_member(case, member_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {member_token}"}, checks=CHECKS)


@schema.parametrize()
@_fuzz_settings
def test_operations_anonymously(case):
    case.call_and_validate(checks=CHECKS)
