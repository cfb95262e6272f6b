"""The outbound address policy against real loopback listeners: refused forms reach nothing, the allow-list reaches
them, redirects and a second DNS answer cannot route around the check, and the canvas is told why."""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from builder_api.settings import SettingsError, load_settings
from flows.validation import validate_flow
from nodes import outbound
from nodes.base import ConfigProblem
from nodes.execution import Go
from nodes.outbound import STRICT, OutboundPolicy, OutboundRefused
from nodes.webhook import MAX_TIMEOUT, Webhook, timeout_seconds
from tests.http_servers import serving

TIMEOUT = 2.0


@dataclass
class Listener:
    """A local HTTP server and the paths it was asked for; `redirect_to` makes it answer 302 to that URL."""

    host: str
    port: int
    paths: list[str] = field(default_factory=list)
    redirect_to: str | None = None

    def url(self, host: str | None = None, path: str = "/hook") -> str:
        return f"http://{host or self.host}:{self.port}{path}"


@contextmanager
def listening(host: str, port: int = 0) -> Iterator[Listener]:
    """An HTTP listener on `host` (an IPv4 or IPv6 address), on an ephemeral port unless one is given."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            listener.paths.append(self.path)
            self.send_response(302 if listener.redirect_to else 200)
            if listener.redirect_to:
                self.send_header("Location", listener.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    listener = Listener(host, port)
    with ExitStack() as stack:
        try:
            server = stack.enter_context(serving(Handler, host, port, server_class=Server))
        except OSError as error:
            pytest.skip(f"cannot listen on {host}: {error}")
        listener.port = server.server_address[1]
        yield listener


@pytest.fixture
def policy() -> Iterator[Callable[..., OutboundPolicy]]:
    """Configure this process's policy from allow-list entries; STRICT again after the test."""
    yield lambda *entries: outbound.configure(OutboundPolicy.parse(entries))
    outbound.configure(STRICT)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names a test makes resolve to addresses of its choosing (each look-up takes the next answer, the last one
    repeating); every other host resolves as usual. The list of look-ups made is kept under "looked up"."""
    answers: dict[str, list[str]] = {"looked up": []}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        answers["looked up"].append(host)
        address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


LOOPBACK_FORMS = ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f000001", "0", "[::ffff:127.0.0.1]"]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_every_form_of_loopback_reaches_nothing(host: str) -> None:
    with listening("127.0.0.1") as listener:
        url = listener.url(host)
        with pytest.raises(OutboundRefused, match="automap does not call internal addresses"):
            outbound.client(TIMEOUT).post(url, json={"email": "ann@example.com"})
        assert listener.paths == []
        # The same URL unguarded does reach the listener: the refusal above is what kept it out.
        assert httpx.post(url, timeout=TIMEOUT, trust_env=False).status_code == 200
        assert listener.paths == ["/hook"]


def test_the_ipv6_loopback_reaches_nothing() -> None:
    with listening("::1") as listener:
        with pytest.raises(OutboundRefused, match=r"::1 is a loopback address"):
            outbound.client(TIMEOUT).get(listener.url("[::1]"))
        assert listener.paths == []


def test_the_allow_list_from_the_environment_lets_the_listener_receive(tmp_path: Path,
                                                                       policy: Callable[..., OutboundPolicy]) -> None:
    settings = load_settings({"AUTOMAP_OUTBOUND_ALLOW": "127.0.0.1/32"}, {"instance_path": tmp_path})
    outbound.configure(settings.outbound_policy)
    with listening("127.0.0.1") as listener:
        for host in ("127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"):
            assert outbound.client(TIMEOUT).post(listener.url(host)).status_code == 200
        assert listener.paths == ["/hook"] * 4
        with pytest.raises(OutboundRefused):  # only the allowed network: 127.0.0.2 is still refused
            outbound.client(TIMEOUT).get(listener.url("127.0.0.2"))


def test_a_host_name_on_the_allow_list_is_called_whatever_it_resolves_to(
        policy: Callable[..., OutboundPolicy], resolver: dict[str, list[str]]) -> None:
    resolver["crm.internal"] = ["127.0.0.1"]
    with listening("127.0.0.1") as listener:
        with pytest.raises(OutboundRefused, match="crm.internal resolves to 127.0.0.1, a loopback address"):
            outbound.client(TIMEOUT).get(listener.url("crm.internal"))
        policy("crm.internal")
        assert outbound.client(TIMEOUT).get(listener.url("crm.internal")).status_code == 200
        with pytest.raises(OutboundRefused):  # a name, not the addresses it resolves to
            outbound.client(TIMEOUT).get(listener.url("127.0.0.1"))
    assert listener.paths == ["/hook"]


def test_a_redirect_to_a_refused_address_is_not_followed(policy: Callable[..., OutboundPolicy]) -> None:
    policy("127.0.0.2/32")
    with listening("127.0.0.1") as internal, listening("127.0.0.2") as allowed:
        allowed.redirect_to = internal.url(path="/admin")
        with pytest.raises(OutboundRefused, match="127.0.0.1 is a loopback address"):
            outbound.client(TIMEOUT).post(allowed.url(), json={"email": "ann@example.com"})
        assert allowed.paths == ["/hook"]
        assert internal.paths == []


def test_redirects_are_followed_five_hops_at_most(policy: Callable[..., OutboundPolicy]) -> None:
    policy("127.0.0.1/32")
    with listening("127.0.0.1") as loop:
        loop.redirect_to = loop.url(path="/again")
        with pytest.raises(httpx.TooManyRedirects):
            outbound.client(TIMEOUT).get(loop.url())
    assert loop.paths == ["/hook"] + ["/again"] * outbound.MAX_REDIRECTS


def test_the_connection_goes_to_the_address_that_was_checked(
        policy: Callable[..., OutboundPolicy], resolver: dict[str, list[str]]) -> None:
    """DNS rebinding: the name answers an allowed address when checked, then an internal one."""
    policy("127.0.0.2/32")
    with listening("127.0.0.1") as internal, listening("127.0.0.2", internal.port) as allowed:
        resolver["hooks.example"] = ["127.0.0.2", "127.0.0.1"]
        assert outbound.client(TIMEOUT).post(internal.url("hooks.example")).status_code == 200
        assert resolver["looked up"] == ["hooks.example"]  # once: the connection went to the checked address
        assert (allowed.paths, internal.paths) == (["/hook"], [])

        # Checking the name and then letting the HTTP library look it up again would have reached the internal one.
        resolver["hooks.example"] = ["127.0.0.2", "127.0.0.1"]
        assert OutboundPolicy.parse(["127.0.0.2/32"]).checked_addresses("hooks.example", internal.port)
        httpx.post(internal.url("hooks.example"), timeout=TIMEOUT, trust_env=False)
        assert internal.paths == ["/hook"]


def test_a_name_with_any_refused_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every address a name resolves to is checked, not just the first."""
    real = socket.getaddrinfo
    answers = real("8.8.8.8", 80, type=socket.SOCK_STREAM) + real("10.0.0.7", 80, type=socket.SOCK_STREAM)
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *args, **kwargs: answers if host == "mixed.example" else real(host, *args, **kwargs))
    with pytest.raises(OutboundRefused, match="mixed.example resolves to 10.0.0.7, a private network address"):
        STRICT.checked_addresses("mixed.example", 80)


