"""core.context_processors.csrf: the CSRF tokens a render hands out are noted on the request."""

from django.template import engines
from django.test import RequestFactory

from core.context_processors import rendered_csrf_tokens


def _render(source: str, request) -> str:
    return engines["django"].from_string(source).render(request=request)


def test_every_token_a_render_hands_out_is_noted():
    request = RequestFactory().get("/")

    first = _render("{% csrf_token %}{{ csrf_token }}", request)
    second = _render("<p>{{ csrf_token }}</p>", request)

    tokens = rendered_csrf_tokens(request)
    assert len(tokens) == 2  # one per render: the same token twice within one
    assert first.count(tokens[0]) == 2
    assert tokens[1] in second
    assert tokens[0] != tokens[1]


def test_a_render_that_shows_no_token_asks_for_none():
    request = RequestFactory().get("/")

    _render("<p>No form here</p>", request)

    assert rendered_csrf_tokens(request) == []
    assert "CSRF_COOKIE" not in request.META  # get_token() never ran
