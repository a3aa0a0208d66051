"""Sign-up limits, counted in the shared cache (Redis in production) so every web process
agrees: one confirmation email per address per window, and a cap on sign-ups per client."""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
KEY_PREFIX = "newsletter:signup-limit:"


def _key(kind: str, value: str) -> str:
    # Hashed: no address in the cache's key space, and any length or character fits.
    return KEY_PREFIX + kind + ":" + hashlib.sha256(value.encode()).hexdigest()


def _window() -> int:
    return max(settings.NEWSLETTER_SIGNUP_WINDOW_SECONDS, 1)


def client_may_sign_up(client: str) -> bool:
    """Count one sign-up from this client; False past NEWSLETTER_SIGNUPS_PER_CLIENT."""
    key = _key("client", client)
    try:
        cache.add(key, 0, timeout=_window())
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=_window())
        count = 1
    except Exception:
        # No shared counter: refuse rather than let the form mail anyone without limit.
        logger.warning("newsletter sign-up limit: cache unavailable", exc_info=True)
        return False
    return count <= settings.NEWSLETTER_SIGNUPS_PER_CLIENT


def address_may_get_confirmation(email: str) -> bool:
    """True for the first confirmation to this address in the window, False after (atomic)."""
    try:
        return cache.add(_key("address", email), 1, timeout=_window())
    except Exception:
        logger.warning("newsletter sign-up limit: cache unavailable", exc_info=True)
        return False
