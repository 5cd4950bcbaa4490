"""Who is asking: the one place that turns a request into the client address we trust.

Behind no proxy (the default, ``TRUSTED_PROXY_COUNT=0``) ``X-Forwarded-For`` is written by the
client itself, so it is ignored and ``REMOTE_ADDR`` is the client. Behind N proxies that each
append the address they saw, the N-th address from the right is the one our outermost proxy
saw: everything to its left was sent by the client and proves nothing.

Every rate limit (the pages' ``rate_limit_check`` and the API's throttles) keys on
``client_identity``, so one client has one budget whatever it sends in its headers.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# An IPv6 subscriber usually gets a whole /64; counting single addresses would hand one
# client 2**64 budgets.
IPV6_PREFIX = 64


def client_address(request: HttpRequest) -> str:
    """The client's IP address as our own proxies saw it (never a header the client wrote)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in (request.META.get("HTTP_X_FORWARDED_FOR", "") or "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request bypassed some of them, so no entry is
        # trustworthy; the peer we see is the best we know.
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_identity(request: HttpRequest) -> str:
    """What a rate limit counts: the client address, or its /64 network for IPv6."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    if parsed.version == 6:
        return str(parsed.ipv4_mapped)
    return str(parsed)
