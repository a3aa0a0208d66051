"""Public newsletter pages: the archive and its feed, sign up, confirm, one-click unsubscribe,
web versions, the engagement links of a copy (tracking image, click redirects) and the mail
provider's webhooks (django-anymail's, and the older signed one)."""

import base64
import hashlib
import hmac
import json

from allauth.account.models import EmailAddress
from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.staff import staff_can
from core.throttle import client_address

from . import selectors, services
from .forms import PreferencesForm, SubscribeForm
from .models import Edition, EditionLink, Subscriber, Suppression
from .rendering import web_version_html
from .tokens import (
    click_token_matches,
    read_click_token,
    read_confirmation_token,
    read_open_token,
    read_web_version_token,
    subscriber_id_from_unsubscribe_token,
)

CRUMBS = [{"label": "Home", "url": "/"}]


def render(request, template_name, context=None, status=None):
    return django_render(
        request, template_name, {"crumbs": CRUMBS, **(context or {})}, status=status
    )


def _verified_account_email(user) -> bool:
    return (
        user.is_authenticated
        and bool(user.email)
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    )


@require_http_methods(["GET", "POST"])
def subscribe(request):
    """Visitors sign up with double opt-in; signed-in people with a verified address just
    choose their topics (the account's email preferences)."""
    if _verified_account_email(request.user):
        response = _account_preferences(request)
        patch_cache_control(response, private=True)
        return response
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["website"]:
            services.subscriber_request(
                email=form.cleaned_data["email"],
                topics=form.cleaned_data["topics"],
                client=client_address(request),
                allows_tracking=form.cleaned_data["allows_tracking"]
                or not settings.NEWSLETTER_TRACKING,
            )
        return redirect("newsletter:subscribe_sent")
    return render(
        request,
        "newsletter/subscribe.html",
        {"form": form, "tracking_offered": settings.NEWSLETTER_TRACKING},
    )


def _account_preferences(request):
    subscription = selectors.subscription_for_user(request.user)
    subscribed = subscription is not None and subscription.status == Subscriber.Status.SUBSCRIBED
    initial = {
        "topics": subscription.topics if subscribed else [],
        "allows_tracking": subscription.allows_tracking if subscription is not None else True,
    }
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        topics = form.cleaned_data["topics"]
        services.subscription_set_for_user(
            user=request.user,
            topics=topics,
            # The box is only on the page while counting is on; otherwise it stays as it was.
            allows_tracking=form.cleaned_data["allows_tracking"]
            if settings.NEWSLETTER_TRACKING
            else None,
        )
        messages.success(
            request,
            "Your newsletter preferences are saved."
            if topics
            else "You are unsubscribed from the newsletter.",
        )
        return redirect("newsletter:subscribe")
    return render(
        request,
        "newsletter/preferences.html",
        {
            "form": form,
            "subscribed": subscribed,
            "email": request.user.email,
            "tracking_offered": settings.NEWSLETTER_TRACKING,
            "account_crumbs": [*CRUMBS, {"label": "Your account", "url": "/account/"}],
        },
    )


def subscribe_sent(request):
    return render(request, "newsletter/subscribe_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a button (mail scanners fetch links); the POST confirms."""
    if read_confirmation_token(token) is None:
        return render(request, "newsletter/link_invalid.html", {"kind": "confirm"}, status=400)
    if request.method == "POST":
        subscriber = services.subscriber_confirm(token=token)
        if subscriber is None:
            return render(request, "newsletter/link_invalid.html", {"kind": "confirm"}, status=400)
        return render(request, "newsletter/confirmed.html", {"subscriber": subscriber})
    return render(request, "newsletter/confirm.html", {"token": token})


@never_cache
@csrf_exempt  # RFC 8058: mail apps POST without cookies; the signed token is the protection.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscriber_id = subscriber_id_from_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id else None
    if subscriber is None:
        return render(request, "newsletter/link_invalid.html", {"kind": "unsubscribe"}, status=400)
    if request.method == "POST":
        edition = request.GET.get("edition", "")
        services.subscriber_unsubscribe(
            subscriber_id=subscriber.pk,
            edition_id=int(edition)
            if edition.isascii() and edition.isdigit() and len(edition) < 10
            else None,
        )
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    return render(
        request, "newsletter/unsubscribe.html", {"token": token, "subscriber": subscriber}
    )


def archive(request):
    """Sent editions, newest first: the public ones for everyone, and to a signed-in person
    also those meant for them."""
    page = Paginator(selectors.editions_readable_by(request.user), 20).get_page(
        request.GET.get("page")
    )
    response = render(request, "newsletter/archive.html", {"page_obj": page})
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


class ArchiveFeed(Feed):
    """The public editions (sent to every subscriber), newest first: the same for everyone,
    so a restricted edition is never in it, whoever asks."""

    title = "civicnet newsletter"
    link = "/newsletter/"
    description = "City news, trends and research highlights from the civicnet newsletter."
    author_name = "civicnet"
    item_guid_is_permalink = True

    def items(self):
        return selectors.public_editions()[:20]

    def item_title(self, edition):
        return edition.subject

    def item_description(self, edition):
        return edition.preheader

    def item_link(self, edition):
        return edition.get_absolute_url()

    def item_pubdate(self, edition):
        return edition.finished_at

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True)
        return response


class ArchiveAtomFeed(ArchiveFeed):
    feed_type = Atom1Feed
    subtitle = ArchiveFeed.description


