"""The outbound address policy: which addresses automap may call when a flow fetches a URL a marketer typed.

A webhook's URL is called from inside the network automap runs in, with contact data, and its outcome
(`next` or `failed`) shows on the canvas; unguarded, a flow could reach the database, Redis or the cloud's
metadata service (169.254.169.254) and scan ports. So, unless an operator allow-lists it, automap refuses
loopback, private (RFC 1918 and every other block `ipaddress` does not call global), link-local, shared
(CGNAT, 100.64.0.0/10), multicast, unspecified, reserved, IPv6 unique-local (fc00::/7) and site-local
addresses, and the IPv6 forms that carry an IPv4 address (mapped ::ffff:0:0/96, compatible ::/96,
NAT64 64:ff9b::/96, 6to4 2002::/16) when the IPv4 address inside is refused.

The check sits where it cannot be dodged: `client()` connects through a network backend that resolves
the host itself (getaddrinfo, which also turns `127.1`, `2130706433`, `0x7f000001` and `0` into the
addresses they mean), checks every address the name resolves to and connects to a checked address, so a
second lookup (DNS rebinding) never happens, while TLS still verifies, and sends SNI for, the host
name. Every redirect hop goes through the same backend, and proxies named by the environment are ignored.
`host_refusal` is the same rule without DNS, for the canvas (`Webhook.check_config`).

One policy per process, set once at start-up with `configure` from builder_api.settings'
AUTOMAP_OUTBOUND_ALLOW, the way a process configures its runtime; until then every internal range is
refused. Process-wide rather than passed along, because the validator needs it too: `check_config` is
called with nothing but a node's config, from the API, the CLI and publishing, and a flow must be judged
by the same rule when it is drawn, published and run.
"""
from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Union

import httpcore
import httpx

Address = Union[IPv4Address, IPv6Address]
Network = Union[IPv4Network, IPv6Network]

# The variable operators allow-list with; named in every refusal so a reader knows the way out.
ALLOW_VARIABLE = "AUTOMAP_OUTBOUND_ALLOW"
# Redirects followed per call, each hop checked like the first.
MAX_REDIRECTS = 5

SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")  # RFC 6598: carrier-grade NAT, often a provider's internal net
UNIQUE_LOCAL = ip_network("fc00::/7")  # RFC 4193: IPv6's private networks
# IPv6 addresses that carry an IPv4 address in their last 32 bits (mapped ones: IPv6Address.ipv4_mapped;
# 6to4: IPv6Address.sixtofour). A refused IPv4 address is refused in these clothes too.
IPV4_COMPATIBLE = ip_network("::/96")  # RFC 4291, deprecated; :: and ::1 are judged as themselves
NAT64 = ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix

# A host that is an IPv4 address in one of the forms inet_aton (and so getaddrinfo) accepts: 127.1, 2130706433,
# 0x7f000001, 017700000001.
_IPV4_SHORTHAND = re.compile(r"[0-9a-fx.]+")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


class OutboundRefused(httpx.ConnectError):
    """The URL's host is, or resolves to, an address the outbound policy refuses; calling again will not help."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What may be called besides public addresses: the networks and host names an operator allow-listed.

    Attributes:
        networks: CIDRs whose addresses may be called (on-premise integrations).
        hosts: host names, lower-case and exact (no subdomains), that may be called whatever they resolve to.
    """

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> OutboundPolicy:
        """The policy allowing `entries`, each a CIDR (10.0.0.0/8, fd00::/8), an address or a host name.

        Raises:
            ValueError: for an entry that is none of these; the message names it.
        """
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in (raw.strip().lower() for raw in entries):
            if not entry:
                continue
            try:
                networks.append(ip_network(entry.strip("[]")))
                continue
            except ValueError as error:
                if "/" in entry or ":" in entry:
                    raise ValueError(f"{ALLOW_VARIABLE} lists {entry!r}, which is not a network ({error}): "
                                     "write one such as 10.0.0.0/8, 192.168.1.20 or fd00::/8") from error
            name = entry.rstrip(".")
            if not _HOST_NAME.fullmatch(name) or _IPV4_SHORTHAND.fullmatch(name):
                raise ValueError(f"{ALLOW_VARIABLE} lists {entry!r}, which is neither a network nor a host name: "
                                 "write CIDRs such as 10.0.0.0/8 and names such as crm.internal, comma-separated")
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def allows_host(self, host: str) -> bool:
        """Whether `host` is allow-listed by name."""
        return _name(host) in self.hosts

    def address_refusal(self, address: Address) -> str | None:
        """Why `address` may not be called (words to follow "it is"), or None if it may."""
        inside = embedded_ipv4(address)
        candidates = [address] if inside is None else [address, inside]
        if any(candidate in network for network in self.networks for candidate in candidates):
            return None
        if inside is not None:
            reason = self.address_refusal(inside)
            return f"an IPv6 form of {inside}, {reason}" if reason else None
        return refusal(address)

    def host_refusal(self, host: str) -> str | None:
        """Why a URL's `host` may not be called, judged without DNS: a literal address (in any form getaddrinfo
        reads), `localhost` and its subdomains, or a name without a dot (only a local resolver answers for it).
        None if it may be called, or if only the look-up made when it is called can tell."""
        name = _name(host)
        if name in self.hosts:
            return None
        address = literal_address(name)
        if address is not None:
            return self.address_refusal(address)
        if name == "localhost" or name.endswith(".localhost"):
            return "a name of this server itself" if self.address_refusal(IPv4Address("127.0.0.1")) else None
        if "." not in name:
            return "a name without a dot, which only the network automap runs in can resolve"
        return None

    def checked_addresses(self, host: str, port: int) -> list[Address]:
        """The addresses `host` resolves to, every one of them allowed: what a connection may go to.

        Raises:
            OutboundRefused: if any of them is refused (the whole name is then suspect).
            httpcore.ConnectError: if the name does not resolve.
        """
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
        addresses = list(dict.fromkeys(ip_address(sockaddr[0]) for *_, sockaddr in found))
        if self.allows_host(host):
            return addresses
        for address in addresses:
            reason = self.address_refusal(address)
            if reason:
                named = f"{host} is {reason}" if ip_address_or_none(host) == address else \
                    f"{host} resolves to {address}, {reason}"
                raise OutboundRefused(f"automap does not call internal addresses: {named}; an operator can "
                                      f"allow an on-premise integration with {ALLOW_VARIABLE}")
        return addresses


