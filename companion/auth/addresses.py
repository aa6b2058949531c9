"""The client's address behind trusted reverse proxies. Pure: no I/O.

Each proxy appends the address it received the request from to X-Forwarded-For, so the list
reads client, proxy 1, proxy 2 ... and only its right-hand end was written by proxies we run.
Walking from the peer (the address that connected to us) leftwards, every hop that is a trusted
proxy is passed over; the first that is not is the client. A peer that is not a trusted proxy
is itself the client, and whatever X-Forwarded-For it sent is ignored: anyone can write one.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

UNKNOWN_ADDRESS = "unknown"
MAX_ADDRESS_LENGTH = 64

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The address to count a request against.

    ``forwarded_for`` holds the X-Forwarded-For header values in the order received (several
    headers read as one list). When every hop is a trusted proxy the left-most is the client; a
    hop that is not an address ends the walk at the last trusted hop, which is the one that
    vouched for it.
    """
    if peer is None:
        return UNKNOWN_ADDRESS
    current = _parse(peer)
    if current is None:
        return peer.strip()[:MAX_ADDRESS_LENGTH] or UNKNOWN_ADDRESS
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    while hops and _trusted(current, proxies):
        previous = _parse(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)