def _unavailable(request):
    """One answer for every edition someone may not read, whether or not it exists (ids are
    sequential): nothing to learn by counting through them."""
    response = render(request, "newsletter/edition_unavailable.html", status=404)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _edition_page(edition, *, public: bool):
    response = HttpResponse(web_version_html(edition))
    if not public:
        # Never in the page cache or a shared cache, never indexed, and a link to elsewhere
        # does not carry this address (which may hold a recipient's token) along.
        patch_cache_control(response, private=True)
        if edition.status != Edition.Status.SENT:
            patch_cache_control(response, no_store=True)
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
    return response


def web_version(request, pk: int):
    """The edition at its plain address: public editions for all once sent; one meant for a
    restricted audience only for its people (signed in) and staff; drafts for staff."""
    edition = Edition.objects.filter(pk=pk).first()
    if edition is None:
        return _unavailable(request)
    # Staff read drafts too: they preview what they are about to send.
    if not staff_can(request, "newsletter.view_edition") and not selectors.edition_readable_by(
        edition, request.user
    ):
        return _unavailable(request)
    public = edition.status == Edition.Status.SENT and edition.is_public
    return _edition_page(edition, public=public)


def web_version_for(request, pk: int, token: str):
    """A recipient's own link from their copy: opens the edition for them, signed in or not."""
    edition = Edition.objects.filter(pk=pk).first()
    subscriber_id = read_web_version_token(token, edition_id=pk)
    if edition is None or subscriber_id is None:
        return _unavailable(request)
    if not selectors.delivered_to(edition, subscriber_id):
        return _unavailable(request)
    return _edition_page(edition, public=False)


# --- Engagement: a copy's tracking image and click redirects ----------------------------------
# Never stored by the page cache or any shared cache: every load must reach the view to count.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _not_stored(response):
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def open_pixel(request, token: str):
    """The 1x1 image in a tracked copy: counts an open (a GET, not a HEAD) and answers the
    image; a token that is not ours is a 404."""
    delivery_id = read_open_token(token)
    if delivery_id is None:
        return _not_stored(HttpResponse("Not found", status=404, content_type="text/plain"))
    if request.method == "GET":
        services.delivery_record_open(delivery_id=delivery_id)
    return _not_stored(HttpResponse(_PIXEL, content_type="image/gif"))


@require_safe
def click(request, token: str):
    """A tracked link: redirects to the address its token signs, counting the click.

    The target is never read from the request: it is the edition's stored link, and the
    token's signature must cover that very address for this delivery. Anything else is a
    400, never a redirect, so this can not be used to send anyone elsewhere.
    """
    data = read_click_token(token)
    link = (
        EditionLink.objects.filter(pk=data[1]).only("url", "edition_id").first() if data else None
    )
    if link is None or not click_token_matches(token, link.url):
        response = render(request, "newsletter/link_invalid.html", {"kind": "click"}, status=400)
        return _not_stored(response)
    if request.method == "GET":
        services.delivery_record_click(delivery_id=data[0], link=link)
    return _not_stored(HttpResponseRedirect(link.url))


# --- The mail provider's reports ------------------------------------------------------------
# django-anymail's tracking webhook view of each provider, by the name in its URL.
PROVIDER_WEBHOOKS = {
    pattern.name.removesuffix("_tracking_webhook"): pattern.callback
    for pattern in anymail_urls.urlpatterns
    if pattern.name.endswith("_tracking_webhook")
}


@csrf_exempt  # the provider authenticates with HTTP basic auth (ANYMAIL WEBHOOK_SECRET)
def provider_webhook(request, provider: str):
    """django-anymail's tracking webhook for `provider` (e.g. postmark, mailgun, sendgrid):
    anymail checks the basic auth (and the provider's signature where it has one) and sends
    `anymail.signals.tracking`, which suppresses bounced and complaining addresses.

    Off (404) while ANYMAIL_WEBHOOK_SECRET is unset: anymail itself would accept anyone.
    """
    view = PROVIDER_WEBHOOKS.get(provider)
    if view is None or not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        raise Http404
    try:
        return view(request)
    except AnymailConfigurationError:
        # A provider whose signing key is not set here, or a webhook of the wrong kind.
        return HttpResponseBadRequest("webhook not configured for this provider")
    except ValueError:
        return HttpResponseBadRequest("bad payload")


@csrf_exempt
@require_POST
def bounce_webhook(request):
    """A mail provider reports a hard bounce or complaint: suppress the address. (Kept for
    senders that post our own signed format; providers use `provider_webhook`.)

    Body: {"type": "bounce" | "complaint", "email": "..."}, signed with
    X-Civicnet-Signature: sha256=<hex HMAC-SHA256 of the body with NEWSLETTER_WEBHOOK_SECRET>.
    """
    secret = settings.NEWSLETTER_WEBHOOK_SECRET
    if not secret:
        raise Http404
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Civicnet-Signature", "")):
        return HttpResponseBadRequest("bad signature")
    try:
        payload = json.loads(request.body)
        kind, email = payload["type"], payload["email"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("bad payload")
    reasons = {"bounce": Suppression.Reason.BOUNCE, "complaint": Suppression.Reason.COMPLAINT}
    if (
        not isinstance(kind, str)
        or kind not in reasons
        or not isinstance(email, str)
        or "@" not in email
        or len(email) > 254
        or "\x00" in email
    ):
        return HttpResponseBadRequest("bad payload")
    services.suppression_record(email=email, reason=reasons[kind], note="Reported by webhook")
    return JsonResponse({"suppressed": services.normalise_email(email)})