# Until the process configures one: no internal address is allowed.
STRICT = OutboundPolicy()
_current = STRICT


def configure(policy: OutboundPolicy) -> OutboundPolicy:
    """Make `policy` the one this process calls URLs and validates flows with."""
    global _current
    _current = policy
    return policy


def current() -> OutboundPolicy:
    """This process's policy: the configured one, else STRICT."""
    return _current


def refusal(address: Address) -> str | None:
    """Why `address` is not to be called when nothing allows it (words to follow "it is"), or None for a public one."""
    if address.is_unspecified:
        return "the unspecified address, which reaches this server itself"
    if address.is_loopback:
        return "a loopback address, this server itself"
    if address.is_link_local:
        return "a link-local address, where cloud metadata services answer"
    if address in SHARED_ADDRESS_SPACE:
        return "in the shared address space 100.64.0.0/10 (carrier-grade NAT)"
    if address.is_multicast:
        return "a multicast address"
    if address in UNIQUE_LOCAL:
        return "an IPv6 unique local address (fc00::/7), a private network's"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "an IPv6 site-local address (fec0::/10), a private network's"
    if address.is_private:
        return "a private network address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a special-purpose address, not one on the public internet"
    return None


def embedded_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 or 6to4), if any."""
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if (address in IPV4_COMPATIBLE and int(address) > 1) or address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> Address | None:
    """The address `host` names literally, in any form getaddrinfo reads (::1, 127.0.0.1, 127.1, 2130706433,
    0x7f000001, 0), or None for a name."""
    host = _name(host)
    address = ip_address_or_none(host)
    if address is None and _IPV4_SHORTHAND.fullmatch(host):
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return address


def ip_address_or_none(text: str) -> Address | None:
    """`text` as an IP address, or None."""
    try:
        return ip_address(text.strip("[]"))
    except ValueError:
        return None


def _name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend that connects only to addresses the policy allows, as checked, never re-resolved."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in self._policy.checked_addresses(host, port):
            try:
                return self._sockets.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                 socket_options=socket_options)
            except httpcore.ConnectError as error:  # the next address may answer
                failure = error
        raise failure or httpcore.ConnectError(f"{host} resolves to no address")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        raise OutboundRefused(f"automap does not call Unix sockets ({path})")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


# httpcore's errors as httpx's, most specific first (httpx does this in a private helper of its own transport).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for found, raised in _ERRORS:
            if isinstance(error, found):
                raise raised(str(error)) from error
        raise


class _Body(httpx.SyncByteStream):
    """A response body read from httpcore, its errors raised as httpx's."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport whose every connection goes through GuardedBackend; TLS is verified against the host name."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._pool = httpcore.ConnectionPool(network_backend=GuardedBackend(policy))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
                             target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            answer = self._pool.handle_request(sent)
        assert isinstance(answer.stream, Iterable)
        return httpx.Response(status_code=answer.status, headers=answer.headers, stream=_Body(answer.stream),
                              extensions=answer.extensions)

    def close(self) -> None:
        self._pool.close()


def client(timeout: float, policy: OutboundPolicy | None = None) -> httpx.Client:
    """An httpx client that calls only what `policy` (default: the process's) allows, following at most
    MAX_REDIRECTS redirects, each checked; environment proxies are ignored, since they would connect for it."""
    return httpx.Client(transport=GuardedTransport(policy or current()), timeout=timeout, follow_redirects=True,
                        max_redirects=MAX_REDIRECTS, trust_env=False)
