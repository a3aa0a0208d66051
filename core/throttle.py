"""Per-client limits on actions that cost nothing to repeat (votes, sign-ups, page-cache
stores), and the one answer to "who is this client".

Counted in the shared cache (Redis in production), in fixed windows. The client address
follows TRUSTED_PROXY_COUNT, as allauth's rate limits do: behind a proxy it must be set, or
every visitor shares the proxy's address.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """The visitor's address as the site's trusted proxies report it.

    With TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For is the
    one the outermost trusted proxy saw (anything to its left the client could have written);
    with 0, or a header shorter than that, the socket address. An IPv6 client counts as its
    /64, which one host usually holds.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if count > 0 and len(forwarded) >= count:
        address = forwarded[-count][:64]
    else:
        address = request.META.get("REMOTE_ADDR", "")[:64]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def throttle_allow(
    *, action: str, key: str, limit: int, seconds: int, window_from_first_attempt: bool = False
) -> bool:
    """Count one attempt of `action` by `key`; False once `limit` is passed in this window.

    Windows follow the clock (the same `seconds`-long slots for every key) unless
    `window_from_first_attempt`: then a key's window opens at its first attempt, so two
    windows' allowances never land back to back (a limit of 1 is once per `seconds`).
    Raises what the cache raises when it is unreachable; the caller decides what that means.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    counter = f"throttle:{action}:{digest}"
    if not window_from_first_attempt:
        counter += f":{int(time.time() // seconds)}"
    cache.add(counter, 0, timeout=seconds)
    try:
        return cache.incr(counter) <= limit
    except ValueError:  # the counter expired between add and incr
        cache.set(counter, 1, timeout=seconds)
        return True
