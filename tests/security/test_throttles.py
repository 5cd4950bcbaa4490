"""Throttles: who the client is, one budget for page and API, Retry-After, shared counts.

Attacks seen from outside: a different ``X-Forwarded-For`` on each request got past every
throttle, the page form and the API counted separately, and each gunicorn worker kept its own
counts. Each test sends requests without files (a refused form still counts), so they are fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from config import rate_limits
from config.clients import client_address, client_identity

pytestmark = [pytest.mark.security, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
VERIFY_LIMIT = 20


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch, settings):
    """Windows are cut from the clock: pin it one second into an hour (so into a minute too),
    so no test straddles the end of a window."""
    now = (int(time.time()) // 3600) * 3600 + 1.0
    monkeypatch.setattr(rate_limits, "_clock", lambda: now)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": f"{VERIFY_LIMIT}/min"}
    settings.TRUSTED_PROXY_COUNT = 0
    return now


def _api_verify(client: APIClient, **headers) -> int:
    return client.post("/api/verify/", {}, **headers).status_code


def _page_verify(client: Client, **headers) -> int:
    return client.post("/verify/", {}, **headers).status_code


# ---------------------------------------------------------------- who the client is
def test_rotating_forwarded_for_does_not_bypass_the_api_throttle():
    api = APIClient()
    statuses = [
        _api_verify(api, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(VERIFY_LIMIT + 10)
    ]
    assert 429 not in statuses[:VERIFY_LIMIT]
    assert statuses[VERIFY_LIMIT:] == [429] * 10
    # And without the header, the same connection is still over its budget.
    assert _api_verify(api) == 429


def test_rotating_forwarded_for_does_not_bypass_the_page_throttle():
    page = Client()
    statuses = [
        _page_verify(page, HTTP_X_FORWARDED_FOR=f"2001:db8::{i:x}") for i in range(VERIFY_LIMIT + 5)
    ]
    assert 429 not in statuses[:VERIFY_LIMIT]
    assert statuses[VERIFY_LIMIT:] == [429] * 5


def test_other_connections_have_their_own_budget():
    for _ in range(VERIFY_LIMIT):
        _api_verify(APIClient())
    assert _api_verify(APIClient()) == 429
    assert _api_verify(APIClient(REMOTE_ADDR="203.0.113.9")) != 429


def test_behind_one_trusted_proxy_the_rightmost_forwarded_address_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    statuses = [
        _api_verify(
            APIClient(**proxy), HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.7"
        )  # what the client wrote, then what our proxy saw
        for i in range(VERIFY_LIMIT + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]
    # Another real client behind the same proxy is not refused.
    assert _api_verify(APIClient(**proxy), HTTP_X_FORWARDED_FOR="198.51.100.8") != 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2", "10.0.0.2"),  # no proxy: the header is the client's claim
        (1, "192.0.2.1, 198.51.100.7", "10.0.0.2", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.3", "10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2", "10.0.0.2"),  # fewer hops than proxies: not trusted
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),
        (1, "", "10.0.0.2", "10.0.0.2"),
    ],
)
def test_client_address(settings, proxies, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_address(request) == expected


def test_ipv6_clients_are_counted_by_their_64_network():
    def identity(address: str) -> str:
        return client_identity(RequestFactory().get("/", REMOTE_ADDR=address))

    assert identity("2001:db8:1:2::1") == identity("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert identity("2001:db8:1:3::1") != identity("2001:db8:1:2::1")
    assert identity("::ffff:192.0.2.1") == "192.0.2.1"


# ---------------------------------------------------------------- one budget, and when to retry
def test_page_and_api_share_one_verify_budget():
    half = VERIFY_LIMIT // 2
    assert 429 not in [_page_verify(Client()) for _ in range(half)]
    assert 429 not in [_api_verify(APIClient()) for _ in range(VERIFY_LIMIT - half)]
    assert _api_verify(APIClient()) == 429
    assert _page_verify(Client()) == 429


def test_page_and_api_share_one_report_budget(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "3/hour"}
    assert Client().post("/report/", {}).status_code != 429
    api = APIClient()
    assert [api.post("/api/reports/", {}).status_code == 429 for _ in range(3)] == [
        False,
        False,
        True,
    ]
    assert Client().post("/report/", {}).status_code == 429


def test_consent_link_page_and_api_share_one_budget(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "consent_link": "2/min"}
    assert Client().post("/consent/confirm/bogus-token/", {}).status_code != 429
    api = APIClient()
    assert api.post("/api/consent-links/confirm/", {"token": "x"}).status_code != 429
    assert api.post("/api/consent-links/revoke/", {"token": "x"}).status_code == 429
    assert Client().post("/consent/revoke/bogus-token/", {}).status_code == 429


def test_throttled_answers_say_when_to_retry(_pinned_clock):
    for _ in range(VERIFY_LIMIT):
        _api_verify(APIClient())
    api = APIClient().post("/api/verify/", {})
    assert api.status_code == 429
    assert api["Retry-After"] == "59"  # the pinned clock is one second into the minute
    error = api.json()["error"]
    assert error["code"] == "throttled" and "try again in 59 seconds" in error["message"]
    page = Client().post("/verify/", {})
    assert page.status_code == 429 and page["Retry-After"] == "59"
    assert "try again in 59 seconds" in page.content.decode()


def test_an_hourly_budget_says_minutes(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "1/hour"}
    Client().post("/report/", {})
    page = Client().post("/report/", {})
    assert page.status_code == 429 and page["Retry-After"] == "3599"
    assert "try again in 60 minutes" in page.content.decode()
    api = APIClient().post("/api/reports/", {})
    assert api.status_code == 429 and api["Retry-After"] == "3599"
    assert "try again in 60 minutes" in api.json()["error"]["message"]


def test_a_new_window_restores_the_budget(monkeypatch, _pinned_clock):
    for _ in range(VERIFY_LIMIT):
        _api_verify(APIClient())
    assert _api_verify(APIClient()) == 429
    monkeypatch.setattr(rate_limits, "_clock", lambda: _pinned_clock + 60)
    assert _api_verify(APIClient()) != 429


# ---------------------------------------------------------------- counts shared by processes
# A second "web worker": a fresh Python process on the test database, counting for a client.
_CHILD = """
import json, os, sys
sys.path[:0] = ["platform", "."]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.db import connections
connections["default"].settings_dict["NAME"] = os.environ["RATE_TEST_DB"]
from config.rate_limits import rate_limit_hit
args = json.loads(os.environ["RATE_TEST_ARGS"])
hits = args.pop("hits")
print(json.dumps([rate_limit_hit(**args).count for _ in range(hits)]))
"""


def _hits_from_another_process(*, client: str, hits: int, now: float, env: dict) -> list[int]:
    args = {"scope": "verify", "client": client, "limit": VERIFY_LIMIT, "period_seconds": 60}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "RATE_TEST_DB": str(connection.settings_dict["NAME"]),
            "RATE_TEST_ARGS": json.dumps({**args, "now": now, "hits": hits}),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_counts_are_shared_with_other_processes(_pinned_clock):
    """What a second web worker counted, this one sees (the embedded default's table)."""
    counted = _hits_from_another_process(
        client="127.0.0.1", hits=VERIFY_LIMIT, now=_pinned_clock, env={}
    )
    assert counted == list(range(1, VERIFY_LIMIT + 1))
    assert _api_verify(APIClient()) == 429
    assert _page_verify(Client()) == 429


def _redis_url() -> str | None:
    url = os.environ.get("RATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        return None
    return url


def test_counts_in_redis_are_shared_with_other_processes(settings, _pinned_clock):
    """The production store: Redis through Django's cache, as CACHE_URL configures it."""
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis server reachable (RATE_TEST_REDIS_URL)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "likeness",  # what settings give CACHE_URL, in the child too
        }
    }
    settings.RATE_LIMIT_STORE = "cache"
    client = f"test-client-{uuid.uuid4()}"  # a fresh budget: nothing to clear afterwards
    counted = _hits_from_another_process(
        client=client,
        hits=VERIFY_LIMIT,
        now=_pinned_clock,
        env={"CACHE_URL": url, "RATE_LIMIT_STORE": "cache"},
    )
    assert counted == list(range(1, VERIFY_LIMIT + 1))
    decision = rate_limits.rate_limit_hit(
        scope="verify", client=client, limit=VERIFY_LIMIT, period_seconds=60
    )
    assert (decision.count, decision.allowed, decision.retry_after) == (VERIFY_LIMIT + 1, False, 59)


def test_a_process_local_cache_is_refused_for_counting():
    """RATE_LIMIT_STORE=cache without a Redis URL would be Django's per-process LocMemCache:
    N workers, N budgets. Settings refuse to start so."""
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": "platform", "RATE_LIMIT_STORE": "cache"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "needs CACHE_URL or REDIS_URL" in result.stderr