def test_tls_names_the_host_not_the_checked_address(
        policy: Callable[..., OutboundPolicy], resolver: dict[str, list[str]]) -> None:
    """The socket goes to the checked address; the TLS handshake's SNI (and so the certificate check) uses the name."""
    policy("127.0.0.1/32")
    resolver["crm.example.com"] = ["127.0.0.1"]
    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(TIMEOUT)

        def accept() -> None:
            connection, _ = server.accept()
            with connection:
                received.append(connection.recv(4096))  # the ClientHello, then hang up

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        with pytest.raises(httpx.TransportError):
            outbound.client(TIMEOUT).get(f"https://crm.example.com:{server.getsockname()[1]}/hook")
        thread.join(timeout=5)
    assert received and b"crm.example.com" in received[0]


def test_proxies_from_the_environment_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening("127.0.0.1") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(path=""))
        monkeypatch.setenv("HTTPS_PROXY", proxy.url(path=""))
        with pytest.raises(OutboundRefused):
            outbound.client(TIMEOUT).get(proxy.url("10.1.2.3"))
    assert proxy.paths == []


@pytest.mark.parametrize(("address", "why"), [
    ("169.254.169.254", "link-local"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared address space"),
    ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "private"),  # reserved, and ipaddress counts it private first
    ("198.18.0.1", "private"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fd00::1", "unique local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("::ffff:10.0.0.1", "IPv6 form of 10.0.0.1, a private"),
    ("::7f00:1", "IPv6 form of 127.0.0.1, a loopback"),
    ("64:ff9b::a9fe:a9fe", "IPv6 form of 169.254.169.254, a link-local"),
    ("2002:c0a8:101::", "IPv6 form of 192.168.1.1, a private"),
    ("64:ff9b:1::1", "reserved"),
    ("2001:db8::1", "private"),
])
def test_internal_addresses_are_refused_by_category(address: str, why: str) -> None:
    reason = STRICT.address_refusal(outbound.ip_address(address))
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
                                     "2002:808:808::"])
def test_public_addresses_in_any_form_are_allowed(address: str) -> None:
    assert STRICT.address_refusal(outbound.ip_address(address)) is None


