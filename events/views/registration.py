"""Registering for an event (free, or a paid ticket through Stripe Checkout) and cancelling."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from members import billing
from members.selectors import membership_is_active

from .. import selectors
from ..forms import RegistrationForm
from ..models import Registration
from ..services.offer_tokens import offer_from_token
from ..services.payments import registration_start_checkout, registration_sync_payment
from ..services.registrations import (
    RegistrationError,
    registration_cancel,
    registration_create,
    waitlist_offer_accept,
)
from ..services.tickets import amount_owed
from .common import offer_url, private, published_event, render_page


@private
@login_required
def event_register(request, slug):
    event = published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    session_id = request.GET.get("session_id")
    if registration and session_id and session_id == registration.stripe_checkout_session_id:
        # Back from Stripe Checkout: ask Stripe rather than trusting the address.
        registration = registration_sync_payment(registration=registration)
    is_member = membership_is_active(request.user)
    has_types = bool(event.ticket_types.all())
    offers = selectors.ticket_offers(event, is_member=is_member) if has_types else []
    form = None
    if registration is None:
        form = RegistrationForm(
            request.POST if request.method == "POST" else None,
            event=event,
            offers=offers,
            questions=event.questions.all(),
        )
    if request.method == "POST" and form is not None and form.is_valid():
        choice = form.choice()
        try:
            if amount_owed(event=event, choice=choice, is_member=is_member) <= 0:
                registration_create(event=event, user=request.user, choice=choice)
            else:
                here = request.build_absolute_uri(reverse("events:register", args=[event.slug]))
                registration = registration_start_checkout(
                    event=event, user=request.user, success_url=here, cancel_url=here, choice=choice
                )
                return redirect(registration.stripe_checkout_url)
        except RegistrationError as error:
            messages.error(request, str(error))
        else:
            return redirect("events:register", slug=event.slug)
    context = {
        "event": event,
        "registration": registration,
        "waitlist_position": registration and selectors.waitlist_position(registration),
        "offer_url": offer_url(registration),
        "remaining": selectors.remaining_places(event),
        "registration_state": event.registration_state(),
        "is_member": is_member,
        "is_free": event.is_free_for(is_member=is_member),
        "has_types": has_types,
        "offers": offers,
        "any_paid": any(offer.price > 0 for offer in offers),
        "form": form,
        "payments_configured": billing.payments_configured(),
    }
    return render_page(request, "events/event_register.html", context)


@private
@login_required
@require_POST
def event_cancel(request, slug):
    event = published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    if registration is None:
        raise Http404
    registration_cancel(registration=registration)
    messages.success(request, f"Your registration for {event.title} is cancelled.")
    return redirect("events:detail", slug=event.slug)


@private
@login_required
def offer_accept(request, slug, token):
    """The link in a waitlist offer email: a page with one button (a mail scanner opening
    the link accepts nothing), and the POST that takes the place."""
    event = published_event(slug)
    if request.method == "POST":
        try:
            waitlist_offer_accept(token=token, user=request.user)
        except RegistrationError as error:
            messages.error(request, str(error))
            return redirect("events:detail", slug=event.slug)
        messages.success(request, f"You're registered for {event.title}.")
        return redirect("events:detail", slug=event.slug)
    registration = selectors.live_registration(event=event, user=request.user)
    context = {
        "event": event,
        "registration": registration,
        "offer_open": bool(
            registration
            and registration.status == Registration.Status.OFFERED
            and offer_from_token(token) == (registration.pk, registration.offered_at.timestamp())
        ),
    }
    return render_page(request, "events/offer_accept.html", context)


@private
@login_required
def waitlist_leave(request, slug):
    """The waitlist email's "leave the waitlist" link: confirm, then leave (or decline the
    place offered, which then goes to the next person)."""
    event = published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    waiting = registration is not None and registration.status in (
        Registration.Status.WAITLISTED,
        Registration.Status.OFFERED,
    )
    if request.method == "POST" and waiting:
        registration_cancel(registration=registration, notify=False)
        messages.success(request, f"You have left the waitlist for {event.title}.")
        return redirect("events:detail", slug=event.slug)
    context = {"event": event, "registration": registration, "waiting": waiting}
    return render_page(request, "events/waitlist_leave.html", context)
