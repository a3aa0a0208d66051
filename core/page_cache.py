"""Whole-page cache for anonymous visitors.

An anonymous GET of a public page is rendered once and then served from the Django cache
(Redis in production) until PAGE_CACHE_SECONDS pass or staff change the site. A hit costs
one cache round trip: no session, no database query, no template. Signed-in people never get
a cached page and never fill the cache.

Invalidation is by generation: every entry records the generation it was rendered in, and
`page_cache_clear()` bumps the generation, so all older entries stop counting at once. Each
section of the site (the first segment of the path: "events", "blog", "" for the home page)
has a generation of its own too, so `page_cache_clear(paths=["/events/"])` drops only the
events pages (and the pages that show everyone's content: home, search, sitemap).

CSRF keeps working: before storing, every CSRF token the page's templates were handed
(core.context_processors.csrf notes them) is replaced by a placeholder; on a hit the
placeholder becomes a fresh token for this visitor and the CSRF cookie is set, exactly as
CsrfViewMiddleware would have done. A page that asked for a token some other way (get_token()
in a view) and shows something token-shaped the templates were not handed is not stored: it
could hold that visitor's token. A CSP nonce used by the page is handled like a CSRF token.

Views whose response depends on who is asking must say so with `Cache-Control: private`
(or never_cache); those responses are never stored.

Bounded: a page is keyed on the query parameters its view reads (settings.PAGE_CACHE_QUERY_PARAMETERS, in
normalised order), so `?utm_source=x` or `?junk=1` can never add copies: a request with
a parameter no view reads is served but neither looked up nor stored. And one client may
make the cache store at most PAGE_CACHE_STORES_PER_CLIENT new pages a minute.

The front (nginx, deploy/nginx.conf.template) keeps a copy too, for FRONT_CACHE_SECONDS
(a micro-cache): only of a response this middleware would store and that holds nothing of one
visitor's (no CSRF token, no CSP nonce, no cookie set), which it marks with
`X-Accel-Expires` (nginx's own header; nginx never passes it on to the client). The front
never answers a request that carries a cookie from its copy, so signed-in people and anyone
with a session or a message always reach Django. Content a person changes shows through the
front within FRONT_CACHE_SECONDS.

The cache may be down: its backend (core.cache.FailSoftRedisCache) then answers as an empty
cache, and every request is rendered as if nothing were cached.
"""

import functools
import hashlib
import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import CsrfViewMiddleware, get_token

from core.context_processors import rendered_csrf_tokens
from core.throttle import client_address

GENERATION_KEY = "page-cache:generation"
SECTION_KEY_PREFIX = "page-cache:section:"
# Sections that show content from every other one: any targeted clear drops them too.
COMPOSITE_SECTIONS = ("", "search", "sitemap.xml")
ENTRY_KEY_PREFIX = "page-cache:page:"
HEADER = "X-Page-Cache"
FRONT_HEADER = "X-Accel-Expires"  # seconds the front (nginx) may keep this response

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
STORES_KEY_PREFIX = "page-cache:stores:"

# Past these a query is someone probing, not a visitor following the site's own links.
MAX_QUERY_PARAMETERS = 16
MAX_QUERY_VALUE_LENGTH = 200

CSRF_PLACEHOLDER = b"civicnet-page-cache-csrf-token-placeholder"
NONCE_PLACEHOLDER = b"civicnet-page-cache-csp-nonce-placeholder"
_UNCACHEABLE_DIRECTIVES = re.compile(r"\b(private|no-cache|no-store)\b", re.IGNORECASE)
# Headers that are recomputed on every hit rather than stored.
_NOT_STORED_HEADERS = {"content-length"}


def page_cache_clear(paths=None) -> None:
    """Forget cached pages: every one, or those in the sections of `paths` (URL paths).

    Bumps now (so code in the same transaction, and tests, see fresh pages) and again when
    the transaction commits (so a page rendered from the old data meanwhile is dropped too).
    """
    if paths is None:
        keys = [GENERATION_KEY]
    else:
        sections = {section_of(path) for path in paths} | set(COMPOSITE_SECTIONS)
        keys = [SECTION_KEY_PREFIX + section for section in sorted(sections)]

    def bump():
        for key in keys:
            _bump(key)

    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


# App label -> URL paths of other sections that also show that app's pages.
_ALSO_CLEARED: dict[str, list[str]] = {}


def also_clear_when_published(app_label: str, path: str) -> None:
    """Publishing a page of `app_label` also forgets the cached pages of `path`'s section."""
    paths = _ALSO_CLEARED.setdefault(app_label, [])
    if path not in paths:
        paths.append(path)


