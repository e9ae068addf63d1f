"""The shared address policy (streams/net.py): which addresses our HTTP clients may reach."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from streams.errors import PermanentError
from streams.net import (
    AddressPolicy,
    AddressRefused,
    BlockedAddress,
    blocked_from,
    legacy_ipv4,
    parse_allow_entry,
    refusal,
    socket_factory,
)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("255.255.255.255", "reserved"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback, inside IPv6 ::ffff:7f00:1"),
        ("::ffff:169.254.169.254", "cloud metadata, inside IPv6 ::ffff:a9fe:a9fe"),
        ("64:ff9b::7f00:1", "loopback, inside IPv6 64:ff9b::7f00:1"),
        ("2002:c0a8:101::1", "private, inside IPv6 2002:c0a8:101::1"),
        ("::ffff:93.184.216.34", None),
    ],
)
def test_refusal_names_the_kind_of_address(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize(
    ("allow", "address", "host", "ok"),
    [
        ([], "93.184.216.34", "news.example", True),
        ([], "127.0.0.1", "localhost", False),
        (["127.0.0.1"], "127.0.0.1", "", True),
        (["127.0.0.1"], "127.0.0.2", "", False),
        (["127.0.0.1"], "::ffff:127.0.0.1", "", True),  # the same address, mapped
        (["localhost"], "127.0.0.1", "localhost", True),
        (["localhost"], "127.0.0.1", "evil.example", False),
        (["10.0.0.0/8"], "10.9.8.7", "", True),
        (["10.0.0.0/8"], "192.168.0.1", "", False),
        (["::1"], "::1", "", True),
        (["fc00::/7"], "fd00::5", "", True),
        # metadata: a CIDR that happens to contain it is not enough
        (["169.254.0.0/16"], "169.254.1.1", "", True),
        (["169.254.0.0/16"], "169.254.169.254", "", False),
        (["169.254.169.254"], "169.254.169.254", "", True),
        (["fc00::/7"], "fd00:ec2::254", "", False),
        ([], "not-an-ip", "", False),
    ],
)
def test_allow_list(allow: list[str], address: str, host: str, ok: bool) -> None:
    assert AddressPolicy(allow).allows(address, host) is ok


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("127.0.0.1", None),  # canonical: an ordinary IP literal
        ("cafe.be", None),
        ("news.example", None),
    ],
)
def test_legacy_ipv4_forms(host: str, address: str | None) -> None:
    found = legacy_ipv4(host)
    assert (str(found) if found else None) == address


@pytest.mark.parametrize(
    ("url", "allow", "error"),
    [
        ("https://news.example/feed", [], None),  # a name: checked when it resolves
        ("http://127.0.0.1:8080/feed", [], "loopback"),
        ("http://127.0.0.1:8080/feed", ["127.0.0.1"], None),
        ("http://[::1]/feed", ["127.0.0.1"], "loopback"),
        ("http://[::ffff:127.0.0.1]/", [], "loopback"),
        ("http://[::ffff:127.0.0.1]/", ["127.0.0.1"], None),
        ("http://169.254.169.254/latest/meta-data/", [], "cloud metadata"),
        ("http://[fd00:ec2::254]/", [], "cloud metadata"),
        ("http://0.0.0.0:9000/", [], "unspecified"),
        ("http://10.0.0.7/", [], "private"),
        ("http://172.20.1.1/", [], "private"),
        ("http://192.168.0.10/", [], "private"),
        ("http://[fe80::1%25eth0]/", [], "link-local"),
        ("http://224.0.0.251/", [], "multicast"),
        ("http://2130706433/", [], "non-canonical"),
        ("http://2130706433/", ["127.0.0.1"], "non-canonical"),  # written so, never
        ("http://0177.0.0.1/", [], "non-canonical"),
        ("http://localhost:8080/", [], "loopback"),
        ("http://LOCALHOST./", [], "loopback"),
        ("http://api.localhost/", [], "loopback"),
        ("http://localhost:8080/", ["127.0.0.1"], None),
        ("http://localhost:8080/", ["localhost"], None),
        ("file:///etc/passwd", [], "http"),
        ("gopher://127.0.0.1/", [], "http"),
        ("http:///nohost", [], "http"),
    ],
)
def test_check_url(url: str, allow: list[str], error: str | None) -> None:
    policy = AddressPolicy(allow)
    if error is None:
        policy.check_url(url)
        return
    with pytest.raises(PermanentError, match=error) as info:
        policy.check_url(url)
    if error != "http":
        assert isinstance(info.value, BlockedAddress)
        assert "/etc" not in str(info.value) and "meta-data" not in str(info.value)


@pytest.mark.parametrize(
    ("entry", "normalised"),
    [
        ("127.0.0.1", "127.0.0.1"),
        (" LocalHost. ", "localhost"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("[::1]", "::1"),
        ("fc00::/7", "fc00::/7"),
    ],
)
def test_allow_entries_are_normalised(entry: str, normalised: str) -> None:
    assert parse_allow_entry(entry) == normalised


@pytest.mark.parametrize("entry", ["", "10.0.0.0/33", "a b", "http://x", "host:80", "u@h"])
def test_bad_allow_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_allow_entry(entry)


def test_socket_factory_refuses_at_connect_time() -> None:
    make = socket_factory(AddressPolicy([]))
    info = (socket.AF_INET, socket.SOCK_STREAM, 0, "", ("127.0.0.1", 80))
    with pytest.raises(AddressRefused, match="loopback"):
        make(info)
    allowed = socket_factory(AddressPolicy(["127.0.0.1"]))(info)
    allowed.close()


def test_a_name_listed_lets_its_private_answer_through_the_socket_factory() -> None:
    policy = AddressPolicy(["intranet.example"])
    assert policy.allows("10.0.0.5", "intranet.example")  # what the resolver asks
    make = socket_factory(policy)
    make((socket.AF_INET, socket.SOCK_STREAM, 0, "", ("10.0.0.5", 80))).close()
    with pytest.raises(AddressRefused):
        make((socket.AF_INET, socket.SOCK_STREAM, 0, "", ("10.0.0.6", 80)))


def test_blocked_from_finds_the_refusal_in_a_chain() -> None:
    inner = AddressRefused("refused: x -> 10.0.0.1 is a private address; list it in allow_private")
    outer = RuntimeError("wrapped")
    outer.__cause__ = inner
    found = blocked_from(outer)
    assert isinstance(found, BlockedAddress) and "10.0.0.1" in str(found)
    assert blocked_from(RuntimeError("nothing")) is None
    folded = OSError("Multiple exceptions: refused: a is ... allow_private, refused: b ...")
    assert isinstance(blocked_from(folded), BlockedAddress)
