import logging
from functools import wraps

import stripe
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail import hooks

from core.body_limit import request_body_limit
from core.pagination import page_of
from core.params import id_param
from core.table_versions import kept_under_version, read_version

from . import billing, messaging, services, webhooks
from .forms import (
    AccountDeleteForm,
    DirectoryFilterForm,
    MemberMessageForm,
    ProfileForm,
    SeatForm,
    WelcomeForm,
)
from .models import PHOTO_MAX_BYTES, Cluster, Plan, Profile
from .selectors import account_export as account_data
from .selectors import (
    can_see_member_area,
    clusters_with_counts,
    directory_places,
    directory_profile,
    directory_profiles,
    membership_is_active,
    offered_plans,
    seat_membership_for,
)

logger = logging.getLogger(__name__)
User = get_user_model()
DIRECTORY_PAGE_SIZE = 24
# core.middleware makes every response to a signed-in visitor private; this also covers the
# sign-in redirect that these pages answer anonymous visitors with.
private = cache_control(private=True)


def join_prompt(request, *, status: int = 403):
    """What a non-member sees instead of members-only content."""
    membership = (
        getattr(request.user, "membership", None) if request.user.is_authenticated else None
    )
    response = render(
        request,
        "members/join_prompt.html",
        {
            "membership": membership,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}",
        },
        status=status,
    )
    patch_cache_control(response, private=True)
    return response


def _see_other(url: str) -> HttpResponseRedirect:
    """A 303 to Stripe's hosted page: the browser follows it with a GET."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def members_only(view):
    """Members and staff get the view; everyone else the join page. Never cached publicly:
    the join page says so itself, and every signed-in response is private."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_see_member_area(request.user):
            return join_prompt(request)
        return view(request, *args, **kwargs)

    return wrapper


def _account_sections() -> list[str]:
    """Templates other apps add to /account/ through the "register_account_section" hook
    (a function returning a template name); members never imports them."""
    return [section() for section in hooks.get_hooks("register_account_section")]


# --- The signed-in person's own pages ------------------------------------------------------
@private
@login_required
def dashboard(request):
    """The signed-in person's own page: their membership and what they can do next."""
    membership = getattr(request.user, "membership", None)
    # The card shows the person's name and place: core.auth reads the profile and its metro
    # with the person (settings.AUTH_USER_SELECT_RELATED).
    profile = getattr(request.user, "profile", None)
    if profile is None:
        profile, _ = Profile.objects.select_related("user", "home_metro").get_or_create(
            user=request.user
        )
    return render(
        request,
        "members/dashboard.html",
        {
            "membership": membership,
            "is_member": membership_is_active(request.user),
            # Asked only when their own membership does not make them a member (the card
            # shows the seat then).
            "seat_membership": (
                None
                if membership is not None and membership.is_active()
                else seat_membership_for(request.user)
            ),
            "profile": profile,
            "card": profile.directory_card(everything=True),
            "payments_configured": billing.payments_configured(),
            "account_sections": _account_sections(),
        },
    )