def paths_showing(page) -> list[str] | None:
    """URL paths of the page and its ancestors, or None (everything) when it has no URL.

    Plus the sections registered for the page's app with also_clear_when_published().
    """
    url = page.get_url()
    # get_url() keeps the site's root paths on the instance it was asked of; a page made in
    # code asks before its Site points at it, and would then have no URL for the rest of its
    # life (make_home_page, bootstrap_site). Leave the caller's instance as it was.
    page.__dict__.pop("_wagtail_cached_site_root_paths", None)
    if not url or not url.startswith("/"):
        return None
    paths = [url]
    for ancestor in page.get_ancestors():
        ancestor_url = ancestor.specific_deferred.get_url() if ancestor.depth > 1 else None
        if ancestor_url and ancestor_url.startswith("/"):
            paths.append(ancestor_url)
    paths.extend(_ALSO_CLEARED.get(page.specific_class._meta.app_label, ()))
    return paths


def section_of(path: str) -> str:
    """The first segment of a URL path: "/events/x/" is in "events", "/" in ""."""
    return path.lstrip("/").split("/", 1)[0]


def _bump(key: str) -> None:
    try:
        if cache.incr(key) is not None:
            return
    except ValueError:
        pass
    # A fresh start (or an unknown answer while the cache is down): a clock value can never
    # repeat a generation an old entry holds.
    cache.set(key, time.time_ns(), timeout=None)


def _current_generation() -> int | None:
    cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
    return cache.get(GENERATION_KEY)


FRAGMENT_KEY_PREFIX = "page-cache:fragment:"
FRAGMENT_SECONDS = 24 * 3600  # unused fragments (a host seen once) do not stay for ever


def cached_fragment(name: str, compute, *, seconds: int = FRAGMENT_SECONDS):
    """compute()'s value, kept until the next page_cache_clear() of any section (or for at
    most `seconds`).

    For the parts of a page that are the same for every visitor and change only when content
    does (the navigation): one cache round trip instead of the queries behind them, for
    signed-in people and cache misses too. While the cache is down it is computed every time.
    """
    return cached_fragments([name], lambda missing: {name: compute()}, seconds=seconds)[name]


def cached_fragments(names: list[str], compute, *, seconds: int = FRAGMENT_SECONDS) -> dict:
    """cached_fragment() for several names in one round trip: {name: value}.

    compute(missing) is called once with the names not kept (all of them while the cache is
    down) and returns their values by name.
    """
    keys = [FRAGMENT_KEY_PREFIX + name for name in names]
    generation, home, *entries = PageCacheMiddleware._read(
        GENERATION_KEY, SECTION_KEY_PREFIX, *keys
    )
    if generation is None:
        generation = _current_generation()
        if generation is None:
            return compute(list(names))
    version = (generation, home)
    values = {
        name: entry[1]
        for name, entry in zip(names, entries, strict=True)
        if entry is not None and entry[0] == version
    }
    missing = [name for name in names if name not in values]
    if missing:
        fresh = compute(missing)
        cache.set_many(
            {FRAGMENT_KEY_PREFIX + name: (version, value) for name, value in fresh.items()},
            timeout=seconds,
        )
        values.update(fresh)
    return values


def cacheable_query(request) -> str | None:
    """The query string a cached copy of this page is keyed on, or None: do not cache.

    Only the parameters the path's view reads, sorted by name (each name's values keep
    their order: the comparison page shows metros in the order asked).
    """
    query = request.GET
    if not query:
        return ""
    path = request.path_info
    names = next((names for pattern, names in _query_parameters() if pattern.fullmatch(path)), None)
    if names is None:
        return None
    if len(query) > MAX_QUERY_PARAMETERS:
        return None
    pairs = []
    for name in sorted(query):
        if not names.fullmatch(name):
            return None
        values = query.getlist(name)
        if len(values) > MAX_QUERY_PARAMETERS or any(
            len(value) > MAX_QUERY_VALUE_LENGTH for value in values
        ):
            return None
        pairs.extend((name, value) for value in values)
    return urlencode(pairs)


@functools.cache
def _query_parameters():
    return [
        (re.compile(path), re.compile(names))
        for path, names in settings.PAGE_CACHE_QUERY_PARAMETERS
    ]


