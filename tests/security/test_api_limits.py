"""List endpoints check ``limit`` and ``offset``: a bad value is a 400 naming the parameter and
its range, never a 500 (a 20-digit limit used to overflow the database driver's integer)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config.pagination import LIMIT_MAX, OFFSET_MAX

pytestmark = [pytest.mark.security, pytest.mark.django_db]

LISTS = ["subjects", "consents", "uploads", "jobs", "clips", "tokens"]
BAD = ["99999999999999999999", "-1", "abc", "1.5", "1e3", "0x10", "--5", "１"]


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("value", BAD)
def test_bad_limit_is_a_400_naming_the_parameter(api, name, value):
    answer = api.get(f"/api/{name}/", {"limit": value})
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == f"limit: limit must be a whole number from 1 to {LIMIT_MAX}."


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("value", [*BAD, str(OFFSET_MAX + 1)])
def test_bad_offset_is_a_400_naming_the_parameter(api, name, value):
    answer = api.get(f"/api/{name}/", {"offset": value})
    assert answer.status_code == 400, answer.content
    message = answer.json()["error"]["message"]
    assert message == f"offset: offset must be a whole number from 0 to {OFFSET_MAX}."


@pytest.mark.parametrize("name", LISTS)
def test_zero_and_too_large_limits_are_refused(api, name):
    for value in ("0", str(LIMIT_MAX + 1)):
        assert api.get(f"/api/{name}/", {"limit": value}).status_code == 400


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "query",
    [{}, {"limit": "1"}, {"limit": " "}, {"limit": str(LIMIT_MAX), "offset": str(OFFSET_MAX)}],
)
def test_sane_values_answer_200(api, name, query):
    answer = api.get(f"/api/{name}/", query)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) >= {"count", "results"}


def test_pages_are_as_asked(api, member):
    from tests.factories import SubjectFactory

    for _ in range(3):
        SubjectFactory(owner=member)
    body = api.get("/api/subjects/", {"limit": "2", "offset": "1"}).json()
    assert body["count"] == 3 and len(body["results"]) == 2
