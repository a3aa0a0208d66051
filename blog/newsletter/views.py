"""Public newsletter pages: sign up, confirm, one-click unsubscribe, web version, bounce webhook."""

import hashlib
import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.shortcuts import render as django_render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import PreferencesForm, SubscribeForm
from .models import Edition, Subscriber, Suppression
from .rendering import web_version_html
from .tokens import read_confirmation_token, subscriber_id_from_unsubscribe_token

CRUMBS = [{"label": "Home", "url": "/"}]


def render(request, template_name, context=None, status=None):
    return django_render(
        request, template_name, {"crumbs": CRUMBS, **(context or {})}, status=status
    )


def _verified_account_email(user) -> bool:
    from allauth.account.models import EmailAddress

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
                email=form.cleaned_data["email"], topics=form.cleaned_data["topics"]
            )
        return redirect("newsletter:subscribe_sent")
    return render(request, "newsletter/subscribe.html", {"form": form})


def _account_preferences(request):
    subscription = selectors.subscription_for_user(request.user)
    subscribed = subscription is not None and subscription.status == Subscriber.Status.SUBSCRIBED
    initial = {"topics": subscription.topics if subscribed else []}
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        topics = form.cleaned_data["topics"]
        services.subscription_set_for_user(user=request.user, topics=topics)
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
        services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    return render(
        request, "newsletter/unsubscribe.html", {"token": token, "subscriber": subscriber}
    )


def web_version(request, pk: int):
    """The edition at a stable address: public once sent, staff-only before."""
    edition = get_object_or_404(Edition, pk=pk)
    is_sent = edition.status == Edition.Status.SENT
    if not is_sent and not (request.user.is_authenticated and request.user.is_staff):
        raise Http404
    response = HttpResponse(web_version_html(edition))
    if not is_sent:
        patch_cache_control(response, private=True, no_store=True)
    return response


@csrf_exempt
@require_POST
def bounce_webhook(request):
    """A mail provider reports a hard bounce or complaint: suppress the address.

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
