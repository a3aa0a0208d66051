import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from core.throttle import client_address, throttle_allow

from . import services

logger = logging.getLogger(__name__)

VISITOR_COOKIE = "civicnet_visitor"
VISITOR_COOKIE_SALT = "civicnet.feedback.visitor"


@never_cache
@require_GET
def healthz(request):
    """Is the site able to serve? JSON for load balancers; 503 when a service is down."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(status in {"ok", "not configured"} for status in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        logger.exception("Health check: database unreachable")
        return "unreachable"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        logger.exception("Health check: Redis unreachable")
        return "unreachable"


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        "Disallow: /accounts/",
        "Disallow: /account/",
        "Disallow: /network/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_POST
def page_feedback(request, page_id: int):
    """Record 'Was this page helpful?'. A plain form post: works without JavaScript.

    Only someone who can read the page may judge it (votes drive the library's "most
    useful" order), and each person counts once: a signed-in person per account, anyone
    else per signed cookie, with new cookieless votes limited per client address.
    """
    page = get_object_or_404(Page.objects.live().public(), pk=page_id).specific
    if not getattr(page, "show_feedback", True):
        raise Http404("This page does not ask for feedback.")
    can_read = getattr(page, "can_read", None)
    if can_read is not None and not can_read(request):
        raise PermissionDenied("Only members who can read this page can rate it.")
    answer = request.POST.get("helpful")
    back = page.url or "/"
    next_url = request.POST.get("next", "")
    # A path on this site only; redirect() would take a bare word for a view name.
    allowed = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    if next_url.startswith("/") and allowed:
        back = next_url
    if answer not in {"yes", "no"}:
        messages.error(request, "Please choose Yes or No.")
        return HttpResponseRedirect(back + "#feedback")

    visitor_id = _returning_visitor_id(request)
    if request.user.is_authenticated:
        key = f"user:{request.user.pk}"
    elif visitor_id is None and not throttle_allow(
        action="feedback",
        key=f"{client_address(request)}|{page.pk}",
        limit=settings.FEEDBACK_ANONYMOUS_VOTES_PER_HOUR,
        seconds=60 * 60,
    ):
        messages.info(request, "We already have several answers from your connection. Thanks!")
        return HttpResponseRedirect(back + "#feedback")
    else:
        visitor_id = visitor_id or secrets.token_urlsafe(16)
        key = f"anon:{visitor_id}"
    services.feedback_record(page=page, visitor_key=key, helpful=answer == "yes", user=request.user)
    messages.success(request, "Thank you: your answer helps us improve this page.")
    response = HttpResponseRedirect(back + "#feedback")
    if visitor_id:
        response.set_signed_cookie(
            VISITOR_COOKIE,
            visitor_id,
            salt=VISITOR_COOKIE_SALT,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _returning_visitor_id(request) -> str | None:
    try:
        return request.get_signed_cookie(VISITOR_COOKIE, salt=VISITOR_COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        return None
