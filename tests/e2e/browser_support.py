"""What the browser tests share: signing in, finding a node's handles, dragging between them, a customer's site."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.conftest import ADMIN_TOKEN
from tests.http_servers import serving

# Answers the app expects while signed out: it asks for a session first, and is told 401.
EXPECTED_FAILURES = {"/api/session"}


def sign_in_with_token(page) -> None:
    """Sign in on the login screen by pasting the admin token."""
    page.get_by_test_id("token-tab").click()
    page.get_by_test_id("token-input").fill(ADMIN_TOKEN)
    page.get_by_test_id("sign-in").click()


def handle(page, node_id: str, kind: str, port: str | None = None):
    """A node's connection handle: its input ('target') or one of its output ports ('source')."""
    selector = f'.react-flow__node[data-id="{node_id}"] .react-flow__handle.{kind}'
    if port:
        selector += f'[data-handleid="{port}"]'
    return page.locator(selector)


def settled_box(page, locator) -> dict[str, float]:
    """The element's box once it stops moving (the canvas animates its viewport after loads and drops)."""
    previous = None
    for _ in range(100):
        box = locator.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        page.wait_for_timeout(50)
    raise AssertionError(f"{locator} kept moving for 5 s")


def drag_between(page, source, target) -> None:
    """Press the mouse on `source`, move it over `target` in steps, release: how a marketer draws an arrow."""
    start = settled_box(page, source)
    end = settled_box(page, target)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


@contextmanager
def html_site(page_for: Callable[[str], str]) -> Iterator[str]:
    """Serve the HTML `page_for(path)` gives, on another origin than the app (`localhost`, where the
    app is on 127.0.0.1), as a customer's site embedding the widget; yields its base URL."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = page_for(self.path).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Site) as server:
        yield f"http://localhost:{server.server_port}"


# Playwright keeps every page a foreground tab (a headless page always reports `visible`, whichever tab is in
# front), so a test plays the browser's part: `start_in_background_tab` before the page loads, then `show_tab`.
_BACKGROUND_TAB = """(() => {
  let state = "hidden";
  Object.defineProperty(document, "visibilityState", { get: () => state });
  Object.defineProperty(document, "hidden", { get: () => state === "hidden" });
  window.__showTab = () => {
    state = "visible";
    document.dispatchEvent(new Event("visibilitychange"));
  };
})()"""


def start_in_background_tab(page) -> None:
    """The pages `page` loads from now on start in a tab the visitor is not looking at."""
    page.add_init_script(_BACKGROUND_TAB)


def show_tab(page) -> None:
    """The visitor switches to the tab: it becomes visible and says so with a `visibilitychange` event."""
    page.evaluate("window.__showTab()")
