"""The API reference and the canvas in Chromium under their Content-Security-Policy: they work, nothing they do
is refused by the policy, nothing loads from another origin, and a pasted API token is kept nowhere a script
could read it back after the page is gone."""
from __future__ import annotations

import json

from flask.testing import FlaskClient

from flows.scenarios import SCENARIOS_DIR
from tests.conftest import ADMIN_TOKEN
from tests.e2e.browser_support import sign_in_with_token

# Chromium tells the page of each refusal; this reports them as console errors, which the page fixture records.
REPORT_VIOLATIONS = ("document.addEventListener('securitypolicyviolation', event => console.error("
                     "'CSP violation', event.violatedDirective, event.blockedURI, event.sourceFile))")


def watched(page, server: str) -> list[str]:
    """Report policy violations as console errors; the URLs of requests to any other origin."""
    page.add_init_script(REPORT_VIOLATIONS)
    elsewhere: list[str] = []
    page.on("request", lambda request: request.url.startswith(("http:", "https:"))
            and not request.url.startswith(server) and elsewhere.append(request.url))
    return elsewhere


def violations(errors: list[str]) -> list[str]:
    return [error for error in errors if "CSP violation" in error or "Content Security Policy" in error]


def test_the_api_reference_renders_under_its_policy_from_this_server_alone(page, server: str) -> None:
    page, log = page
    elsewhere = watched(page, server)
    response = page.goto("/api/docs")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.locator(".opblock-tag").first.wait_for(timeout=20_000)
    assert page.locator(".opblock-tag").count() >= 8
    page.locator(".opblock-tag", has_text="flows").first.click()
    page.locator(".opblock").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.locator(".authorize").first.click()
    page.keyboard.press("Escape")
    assert violations(log.errors) == []
    assert elsewhere == []


def test_the_canvas_works_under_its_policy_and_forgets_a_pasted_token_on_reload(
    page, server: str, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    page, log = page
    elsewhere = watched(page, server)
    # win_back's nodes have config forms with if/then and oneOf, which the forms' validator compiles.
    document = json.loads((SCENARIOS_DIR / "win_back.json").read_text(encoding="utf-8"))
    flow = client.post("/api/flows", json={"name": document["name"], "document": document}, headers=admin_headers).json
    page.goto(f"/flows/{flow['id']}")
    sign_in_with_token(page)
    for node in document["nodes"]:
        page.get_by_test_id(f"node-{node['id']}").locator(".flow-node-header").click()
        page.locator(".side-panel").first.wait_for()
    assert violations(log.errors) == []
    assert elsewhere == []

    stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
    assert ADMIN_TOKEN not in stored
    page.reload()
    page.get_by_test_id("token-tab").wait_for()  # signed out: the token lived in the page's memory only
    assert page.get_by_test_id(f"node-{document['nodes'][0]['id']}").count() == 0
