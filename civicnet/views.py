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
    """Liveness: 200 whenever this process answers, with each dependency's state in JSON."""
    checks = _dependency_states()
    return JsonResponse({"status": _overall(checks), **checks})


@never_cache
@require_GET
def healthz_ready(request):
    """Readiness for a load balancer: 503 only without the database.

    Without the cache or the broker the site still serves (slower, tasks held back), so the
    replica stays in rotation as "degraded"; pulling every replica at once would be worse.
    """
    checks = _dependency_states()
    status = _overall(checks)
    return JsonResponse({"status": status, **checks}, status=503 if status == "down" else 200)


def _dependency_states() -> dict[str, str]:
    return {
        "database": _check_database(),
        "cache": _check_redis(settings.REDIS_URL),
        "broker": _check_redis(settings.CELERY_BROKER_URL),
    }


def _overall(checks: dict[str, str]) -> str:
    if checks["database"] != "ok":
        return "down"
    if any(state not in {"ok", "not configured"} for state in checks.values()):
        return "degraded"
    return "ok"


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:
        logger.warning("Health check: database unreachable (%s)", error)
        return "unreachable"


def _check_redis(url: str) -> str:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return "not configured"  # no Redis: local-memory cache, tasks run in-process
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except redis.RedisError as error:
        logger.warning("Health check: Redis at %s unreachable (%s)", _redacted(url), error)
        return "unreachable"


def _redacted(url: str) -> str:
    """The URL without its password, for logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


def server_error(request):
    """The 500 handler; a lost database connection gets the styled 503 with Retry-After.

    Anything that needs PostgreSQL raises OperationalError while it is down, wherever that
    happens (a view, the session, a template). That is an outage, not a bug: tell the client
    to come back, and Django reconnects by itself once the database returns.
    """
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader
    from django.views.defaults import server_error as default_server_error

    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return default_server_error(request)
    seconds = settings.UNAVAILABLE_RETRY_AFTER
    body = loader.get_template("503.html").render({"retry_after": seconds})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


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


FEEDBACK_MESSAGE_TAG = "feedback"  # shown inside the feedback section, not at the page top


@require_POST
def page_feedback(request, page_id: int):
    """Record 'Was this page helpful?'. A plain form post: works without JavaScript.

    Only someone who can read the page may judge it (votes drive the library's "most
    useful" order), and each person counts once: a signed-in person per account, anyone
    else per signed cookie, with new cookieless votes limited per client address.
    The answer goes back to the page, where the feedback section shows it; site.js asks for
    JSON instead (Accept: application/json) and shows it without a reload.
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
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if answer not in {"yes", "no"}:
        return _feedback_reply(
            request, back, wants_json, messages.ERROR, "Please choose Yes or No.", status=400
        )

    visitor_id = _returning_visitor_id(request)
    if request.user.is_authenticated:
        key = f"user:{request.user.pk}"
    elif visitor_id is None and not throttle_allow(
        action="feedback",
        key=f"{client_address(request)}|{page.pk}",
        limit=settings.FEEDBACK_ANONYMOUS_VOTES_PER_HOUR,
        seconds=60 * 60,
    ):
        text = "We already have several answers from your connection. Thanks!"
        return _feedback_reply(request, back, wants_json, messages.INFO, text)
    else:
        visitor_id = visitor_id or secrets.token_urlsafe(16)
        key = f"anon:{visitor_id}"
    services.feedback_record(page=page, visitor_key=key, helpful=answer == "yes", user=request.user)
    text = "Thank you: your answer helps us improve this page."
    response = _feedback_reply(request, back, wants_json, messages.SUCCESS, text)
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


def _feedback_reply(request, back: str, wants_json: bool, level: int, text: str, status=200):
    """The answer to a feedback post: JSON for site.js, else back to the page's feedback
    section with the message kept for it."""
    if wants_json:
        tag = messages.DEFAULT_TAGS[level]
        return JsonResponse({"level": tag, "message": text}, status=status)
    messages.add_message(request, level, text, extra_tags=FEEDBACK_MESSAGE_TAG)
    return HttpResponseRedirect(back + "#feedback")


def _returning_visitor_id(request) -> str | None:
    try:
        return request.get_signed_cookie(VISITOR_COOKIE, salt=VISITOR_COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        return None
