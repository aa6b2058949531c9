"""Finding the client's address behind trusted proxies (pure, table-driven)."""

from __future__ import annotations

import pytest

from companion.auth.addresses import client_address
from companion.settings import Settings, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # No proxy trusted in front: the peer, whatever it claims to forward for.
        ("203.0.113.9", [], "203.0.113.9"),
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # A trusted proxy: the right-most address it did not add itself.
        ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.66, 198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.66, 198.51.100.1, 192.0.2.7"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.66", "198.51.100.1, 10.9.9.9"], "198.51.100.1"),
        # A forged left-hand entry is never reached.
        ("10.1.2.3", ["10.0.0.1, 198.51.100.1"], "198.51.100.1"),
        # Every hop trusted: the left-most.
        ("10.1.2.3", ["10.4.4.4, 192.0.2.7"], "10.4.4.4"),
        # Nothing forwarded: the proxy itself.
        ("10.1.2.3", [], "10.1.2.3"),
        ("10.1.2.3", [" , "], "10.1.2.3"),
        # Garbage ends the walk at the hop that passed it on.
        ("10.1.2.3", ["198.51.100.1, not-an-address"], "10.1.2.3"),
        ("10.1.2.3", ["not-an-address, 10.5.5.5"], "10.5.5.5"),
        # Ports, IPv6 and IPv4 mapped into IPv6.
        ("10.1.2.3", ["198.51.100.1:5555"], "198.51.100.1"),
        ("10.1.2.3", ["[2001:db9::1]:443"], "2001:db9::1"),
        ("2001:db8::5", ["2001:db9::1, 2001:db8::6"], "2001:db9::1"),
        ("::ffff:10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
        # No peer at all; a peer that is no address.
        (None, ["198.51.100.1"], "unknown"),
        ("testclient", ["198.51.100.1"], "testclient"),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("127.0.0.1", ["198.51.100.1"], []) == "127.0.0.1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("10.0.0.0/8", ["10.0.0.0/8"]),
        (" 10.0.0.0/8 , 192.0.2.7,::1 ", ["10.0.0.0/8", "192.0.2.7/32", "::1/128"]),
        ('["172.16.0.0/12", "192.0.2.7"]', ["172.16.0.0/12", "192.0.2.7/32"]),
        ("10.0.0.1/8", ["10.0.0.0/8"]),
    ],
)
def test_the_setting_reads_a_list_of_addresses_and_networks(
    value: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPANION_TRUSTED_PROXIES", value)
    assert [str(n) for n in Settings().trusted_proxies] == expected


def test_a_bad_proxy_address_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings()
