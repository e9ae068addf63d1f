"""Where our HTTP clients may connect: one address policy for feeds and destinations.

Feed URLs and webhook URLs come from configuration, OPML imports and redirects, so a
typo or a hostile feed could make us fetch ``http://169.254.169.254/`` (cloud
credentials) or a service on the loopback. ``AddressPolicy`` answers one question —
may we connect to this address (reached through this host name)? — and three
enforcement points ask it:

* ``AddressPolicy.check_url`` before each request and each redirect hop: scheme, IP
  literals (aiohttp does not resolve those), legacy numeric forms (``2130706433``,
  ``0177.0.0.1``) and ``localhost`` names, with a clear error before any packet;
* ``GuardedResolver`` on every DNS answer, so a public-looking name cannot resolve (or
  rebind, between two requests) to a private address;
* the connector's socket factory on the address actually connected to — the last
  line, which also covers proxies and any redirect a library follows by itself.

Public unicast addresses are always allowed. Everything else — loopback, private
(RFC 1918, fc00::/7), link-local, shared (100.64/10), unspecified, multicast,
reserved, and private addresses hidden in IPv6 (IPv4-mapped, NAT64, 6to4, Teredo) —
only when listed: a host name (exact), an IP, or a CIDR. Cloud metadata addresses
need an exact IP or name entry; a CIDR that happens to contain them does not do.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from streams.errors import PermanentError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(PermanentError):
    """The target is (or resolves to) an address the policy refuses."""


class AddressRefused(OSError):
    """Raised inside the connector (resolver, socket factory); ``blocked_from`` turns it
    into a BlockedAddress for our callers."""


def parse_allow_entry(entry: str) -> str:
    """Validate one allow-list entry (host name, IP or CIDR); return it normalised.
    Raises ValueError with a reason."""
    e = entry.strip().lower().rstrip(".")
    if not e:
        raise ValueError("empty allow_private entry")
    if "/" in e:
        try:
            return str(ipaddress.ip_network(e, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not a CIDR") from None
    try:
        return str(ipaddress.ip_address(e.strip("[]")))
    except ValueError:
        pass
    if any(c.isspace() or c in "/:@?#" for c in e):
        raise ValueError(f"{entry!r} is not a host name, IP or CIDR")
    return e


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo client)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (None when it is)."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        why = refusal(inner)
        return f"{why}, inside IPv6 {ip}" if why else None
    if ip in METADATA:
        return "cloud metadata"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a non-canonical IPv4 form names (``2130706433``, ``0177.0.0.1``,
    ``0x7f.1``, ``127.1``) — resolvers accept these; None for names and canonical IPs."""
    if not host or not all(c in "0123456789abcdefx." for c in host):
        return None
    try:
        packed = socket.inet_aton(host)
    except OSError:
        return None
    ip = ipaddress.IPv4Address(packed)
    return None if str(ip) == host else ip


class AddressPolicy:
    """Which addresses our HTTP clients may connect to; see the module docstring."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.nets: list[IPNetwork] = []
        for raw in allow:
            entry = parse_allow_entry(raw)
            try:
                self.nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry)
        # private addresses a listed *name* resolved to: the socket factory, which no
        # longer knows the name, lets exactly these through
        self._approved: set[IPAddress] = set()

    def __repr__(self) -> str:
        listed = sorted(self.hosts) + [str(n) for n in self.nets]
        return f"AddressPolicy(allow={listed})"

    def _listed(self, ip: IPAddress, exact: bool) -> bool:
        candidates = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        return any(
            c in net and (not exact or net.prefixlen == net.max_prefixlen)
            for c in candidates
            for net in self.nets
            if net.version == c.version
        )

    def allows(self, address: str, host: str = "") -> bool:
        """May we connect to ``address`` (reached as ``host``)?"""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if refusal(ip) is None:
            return True
        if host and host.lower().rstrip(".") in self.hosts:
            self._approved.add(ip)
            return True
        return ip in self._approved or self._listed(ip, exact=ip in METADATA)

    def explain(self, address: str, host: str = "") -> str:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address!r} is not an IP address"
        name = f"{host} -> {address}" if host and host != address else address
        return (
            f"refused: {name} is a private address ({refusal(ip) or 'not allowed'}); "
            "list it in allow_private to allow it"
        )

    def check_url(self, url: str) -> None:
        """Refuse before connecting what the URL alone shows: non-http(s) schemes, IP
        literals and numeric forms outside the policy, ``localhost`` names."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            raise PermanentError("malformed URL") from None
        if parts.scheme not in ("http", "https") or not host:
            raise PermanentError(f"not an http(s) URL: {url[:200]}")
        if host in self.hosts:
            return
        legacy = legacy_ipv4(host)
        if legacy is not None:
            raise BlockedAddress(
                f"refused: {host!r} is a non-canonical IPv4 form of {legacy}; write the address"
            )
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            loopback_name = host == "localhost" or host.endswith(".localhost")
            if loopback_name and not (self.allows("127.0.0.1", host) or self.allows("::1", host)):
                raise BlockedAddress(self.explain("127.0.0.1", host)) from None
            return  # a name: the resolver checks each address it resolves to
        if not self.allows(str(ip), host):
            raise BlockedAddress(self.explain(str(ip)))


class GuardedResolver(AbstractResolver):
    """DNS answers filtered by the policy, so a name cannot smuggle a private address."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        allowed = [r for r in results if self.policy.allows(r["host"], host)]
        if not allowed:
            first = results[0]["host"] if results else "?"
            raise AddressRefused(self.policy.explain(first, host))
        return allowed

    async def close(self) -> None:
        await self.inner.close()


def socket_factory(policy: AddressPolicy) -> Any:
    """A connector socket factory that refuses addresses outside the policy."""

    def make(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        if not policy.allows(address):
            raise AddressRefused(policy.explain(address))
        return socket.socket(family=family, type=type_, proto=proto)

    return make


def guarded_connector(policy: AddressPolicy, **kwargs: Any) -> aiohttp.TCPConnector:
    """A TCPConnector whose every connection passes the policy."""
    return aiohttp.TCPConnector(
        resolver=GuardedResolver(policy), socket_factory=socket_factory(policy), **kwargs
    )


def blocked_from(exc: BaseException) -> BlockedAddress | None:
    """The BlockedAddress behind an aiohttp connection error, if the policy caused it."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, AddressRefused):
            return BlockedAddress(str(e))
        if isinstance(e, OSError) and "refused: " in str(e) and "allow_private" in str(e):
            # aiohappyeyeballs folds several refusals into one plain OSError
            return BlockedAddress(str(e))
        stack += [getattr(e, "os_error", None), e.__cause__, e.__context__]
    return None