def entry_key(request, query: str | None = None) -> str:
    """Scheme, host, path and the normalised query: each is a separate page."""
    if query is None:
        query = cacheable_query(request) or ""
    url = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
    return ENTRY_KEY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def _client_may_store(request) -> bool:
    """Count one store against the client's budget for this minute; False once it is spent."""
    limit = settings.PAGE_CACHE_STORES_PER_CLIENT
    if limit <= 0:
        return True
    key = f"{STORES_KEY_PREFIX}{client_address(request)}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=90):
        return True
    count = cache.incr(key)
    return count is not None and count <= limit


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

    @staticmethod
    def _read(*keys):
        """The values in one round trip (None for each while the cache is down)."""
        found = cache.get_many(keys)  # one MGET on core.cache.FailSoftRedisCache
        return [found.get(key) for key in keys]

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or not self._may_use_cache(request):
            return self.get_response(request)
        query = cacheable_query(request)
        if query is None:
            response = self.get_response(request)
            response[HEADER] = "bypass"
            return response

        key = entry_key(request, query)
        section_key = SECTION_KEY_PREFIX + section_of(request.path_info)
        generation, section, entry = self._read(GENERATION_KEY, section_key, key)
        if (
            entry is not None
            and generation is not None
            and entry[0] == generation
            and entry[5] == section
        ):
            return self._serve(request, entry)

        response = self.get_response(request)
        stored = self._entry_for(request, response, generation, section)
        if stored is not None and _client_may_store(request):
            cache.set(key, stored, seconds)
        response[HEADER] = "miss"
        if stored is not None:
            _allow_front_copy(response, stored)
        return response

    @staticmethod
    def _may_use_cache(request) -> bool:
        if request.method not in ("GET", "HEAD"):
            return False
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or MESSAGES_COOKIE in cookies:
            return False
        return not request.path_info.startswith(EXCLUDED_PATH_PREFIXES)

    def _entry_for(self, request, response, generation, section=None):
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

        headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED_HEADERS]
        tokens = rendered_csrf_tokens(request)
        if tokens and settings.CSRF_USE_SESSIONS:
            return None  # the secret lives in the session, which a hit never opens
        content = _placed_csrf_tokens(content, tokens)
        # CsrfViewMiddleware sets its cookie whenever get_token() ran, templates or not.
        has_csrf = bool(tokens) or settings.CSRF_COOKIE_NAME in response.cookies
        if has_csrf and _shows_a_token(content, headers):
            return None  # a token the templates were not handed: this visitor's, maybe
        nonce = get_nonce(request)
        has_nonce = bool(nonce)  # LazyNonce is truthy only once the page has used it
        if has_nonce:
            content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER)

        if generation is None:
            generation = _current_generation()
            if generation is None:
                return None  # the cache is down
        return (generation, headers, content, has_csrf, has_nonce, section)

    def _serve(self, request, entry):
        _generation, headers, content, has_csrf, has_nonce, _section = entry
        if has_csrf:
            self.csrf.process_request(request)  # reuse the visitor's CSRF cookie if valid
            content = with_csrf_token(request, content)
        if has_nonce:
            content = content.replace(NONCE_PLACEHOLDER, str(get_nonce(request)).encode())
        response = HttpResponse(content, headers=headers)
        response["Content-Length"] = str(len(content))
        response[HEADER] = "hit"
        _allow_front_copy(response, entry)
        if has_csrf:
            self.csrf.process_response(request, response)  # sets the cookie and Vary: Cookie
        return response


def _allow_front_copy(response, entry) -> None:
    """Let the front keep this response briefly when it is the same for every visitor."""
    _generation, _headers, _content, has_csrf, has_nonce, _section = entry
    seconds = settings.FRONT_CACHE_SECONDS
    if seconds > 0 and not has_csrf and not has_nonce and not response.cookies:
        response[FRONT_HEADER] = str(seconds)


def kept_without_csrf_tokens(content: bytes, tokens) -> bytes | None:
    """A page to keep: `content` with `tokens` (the CSRF tokens handed out for this request) as
    a placeholder, or None when it still shows something token-shaped (maybe a token handed
    out some other way): that page must not be kept."""
    content = _placed_csrf_tokens(content, tokens)
    return None if _shows_a_token(content, []) else content


def with_csrf_token(request, content: bytes) -> bytes:
    """A kept page with this request's own CSRF token in the placeholder's place (and the
    cookie set as for any page that asked for one: get_token())."""
    return content.replace(CSRF_PLACEHOLDER, get_token(request).encode())


def _placed_csrf_tokens(content: bytes, tokens) -> bytes:
    for token in set(tokens):
        content = content.replace(token.encode(), CSRF_PLACEHOLDER)
    return content


@functools.cache
def _token_shaped() -> re.Pattern:
    """A run of letters and digits as long as a CSRF token get_token() hands out, or longer."""
    length = len(get_token(HttpRequest()))
    return re.compile(rb"[A-Za-z0-9]{%d,}" % length)  # noqa: UP031 (bytes have no f-strings)


def _shows_a_token(content: bytes, headers) -> bool:
    return _token_shaped().search(content) is not None or any(
        _token_shaped().search(value.encode()) for _name, value in headers
    )
