"""Content-Security-Policy: every answer carries a strict policy, and the main pages keep to it
in a real browser (Playwright driving Debian's chromium against a live server), so the policy
is neither missing nor quietly broken by an inline script or style."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from config.content_security import API_DOCS_POLICY, DEFAULT_POLICY

pytestmark = [pytest.mark.security, pytest.mark.django_db]

STRICT = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def _directives(policy: str) -> list[str]:
    return [part.strip() for part in policy.split(";")]


@pytest.mark.parametrize(
    "path", ["/", "/verify/", "/login/", "/report/", "/api/schema/", "/api/subjects/", "/nowhere/"]
)
def test_answers_carry_the_strict_policy(path):
    answer = Client().get(path)
    policy = answer["Content-Security-Policy"]
    assert policy == DEFAULT_POLICY
    assert set(STRICT) <= set(_directives(policy))
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_api_docs_relax_styles_only():
    policy = Client().get("/api/docs/")["Content-Security-Policy"]
    assert policy == API_DOCS_POLICY
    assert set(STRICT) <= set(_directives(policy))
    assert "script-src 'self'" in _directives(policy)  # scripts stay strict
    assert "'unsafe-eval'" not in policy


def test_pages_have_no_inline_script_or_style(member):
    client = Client()
    client.force_login(member)
    for path in ["/", "/verify/", "/login/", "/report/", "/dashboard/"]:
        html = client.get(path).content.decode()
        assert "<style" not in html and " style=" not in html, path
        for tag in html.split("<script")[1:]:
            assert "src=" in tag.split(">", 1)[0] or 'type="application/json"' in tag, path


# ---------------------------------------------------------------- in a real browser
_LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _visit(context, url: str) -> list[str]:
    """Open ``url``; return every CSP violation the page reported (events and console)."""
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    answer = page.goto(url, wait_until="networkidle")
    assert answer is not None and answer.status == 200, url
    violations = page.evaluate("window.__cspViolations") + console
    page.close()
    return violations


def _logged_in(browser, base: str, username: str, password: str):
    context = browser.new_context()
    context.add_init_script(_LISTEN)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit] >> text=Log in")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.close()
    return context


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_main_pages_log_no_csp_violation(browser, live_server):
    base = live_server.url
    User.objects.create_user("member", "member@example.org", "a member passphrase 1")
    User.objects.create_user("mod", "mod@example.org", "a moderator passphrase", is_staff=True)

    anonymous = browser.new_context()
    anonymous.add_init_script(_LISTEN)
    found = {path: _visit(anonymous, base + path) for path in ["/", "/verify/", "/login/"]}
    anonymous.close()

    member = _logged_in(browser, base, "member", "a member passphrase 1")
    found["/dashboard/"] = _visit(member, f"{base}/dashboard/")
    found["/api/docs/"] = _visit(member, f"{base}/api/docs/")
    # Swagger UI really rendered (its script ran and drew the operations).
    docs = member.new_page()
    docs.goto(f"{base}/api/docs/")
    docs.wait_for_selector(".opblock", timeout=15_000)
    docs.close()
    member.close()

    moderator = _logged_in(browser, base, "mod", "a moderator passphrase")
    found["/moderation/"] = _visit(moderator, f"{base}/moderation/")
    moderator.close()

    assert {path: v for path, v in found.items() if v} == {}
