"""Template context processors of the site."""

from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject


def csrf(request):
    """`csrf_token` as Django's own processor gives it, each token handed out noted on the request.

    Stands in for django.template.context_processors.csrf, which Django always runs first and
    whose `csrf_token` this one overrides. The page cache (core.page_cache) swaps exactly the
    noted tokens for a placeholder before it stores a page.
    """

    def token():
        value = get_token(request)
        rendered_csrf_tokens(request).append(value)
        return value

    return {"csrf_token": SimpleLazyObject(token)}


def rendered_csrf_tokens(request) -> list[str]:
    """The CSRF tokens templates have put in the answer to `request` so far."""
    try:
        return request.rendered_csrf_tokens
    except AttributeError:
        request.rendered_csrf_tokens = []
        return request.rendered_csrf_tokens
