"""The accessibility check of the browser tests: axe-core, the npm package pinned by
tools/a11y's lock (installed by scripts/install), run inside the page under test.

The script is served from that folder by the browser itself (a Playwright route answers a
same-origin address with the file), so the page's Content-Security-Policy, which allows scripts
from our own origin only, stays as it is, and nothing is fetched from a CDN. Each page's full
results go to test-artifacts/e2e/axe/<name>.json; a violation of impact "serious" or
"critical" fails the test, listed rule by rule with the elements it found.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "tools" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "test-artifacts" / "e2e" / "axe"
FAILING_IMPACTS = ("serious", "critical")
_SERVED_AT = "/__test-only__/axe.min.js"  # never a route of the site: answered by the browser


def assert_accessible(page, name: str) -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.
    Returns the violations of lesser impact (kept in the results file too)."""
    if not AXE_SCRIPT.is_file():
        message = "axe-core is not installed (scripts/install runs npm ci in tools/a11y)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.route(
            f"**{_SERVED_AT}",
            lambda route: route.fulfill(path=str(AXE_SCRIPT), content_type="text/javascript"),
        )
        page.add_script_tag(url=_SERVED_AT)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results["violations"], indent=2))
    failing = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"accessibility of {name} ({page.url}):\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']} at "
        + "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in failing
    )
    return [v for v in results["violations"] if v["impact"] not in FAILING_IMPACTS]
