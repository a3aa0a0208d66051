"""Whole-page cache for anonymous visitors.

An anonymous GET of a public page is rendered once and then served from the Django cache
(Redis in production) until PAGE_CACHE_SECONDS pass or staff change the site. A hit costs
one cache round trip: no session, no database query, no template. Signed-in people never get
a cached page and never fill the cache.

Invalidation is by generation: every entry records the generation it was rendered in, and
`page_cache_clear()` bumps the generation, so all older entries stop counting at once.

CSRF keeps working: before storing, every CSRF token in the HTML is replaced by a
placeholder; on a hit the placeholder becomes a fresh token for this visitor and the CSRF
cookie is set, exactly as CsrfViewMiddleware would have done. A CSP nonce used by the page
is handled the same way.

Views whose response depends on who is asking must say so with `Cache-Control: private`
(or never_cache); those responses are never stored.
"""

import hashlib
import re
import threading
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.middleware.csp import get_nonce
from django.middleware.csrf import (
    CSRF_TOKEN_LENGTH,
    CsrfViewMiddleware,
    _unmask_cipher_token,
    get_token,
)

GENERATION_KEY = "page-cache:generation"
ENTRY_KEY_PREFIX = "page-cache:page:"
HEADER = "X-Page-Cache"

# Paths that are never cached, whatever their response says.
EXCLUDED_PATH_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/accounts/",
    "/account/",
    "/healthz",
    "/documents/",
    "/membership/webhook/",
)
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
MAX_CACHED_BYTES = 2 * 1024 * 1024

# Same length as a token, so substituting never shifts anything else in the page.
CSRF_PLACEHOLDER = b"civicnet-page-cache-csrf-token-placeholder".ljust(CSRF_TOKEN_LENGTH, b"-")
NONCE_PLACEHOLDER = b"civicnet-page-cache-csp-nonce-placeholder"
_TOKEN_SHAPED = re.compile(
    rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % CSRF_TOKEN_LENGTH  # noqa: UP031
)
_UNCACHEABLE_DIRECTIVES = re.compile(r"\b(private|no-cache|no-store)\b", re.IGNORECASE)
# Headers that are recomputed on every hit rather than stored.
_NOT_STORED_HEADERS = {"content-length"}


def page_cache_clear() -> None:
    """Forget every cached page, e.g. after publishing or a data import.

    Bumps now (so code in the same transaction, and tests, see fresh pages) and again when
    the transaction commits (so a page rendered from the old data meanwhile is dropped too).
    """
    _bump_generation()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # A fresh start: a clock value can never repeat a generation an old entry holds.
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _current_generation() -> int:
    cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
    return cache.get(GENERATION_KEY)


def entry_key(request) -> str:
    """Scheme, host and full path with query string: each is a separate page."""
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return ENTRY_KEY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


class PageCacheMiddleware:
    """Serve anonymous visitors' pages from the cache; fill it on a miss.

    Sits before SessionMiddleware so that a hit skips sessions, authentication, CSRF,
    messages and the view; only the middleware above it (logging, security headers, CSP)
    runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Used only to read and set the CSRF cookie on a hit, when the real one never runs.
        self.csrf = CsrfViewMiddleware(get_response)
        self._clients = threading.local()

    def _read(self, *keys):
        """Both values in one round trip.

        With Redis, through one long-lived client: Django's backend builds a new client
        object for every call, which costs more than the round trip itself.
        """
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            found = backend.get_many(keys)
            return [found.get(key) for key in keys]
        # The cache backend is per thread, so is the client kept for it.
        kept = getattr(self._clients, "redis", None)
        if kept is None or kept[0] is not backend._cache:
            kept = self._clients.redis = (backend._cache, backend._cache.get_client(None))
        loads = backend._cache._serializer.loads
        values = kept[1].mget([backend.make_and_validate_key(key) for key in keys])
        return [None if value is None else loads(value) for value in values]

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or not self._may_use_cache(request):
            return self.get_response(request)

        key = entry_key(request)
        generation, entry = self._read(GENERATION_KEY, key)
        if entry is not None and generation is not None and entry[0] == generation:
            return self._serve(request, entry)

        response = self.get_response(request)
        stored = self._entry_for(request, response, generation)
        if stored is not None:
            cache.set(key, stored, seconds)
        response[HEADER] = "miss"
        return response

    @staticmethod
    def _may_use_cache(request) -> bool:
        if request.method not in ("GET", "HEAD"):
            return False
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or MESSAGES_COOKIE in cookies:
            return False
        return not request.path_info.startswith(EXCLUDED_PATH_PREFIXES)

    def _entry_for(self, request, response, generation):
        """What to store for this response, or None when it must not be cached."""
        if response.status_code != 200 or response.streaming:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        if _UNCACHEABLE_DIRECTIVES.search(response.get("Cache-Control", "")):
            return None
        if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
            return None
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
        if vary - {"cookie"}:
            return None  # the page differs by some header this cache does not key on
        content = response.content
        if len(content) > MAX_CACHED_BYTES:
            return None

        has_csrf = False
        secret = request.META.get("CSRF_COOKIE")
        if secret:
            content = _TOKEN_SHAPED.sub(
                lambda m: CSRF_PLACEHOLDER if _is_token_for(m.group(), secret) else m.group(),
                content,
            )
            has_csrf = CSRF_PLACEHOLDER in content
            if has_csrf and settings.CSRF_USE_SESSIONS:
                return None  # the secret lives in the session, which a hit never opens
        nonce = get_nonce(request)
        has_nonce = bool(nonce)  # LazyNonce is truthy only once the page has used it
        if has_nonce:
            content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER)

        headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED_HEADERS]
        if generation is None:
            generation = _current_generation()
        return (generation, headers, content, has_csrf, has_nonce)

    def _serve(self, request, entry):
        from django.http import HttpResponse

        _generation, headers, content, has_csrf, has_nonce = entry
        if has_csrf:
            self.csrf.process_request(request)  # reuse the visitor's CSRF cookie if valid
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        if has_nonce:
            content = content.replace(NONCE_PLACEHOLDER, str(get_nonce(request)).encode())
        response = HttpResponse(content, headers=headers)
        response["Content-Length"] = str(len(content))
        response[HEADER] = "hit"
        if has_csrf:
            self.csrf.process_response(request, response)  # sets the cookie and Vary: Cookie
        return response


def _is_token_for(candidate: bytes, secret: str) -> bool:
    try:
        return _unmask_cipher_token(candidate.decode()) == secret
    except ValueError:
        return False