@private
@login_required
@request_body_limit(PHOTO_MAX_BYTES + 1024 * 1024)  # the photo and the form
def profile_edit(request):
    profile, _ = Profile.objects.get_or_create(user=request.user)
    initial = {"first_name": request.user.first_name, "last_name": request.user.last_name}
    form = ProfileForm(
        request.POST or None, request.FILES or None, instance=profile, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        photo = fields.pop("photo")
        if "photo" in request.FILES:
            fields["photo"] = request.FILES["photo"]
        elif photo is False:  # "clear" ticked
            fields["photo"] = ""
        try:
            with transaction.atomic():
                request.user.first_name = form.cleaned_data["first_name"]
                request.user.last_name = form.cleaned_data["last_name"]
                request.user.save(update_fields=["first_name", "last_name"])
                services.profile_update(user=request.user, **fields)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("members:dashboard")
    return render(request, "members/profile_form.html", {"form": form})


@private
@login_required
def welcome(request):
    """After confirming the address: a name, sector, home metro and directory choices.
    Offered once; skipping it is fine (the profile page has every field)."""
    profile, _ = Profile.objects.get_or_create(user=request.user)
    if profile.welcomed_at is not None and request.method == "GET":
        return redirect("members:dashboard")
    if request.method == "POST" and "skip" in request.POST:
        services.profile_update(user=request.user, welcomed_at=timezone.now())
        return redirect("members:dashboard")
    initial = {"first_name": request.user.first_name, "last_name": request.user.last_name}
    form = WelcomeForm(request.POST or None, instance=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            request.user.first_name = form.cleaned_data["first_name"]
            request.user.last_name = form.cleaned_data["last_name"]
            request.user.save(update_fields=["first_name", "last_name"])
            services.profile_update(
                user=request.user,
                welcomed_at=timezone.now(),
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        messages.success(request, f"Welcome to civicnet, {request.user.first_name}.")
        return redirect("members:dashboard")
    return render(
        request,
        "members/welcome.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@private
@login_required
def seats(request):
    """An organisation membership's admin names the colleagues it covers."""
    membership = getattr(request.user, "membership", None)
    if (
        membership is None
        or not membership.is_active()
        or membership.plan is None
        or membership.plan.kind != Plan.Kind.ORGANISATION
    ):
        messages.info(request, "Seats come with an organisation membership.")
        return redirect("members:dashboard")
    form = SeatForm(request.POST or None)
    if request.method == "POST":
        if "remove" in request.POST:
            seat_id = id_param(request.POST["remove"], name="remove")
            services.seat_remove(membership=membership, seat_id=seat_id)
            messages.success(request, "Seat freed.")
            return redirect("members:seats")
        if form.is_valid():
            try:
                services.seat_add(membership=membership, email=form.cleaned_data["email"])
            except ValidationError as error:
                form.add_error("email", error)
            else:
                messages.success(request, f"{form.cleaned_data['email']} now has a seat.")
                return redirect("members:seats")
    return render(
        request,
        "members/seats.html",
        {"membership": membership, "seats": membership.seats.all(), "form": form},
    )


@login_required
def account_export(request):
    """The signed-in person's data as a JSON download."""
    response = JsonResponse(
        account_data(user=request.user), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="civicnet-my-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@private
@login_required
def account_delete(request):
    """GET: what deletion means. POST with the password: the account is deleted."""
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    membership = getattr(user, "membership", None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=user, actor=user)
        except services.AccountDeletionError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            messages.success(request, "Your account and your data are deleted. Goodbye.")
            return redirect("/")
    return render(
        request,
        "members/account_delete.html",
        {
            "form": form,
            "has_password": user.has_usable_password(),
            "subscription_running": bool(
                membership
                and membership.stripe_subscription_id
                and membership.status in (membership.Status.ACTIVE, membership.Status.PAST_DUE)
            ),
            "membership": membership,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Membership and Stripe -----------------------------------------------------------------
def membership_page(request):
    """The plans and what membership gives; says so when payments are not configured."""
    plans = list(offered_plans())
    return render(
        request,
        "members/membership.html",
        {
            "individual_plans": [p for p in plans if p.kind == Plan.Kind.INDIVIDUAL],
            "organisation_plans": [p for p in plans if p.kind == Plan.Kind.ORGANISATION],
            "payments_configured": billing.payments_configured(),
            "is_member": membership_is_active(request.user),
        },
    )


@private
@login_required
def checkout(request, plan: str):
    """GET: confirm the plan. POST: create the Checkout session and go to Stripe."""
    plan = get_object_or_404(Plan, slug=plan, is_active=True)
    if not billing.payments_configured() or not plan.stripe_price_id:
        # No online payment for this plan: ask staff instead (the form says why).
        return redirect(f"{reverse('members:join_request')}?{urlencode({'plan': plan.slug})}")
    membership = getattr(request.user, "membership", None)
    if membership is not None and membership.is_active() and not membership.is_complimentary:
        messages.info(request, "You are already a member: manage your plan from your account.")
        return redirect("members:dashboard")
    if request.method == "POST":
        try:
            url = billing.checkout_session_url(
                user=request.user,
                plan=plan,
                customer_id=services.stripe_customer_ensure(user=request.user),
            )
        except stripe.StripeError:
            logger.exception("Stripe Checkout session could not be created")
            messages.error(request, "We could not reach our payment provider. Try again shortly.")
            return redirect("members:membership")
        return _see_other(url)
    return render(request, "members/checkout.html", {"plan": plan})


@private
@login_required
def checkout_success(request):
    """Stripe sends the buyer back here; access itself arrives with the webhook."""
    return render(
        request,
        "members/checkout_done.html",
        {"is_member": membership_is_active(request.user), "success": True},
    )


@private
@login_required
def checkout_cancelled(request):
    return render(request, "members/checkout_done.html", {"success": False})


@private
@login_required
def billing_portal(request):
    """Card, receipts and cancellation live in Stripe's customer portal. Emails link here: a
    GET shows a button, and the POST opens a fresh portal session."""
    if request.method != "POST":
        return render(request, "members/billing.html")
    membership = getattr(request.user, "membership", None)
    if membership is None or not membership.stripe_customer_id or not billing.payments_configured():
        messages.info(request, "There is no card or receipt on file for your account.")
        return redirect("members:dashboard")
    try:
        url = billing.portal_url(membership=membership)
    except stripe.StripeError:
        logger.exception("Stripe billing portal session could not be created")
        messages.error(request, "We could not reach our payment provider. Try again shortly.")
        return redirect("members:dashboard")
    return _see_other(url)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: verified, recorded once, dispatched on their type."""
    if not billing.webhook_configured():
        return HttpResponseBadRequest("Webhook secret not configured.")
    try:
        event = billing.construct_event(request.body, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("Bad signature or payload.")
    handler = webhooks.HANDLERS.get(event.get("type"))
    if handler is None:
        return HttpResponse("Ignored.")
    if services.stripe_event_seen(event["id"]):
        return HttpResponse("Already processed.")
    try:
        handler(event)
    except services.AlreadyProcessed:
        return HttpResponse("Already processed.")
    except stripe.StripeError:
        # Stripe retries a failed delivery with backoff: nothing was recorded.
        logger.exception("Stripe event %s could not be handled", event["id"])
        return HttpResponse("Stripe unavailable, retry later.", status=503)
    return HttpResponse("OK.")


# --- National Network ----------------------------------------------------------------------
# members migration 0014: moves whenever a table the directory shows is written.
DIRECTORY_VERSION = "members_directory"
# Memberships lapse with the clock, not only by a write: what is kept of the directory is
# keyed on the minute as well, and dropped after it.
DIRECTORY_KEPT_SECONDS = 60


def _kept_for_directory(version: int | None, name: str, compute):
    """compute()'s value, kept for this directory version and minute; computed afresh when
    there is no version (core.table_versions.kept_under_version).

    Every viewer let in (members and staff, members_only) sees the same cards: what a person
    shows is their own choice per field, the same for every member. The viewer's own part of
    the page (whether they are listed) is never kept."""
    minute = int(timezone.now().timestamp() // 60)
    return kept_under_version(
        version, f"directory:{minute}:{name}", compute, seconds=DIRECTORY_KEPT_SECONDS
    )


def _directory_listing(filters: dict, page: str | None, query_prefix: str) -> str:
    """The directory's count, people and pagination for these filters, rendered."""
    profiles = directory_profiles(
        query=filters.get("q", ""),
        sector=filters.get("sector", ""),
        metro=filters.get("metro", ""),
        city=filters.get("city", ""),
    )
    page_obj = page_of(profiles, page, DIRECTORY_PAGE_SIZE)
    context = {"page_obj": page_obj, "query_prefix": query_prefix}
    return render_to_string("members/includes/directory_listing.html", context)


@members_only
def network(request):
    """The members-only directory of members who opted in."""
    version = read_version(DIRECTORY_VERSION)
    metros, cities = _kept_for_directory(version, "places", directory_places)
    form = DirectoryFilterForm(request.GET or None, metros=metros, cities=cities)
    filters = form.cleaned_data if form.is_valid() else {}
    kept = {k: v for k, v in filters.items() if v}
    query_prefix = f"{urlencode(kept)}&" if kept else ""
    page = request.GET.get("page")
    listing = _kept_for_directory(
        version if page is None or page.isdigit() else None,  # only the site's own links
        f"listing:{urlencode(sorted(kept.items()))}:{page or 1}",
        lambda: _directory_listing(filters, page, query_prefix),
    )
    # The filters as asked (rendering a form costs more than the rest of the page): kept
    # for answers the form accepts, under what was typed, not only what it cleans to.
    asked = urlencode(sorted((name, request.GET.get(name, "")) for name in form.fields))
    filter_fields = _kept_for_directory(
        version if not form.is_bound or form.is_valid() else None,
        f"filters:{asked}",
        lambda: render_to_string("members/includes/directory_filters.html", {"form": form}),
    )
    profile = getattr(request.user, "profile", None)  # core.auth reads it with the person
    return render(
        request,
        "members/network.html",
        {
            "form": form,
            "filter_fields": mark_safe(filter_fields),  # noqa: S308 (our own template's output)
            "listing": mark_safe(listing),  # noqa: S308 (our own template's output)
            "own_profile_listed": profile is not None and profile.directory_opt_in,
        },
    )


@members_only
def profile(request, username: str):
    """A listed member as other members see them; the person themselves sees everything."""
    if username == request.user.username:
        own, _ = Profile.objects.select_related("user", "home_metro").get_or_create(
            user=request.user
        )
        return render(
            request,
            "members/profile.html",
            {"card": own.directory_card(everything=True), "own_profile": own},
        )
    profile = directory_profile(username)
    if profile is None:
        return render(request, "members/profile_missing.html", status=404)
    return render(request, "members/profile.html", profile_context(profile, viewer=request.user))


def profile_context(profile, *, viewer, form=None) -> dict:
    """A profile as another member sees it, with the form to write to the person."""
    can_message = messaging.member_accepts_messages(profile, sender=viewer)
    return {
        "card": profile.directory_card(),
        "can_message": can_message,
        "message_form": (form or MemberMessageForm()) if can_message else None,
    }


# --- City Clusters -------------------------------------------------------------------------
def clusters(request):
    return render(
        request,
        "members/clusters.html",
        {"clusters": clusters_with_counts(), "can_see_members": can_see_member_area(request.user)},
    )


@require_POST
def cluster_join(request, slug: str):
    cluster = get_object_or_404(Cluster, slug=slug)
    if not membership_is_active(request.user):
        return join_prompt(request)
    services.cluster_join(cluster=cluster, user=request.user)
    messages.success(request, f"You joined {cluster.name}.")
    return redirect(cluster)


@require_POST
def cluster_leave(request, slug: str):
    cluster = get_object_or_404(Cluster, slug=slug)
    if not request.user.is_authenticated:
        return join_prompt(request)
    services.cluster_leave(cluster=cluster, user=request.user)
    messages.success(request, f"You left {cluster.name}.")
    return redirect(cluster)