def test_the_allow_list_reads_cidrs_and_names_and_says_what_is_wrong(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_OUTBOUND_ALLOW": " 10.0.0.0/8, CRM.internal ,fd00::/8,192.168.1.20"},
                             {"instance_path": tmp_path})
    assert settings.outbound_allow == ("10.0.0.0/8", "crm.internal", "fd00::/8", "192.168.1.20")
    policy = settings.outbound_policy
    assert policy.hosts == {"crm.internal"}
    assert [str(network) for network in policy.networks] == ["10.0.0.0/8", "fd00::/8", "192.168.1.20/32"]
    assert load_settings({}, {"instance_path": tmp_path}).outbound_policy == STRICT
    for wrong, said in [("10.0.0.1/8", "host bits set"), ("2130706433", "neither a network nor a host name"),
                        ("https://crm.internal", "not a network")]:
        with pytest.raises(SettingsError, match=f"AUTOMAP_OUTBOUND_ALLOW lists '{wrong}'.*{said}"):
            load_settings({"AUTOMAP_OUTBOUND_ALLOW": wrong}, {"instance_path": tmp_path})


def webhook(url: str, **config: Any) -> dict[str, Any]:
    return {"url": url, **config}


@pytest.mark.parametrize(("url", "said"), [
    ("http://127.0.0.1:8080/hook", "The URL's host 127.0.0.1 is a loopback address"),
    ("http://localhost/hook", "The URL's host localhost is a name of this server itself"),
    ("http://api.localhost/hook", "The URL's host api.localhost is a name of this server itself"),
    ("http://[::1]/hook", "The URL's host ::1 is a loopback address"),
    ("http://2130706433/hook", "The URL's host 2130706433 is a loopback address"),
    ("http://0x7f000001/hook", "The URL's host 0x7f000001 is a loopback address"),
    ("http://127.1/hook", "The URL's host 127.1 is a loopback address"),
    ("http://0/hook", "The URL's host 0 is the unspecified address"),
    ("http://[::ffff:127.0.0.1]/hook", "an IPv6 form of 127.0.0.1, a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "a link-local address, where cloud metadata services answer"),
    ("https://10.0.0.5/hook", "a private network address"),
    ("http://redis:6379/", "The URL's host redis is a name without a dot"),
])
def test_check_config_says_why_a_url_is_refused(url: str, said: str) -> None:
    [problem] = Webhook.check_config(webhook(url))
    assert (problem.path, problem.code) == (("url",), "refused_address")
    assert said in problem.message and "AUTOMAP_OUTBOUND_ALLOW" in problem.message


def test_check_config_honours_the_allow_list(policy: Callable[..., OutboundPolicy]) -> None:
    assert Webhook.check_config(webhook("https://crm.example.com/hook")) == []  # names are checked when called
    policy("127.0.0.1/32", "redis", "10.0.0.0/8")
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://redis:6379/", "http://10.9.8.7/"):
        assert Webhook.check_config(webhook(url)) == [], url
    assert [problem.code for problem in Webhook.check_config(webhook("http://192.168.1.1/"))] == ["refused_address"]


def test_the_validator_points_at_the_refused_url() -> None:
    doc = {
        "schema_version": 2,
        "name": "CRM sync",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"event": "signed_up"}},
            {"id": "crm", "type": "webhook", "config": {"url": "http://169.254.169.254/latest/meta-data/"}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [{"from": "start", "port": "next", "to": "crm"}, {"from": "crm", "port": "next", "to": "done"},
                  {"from": "crm", "port": "failed", "to": "done"}],
    }
    [error] = validate_flow(doc)
    assert (error.pointer, error.node_id, error.code.value) == ("/nodes/1/config/url", "crm", "refused_address")
    assert error.message.startswith("Node 'crm': the URL's host 169.254.169.254 is a link-local address")


def test_the_time_out_is_capped() -> None:
    assert Webhook.check_config(webhook("https://crm.example.com/", timeout="PT30S")) == []
    assert Webhook.check_config(webhook("https://crm.example.com/", timeout="P1D")) == [ConfigProblem(
        ("timeout",), "duration",
        "The time-out P1D is longer than the 30 seconds a webhook may wait: make it PT30S or less.")]
    assert [problem.path for problem in Webhook.check_config(webhook("https://crm.example.com/", timeout="P1M"))] \
        == [("timeout",)]
    # A flow published before the cap still waits 30 s at most.
    assert timeout_seconds("PT5S") == 5.0
    assert timeout_seconds("P1D") == timeout_seconds("P1M") == MAX_TIMEOUT.total_seconds() == 30.0


class Context:
    """Just enough of nodes.execution.StepContext for the webhook node."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
        self.idempotency_key = "run:1:node:crm:visit:1"

    def render(self, value: Any) -> Any:
        return value


def test_a_refused_address_leaves_by_failed_at_once_and_records_no_call(
        caplog: pytest.LogCaptureFixture, policy: Callable[..., OutboundPolicy]) -> None:
    """Refused without a look-up when the node runs: nothing goes to the ledger for the deliverer. (A name that
    resolves to a refused address, and redirects, are refused by the deliverer's guarded client:
    tests/workflow_runtime/test_webhook_outbox.py.)"""
    with listening("127.0.0.1") as listener:
        context = Context()
        assert Webhook.execute(context, webhook(listener.url(), retries=3)) == Go("failed")
        assert listener.paths == [] and context.state == {}
        assert "run:1:node:crm:visit:1 not called: automap does not call internal addresses: 127.0.0.1" in caplog.text


