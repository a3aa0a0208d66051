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
from ..services.payments import registration_start_checkout, registration_sync_payment
from ..services.registrations import RegistrationError, registration_cancel, registration_create
from ..services.tickets import amount_owed
from .common import private, published_event, render_page


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
