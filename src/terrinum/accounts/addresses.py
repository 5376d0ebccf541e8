"""The real client address of a request, for the throttles (logins, wrong voucher codes,
self-assessments) and nothing else.

Behind the documented reverse proxy every request comes from the proxy's address: counting
failures on `REMOTE_ADDR` then locks every user out at once. The client address is taken
from `X-Forwarded-For` only when the request comes from a trusted proxy
(`TERRINUM_MANDATAIRES`, the setting Gunicorn reads too): the right-most address of the
header that is not itself a trusted proxy, since each proxy appends the address it received
the request from and only the part written by trusted proxies can be believed. A header
sent by any other peer is ignored: it is whatever the client chose to write."""

from __future__ import annotations

import functools
import ipaddress

from terrinum.config import trusted_proxies


@functools.lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    """The trusted networks; None means every peer (`*`). Unreadable entries are skipped."""
    found = []
    for entry in setting.split(","):
        entry = entry.strip()
        if entry == "*":
            return None
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    if networks is None:
        return True
    return any(address in network for network in networks if network.version == address.version)


def client_address(request) -> str:
    """The address failures are counted against (see the module docstring)."""
    peer_text = request.META.get("REMOTE_ADDR", "") or ""
    peer = _address(peer_text)
    networks = _networks(trusted_proxies())
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if peer is None or not forwarded or not _trusted(peer, networks):
        return peer_text
    hops = [_address(part) for part in forwarded.split(",")]
    client = peer
    for hop in reversed(hops):
        if hop is None:  # a malformed entry: nothing to its left can be believed
            break
        client = hop
        if not _trusted(hop, networks):
            break
    return str(client)
