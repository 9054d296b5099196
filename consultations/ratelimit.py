"""Per-client limits on the public forms: responding, and looking up a response's status.

Counts live in the cache (``CACHE_URL``, shared by every web process in production), keyed
by a hash of the client's address so the cache never holds raw IP addresses.
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """The client's IP address, looking through the trusted reverse proxies in front.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the
    client is the entry that many places from the right; anything further left
    could have been written by the client itself.
    """
    proxies = settings.HUB_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_subject(address: str) -> str:
    """Who the rate limit counts: an IPv4 address, or an IPv6 client's /64 (one home or
    phone is given a whole /64 and can rotate addresses inside it at will)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class RateLimitUnavailable(Exception):
    """The shared cache that counts attempts cannot be reached (Redis restarting): the
    caller decides, it is neither "over the limit" nor "under it"."""


def rate_limit_exceeded(request, *, scope: str, limit: int, window: int) -> bool:
    """Count this attempt in ``scope``; True once the client is over ``limit`` per ``window`` s.

    Raises RateLimitUnavailable when the count cannot be kept.
    """
    subject = rate_limit_subject(client_address(request))
    key = f"hub:{scope}-rate:" + hashlib.sha256(subject.encode()).hexdigest()[:32]
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the cache backend's client raises
        raise RateLimitUnavailable(f"{type(error).__name__}: {error}") from error
    return count > limit
