"""Per-client limits on actions that cost nothing to repeat (votes, sign-ups).

Counted in the shared cache (Redis in production), in fixed windows. The client address is
the one allauth's rate limits use, so TRUSTED_PROXY_COUNT governs both: behind a proxy it
must be set, or every visitor shares the proxy's address.
"""

import hashlib
import ipaddress
import time

from allauth.account.adapter import get_adapter
from django.core.cache import cache


def client_address(request) -> str:
    """The visitor's address; an IPv6 client counts as its /64, which one host usually holds."""
    address = get_adapter().get_client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def throttle_allow(*, action: str, key: str, limit: int, seconds: int) -> bool:
    """Count one attempt of `action` by `key`; False once `limit` is passed in this window."""
    window = int(time.time() // seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    counter = f"throttle:{action}:{digest}:{window}"
    cache.add(counter, 0, timeout=seconds)
    try:
        return cache.incr(counter) <= limit
    except ValueError:  # the counter expired between add and incr
        cache.set(counter, 1, timeout=seconds)
        return True
