"""Every URL pattern of the site, as a concrete path and with the view that answers it."""

import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLE = {
    "int": "1",
    "slug": "x",
    "str": "x",
    "path": "x/y",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _concrete(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), str(pattern)
        )
    if isinstance(pattern, RegexPattern):
        # The literal part before the first group or special character is enough to route.
        text = str(pattern).lstrip("^")
        return re.split(r"[(\[\\$?*+.|]", text, maxsplit=1)[0]
    return str(pattern)


def url_patterns(resolver=None, prefix: str = "/"):
    """(path, view callback, name) for every pattern, included ones too."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + _concrete(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _concrete(entry.pattern), entry.callback, entry.name
