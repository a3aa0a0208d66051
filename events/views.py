from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from core.body_limit import request_body_limit
from core.csv import csv_response
from core.files import private_file_response
from core.params import id_param
from core.staff import staff_can, staff_tool
from members.selectors import membership_is_active

from . import selectors, services
from .forms import ConflictForm, EventFilterForm, ScoreForm, SubmissionForm
from .ical import event_calendar
from .models import (
    ATTACHMENT_MAX_BYTES,
    Challenge,
    Event,
    JudgeAssignment,
    Registration,
    SubmissionAttachment,
    TeamInvitation,
)

private = cache_control(private=True)


def _render(request, template, context, status=200):
    """render() plus the breadcrumb trails the event templates use."""
    home = [{"label": "Home", "url": "/"}]
    crumbs = {
        "home_crumbs": home,
        "events_crumbs": [*home, {"label": "Events", "url": reverse("events:index")}],
        "challenges_crumbs": [
            *home,
            {"label": "Prize Challenges", "url": reverse("events:challenges")},
        ],
        "judging_crumbs": [
            *home,
            {"label": "Prize Challenges", "url": reverse("events:challenges")},
            {"label": "Judging", "url": reverse("events:judging")},
        ],
    }
    if "event" in context:
        event = context["event"]
        crumbs["event_crumbs"] = [
            *crumbs["events_crumbs"],
            {"label": event.title, "url": event.url},
        ]
    if "challenge" in context:
        challenge = context["challenge"]
        crumbs["challenge_crumbs"] = [
            *crumbs["challenges_crumbs"],
            {"label": challenge.title, "url": challenge.get_absolute_url()},
        ]
    return render(request, template, {**crumbs, **context}, status=status)


def _personal(request, response):
    """Anything rendered for a signed-in person must stay out of shared caches."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


def _filtered(request, queryset_fn):
    form = EventFilterForm(request.GET or None)
    kind = topic = ""
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        topic = form.cleaned_data["topic"].slug if form.cleaned_data["topic"] else ""
    paginator = Paginator(queryset_fn(kind=kind, topic=topic), 12)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("topic", topic)) if v)
    return form, page_obj, (query + "&") if query else ""


def event_index(request):
    form, page_obj, query_prefix = _filtered(request, selectors.upcoming_events)
    for event in page_obj:
        event.remaining = selectors.remaining_places(event)
    response = _render(
        request,
        "events/event_index.html",
        {"form": form, "page_obj": page_obj, "query_prefix": query_prefix},
    )
    return _personal(request, response)


def event_past(request):
    form, page_obj, query_prefix = _filtered(request, selectors.past_events)
    response = _render(
        request,
        "events/event_past.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query_prefix": query_prefix,
            "is_member": membership_is_active(request.user),
        },
    )
    return _personal(request, response)


def _published_event(slug):
    return get_object_or_404(
        Event.objects.prefetch_related("speakers", "topics", "sessions__speaker"),
        slug=slug,
        is_published=True,
    )


def event_detail(request, slug):
    event = _published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    is_member = membership_is_active(request.user)
    context = {
        "event": event,
        "remaining": selectors.remaining_places(event),
        "registration": registration,
        "waitlist_position": registration and selectors.waitlist_position(registration),
        "show_join_link": bool(
            registration
            and registration.status == Registration.Status.CONFIRMED
            and event.join_link_visible()
        ),
        "registration_state": event.registration_state(),
        "is_member": is_member,
        "is_free": event.is_free_for(is_member=is_member),
        "is_past": event.is_past(),
    }
    return _personal(request, _render(request, "events/event_detail.html", context))


def _calendar_response(events, filename, name=""):
    response = HttpResponse(
        event_calendar(events, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def event_ics(request, slug):
    event = get_object_or_404(
        Event.objects.prefetch_related("topics"), slug=slug, is_published=True
    )
    return _calendar_response([event], f"{event.slug}.ics")


def calendar_ics(request):
    events = (
        selectors.published_events()
        .filter(ends_at__gte=timezone.now() - timezone.timedelta(days=90))
        .prefetch_related("topics")
    )
    return _calendar_response(events, "civicnet-events.ics", name="civicnet events")


@private
@login_required
def event_register(request, slug):
    from members import billing

    event = _published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    session_id = request.GET.get("session_id")
    if registration and session_id and session_id == registration.stripe_checkout_session_id:
        # Back from Stripe Checkout: ask Stripe rather than trusting the address.
        registration = services.registration_sync_payment(registration=registration)
    if request.method == "POST" and registration is None:
        is_member = membership_is_active(request.user)
        try:
            if event.is_free_for(is_member=is_member):
                registration = services.registration_create(event=event, user=request.user)
            else:
                here = request.build_absolute_uri(reverse("events:register", args=[event.slug]))
                registration = services.registration_start_checkout(
                    event=event, user=request.user, success_url=here, cancel_url=here
                )
                return redirect(registration.stripe_checkout_url)
        except services.RegistrationError as error:
            messages.error(request, str(error))
        else:
            return redirect("events:register", slug=event.slug)
    is_member = membership_is_active(request.user)
    context = {
        "event": event,
        "registration": registration,
        "waitlist_position": registration and selectors.waitlist_position(registration),
        "remaining": selectors.remaining_places(event),
        "registration_state": event.registration_state(),
        "is_member": is_member,
        "is_free": event.is_free_for(is_member=is_member),
        "payments_configured": billing.payments_configured(),
    }
    return _render(request, "events/event_register.html", context)


@private
@login_required
@require_POST
def event_cancel(request, slug):
    event = _published_event(slug)
    registration = selectors.live_registration(event=event, user=request.user)
    if registration is None:
        raise Http404
    services.registration_cancel(registration=registration)
    messages.success(request, f"Your registration for {event.title} is cancelled.")
    return redirect("events:detail", slug=event.slug)


@private
@staff_tool("events.view_attendees")
def event_attendees(request, slug):
    event = get_object_or_404(Event, slug=slug)
    if request.method == "POST":
        if not request.user.has_perm("events.check_in_attendees"):
            raise PermissionDenied
        registration = get_object_or_404(
            Registration,
            pk=id_param(request.POST.get("registration"), name="registration"),
            event=event,
        )
        try:
            services.registration_check_in(
                registration=registration, checked_in=request.POST.get("checked_in") == "1"
            )
        except services.RegistrationError as error:
            messages.error(request, str(error))
        return redirect(
            f"{reverse('events:attendees', args=[event.slug])}#registration-{registration.pk}"
        )
    rows = list(selectors.attendees(event))
    confirmed = [r for r in rows if r.status == Registration.Status.CONFIRMED]
    context = {
        "event": event,
        "rows": rows,
        "confirmed_count": len(confirmed),
        "checked_in_count": sum(1 for r in confirmed if r.checked_in_at),
        "waitlist_count": sum(1 for r in rows if r.status == Registration.Status.WAITLISTED),
        "remaining": selectors.remaining_places(event),
    }
    return _render(request, "events/event_attendees.html", context)


@private
@staff_tool("events.export_attendees")
def event_attendees_csv(request, slug):
    event = get_object_or_404(Event, slug=slug)
    header = ["name", "email", "city", "status", "registered_at", "checked_in_at"]
    return csv_response(f"{event.slug}-attendees.csv", header, _attendee_rows(event))


def _attendee_rows(event):
    for registration in selectors.attendees(event):
        user = registration.user
        profile = getattr(user, "profile", None)
        yield [
            user.get_full_name(),
            user.email,
            profile.home_city if profile else "",
            registration.status,
            registration.created_at.isoformat(),
            registration.checked_in_at.isoformat() if registration.checked_in_at else "",
        ]


# --- Challenges --------------------------------------------------------------------------


def challenge_index(request):
    challenges = selectors.published_challenges()
    now = timezone.now()
    groups = {"open": [], "announced": [], "judging": [], "winners": []}
    for challenge in challenges:
        groups[challenge.phase(now)].append(challenge)
    return _personal(request, _render(request, "events/challenge_index.html", {"groups": groups}))


def challenge_detail(request, slug):
    challenge = get_object_or_404(
        Challenge.objects.prefetch_related("criteria"), slug=slug, is_published=True
    )
    submission = None
    if request.user.is_authenticated:
        submission = services.submission_for(challenge=challenge, user=request.user)
    context = {
        "challenge": challenge,
        "phase": challenge.phase(),
        "timeline": challenge.timeline(),
        "criteria": challenge.criteria.all(),
        "total_weight": sum(c.weight for c in challenge.criteria.all()),
        "showcase": selectors.showcase(challenge),
        "submission": submission,
        "is_judge": request.user.is_authenticated
        and JudgeAssignment.objects.filter(
            judge=request.user, submission__challenge=challenge
        ).exists(),
        "is_member": membership_is_active(request.user),
    }
    return _personal(request, _render(request, "events/challenge_detail.html", context))


@private
@login_required
@request_body_limit(ATTACHMENT_MAX_BYTES + 1024 * 1024)  # one attachment and the form
def challenge_submit(request, slug):
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    is_member = membership_is_active(request.user)
    submission = services.submission_for(challenge=challenge, user=request.user)
    locked = not challenge.is_open()
    if not is_member:
        return _render(
            request, "events/challenge_members_only.html", {"challenge": challenge}, status=403
        )
    is_leader = submission is None or submission.owner_id == request.user.pk
    form = SubmissionForm(
        request.POST or None, request.FILES or None, instance=submission, can_invite=is_leader
    )
    if request.method == "POST":
        if locked:
            raise PermissionDenied("The deadline has passed: submissions are locked.")
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in SubmissionForm.Meta.fields}
            try:
                with transaction.atomic():  # a rejected attachment or team change saves nothing
                    submission = services.submission_save(
                        challenge=challenge,
                        user=request.user,
                        fields=fields,
                        submit="submit" in request.POST,
                    )
                    invited = (
                        services.team_invite(
                            submission=submission,
                            user=request.user,
                            emails=form.cleaned_data.get("team_emails") or [],
                        )
                        if is_leader
                        else []
                    )
                    if form.cleaned_data.get("attachment"):
                        services.submission_attach(
                            submission=submission,
                            user=request.user,
                            upload=form.cleaned_data["attachment"],
                        )
            except services.TeamError as error:
                form.add_error("team_emails", error.messages)
            except ValidationError as error:
                form.add_error("attachment", error.messages)
            else:
                messages.success(
                    request,
                    "Your entry is submitted. You can still edit it until the deadline."
                    if submission.status == submission.Status.SUBMITTED
                    else "Draft saved. Submit it before the deadline.",
                )
                if invited:
                    messages.success(
                        request,
                        "Invitations sent. Each person joins the team once they accept.",
                    )
                return redirect("events:challenge_submit", slug=challenge.slug)
        submission = services.submission_for(challenge=challenge, user=request.user)
    context = {
        "challenge": challenge,
        "form": form,
        "submission": submission,
        "locked": locked,
        "phase": challenge.phase(),
        "is_leader": is_leader,
        "team": list(submission.team.all()) if submission else [],
        "invitations": selectors.open_invitations(submission) if submission and is_leader else [],
        "waiting": services.team_invitations_waiting(challenge=challenge, user=request.user),
    }
    return _render(request, "events/challenge_submit.html", context)


@private
@login_required
def team_invitation(request, slug, key):
    """The invitee's page: what they are invited to, and Accept / Decline. Only for the
    signed-in person the invitation was sent to; for anyone else, it does not exist."""
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    invitation = services.team_invitation_for(challenge=challenge, key=key, user=request.user)
    if invitation is None:
        raise Http404
    if request.method == "POST":
        try:
            if "accept" in request.POST:
                services.team_invitation_accept(invitation=invitation, user=request.user)
                messages.success(request, "You joined the team. The entry is below.")
                return redirect("events:challenge_submit", slug=challenge.slug)
            if "decline" in request.POST:
                services.team_invitation_decline(invitation=invitation, user=request.user)
                messages.success(request, "Invitation declined.")
                return redirect("events:challenge_detail", slug=challenge.slug)
        except (services.TeamError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        invitation.refresh_from_db()
    inviter = invitation.invited_by
    context = {
        "challenge": challenge,
        "invitation": invitation,
        "state": invitation.state(),
        "leader_name": inviter.get_full_name() or inviter.email,
        "own_entry": services.submission_for(challenge=challenge, user=request.user),
    }
    return _render(request, "events/team_invitation.html", context)


@private
@login_required
@require_POST
def team_invitation_withdraw(request, slug, pk):
    invitation = get_object_or_404(
        TeamInvitation,
        pk=pk,
        submission__challenge__slug=slug,
        submission__owner=request.user,
    )
    services.team_invitation_withdraw(invitation=invitation, user=request.user)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("events:challenge_submit", slug=slug)


@private
@login_required
@require_POST
def team_member_remove(request, slug, user_id):
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    submission = services.submission_for(challenge=challenge, user=request.user)
    member = submission.team.filter(pk=user_id).first() if submission else None
    if member is None:
        raise Http404
    services.team_member_remove(submission=submission, user=request.user, member=member)
    if member.pk == request.user.pk:
        messages.success(request, "You left the team.")
        return redirect("events:challenge_detail", slug=slug)
    messages.success(request, "Removed from the team.")
    return redirect("events:challenge_submit", slug=slug)


@private
@login_required
@require_POST
def attachment_delete(request, slug, pk):
    attachment = get_object_or_404(SubmissionAttachment, pk=pk, submission__challenge__slug=slug)
    if not services.submission_can_edit(submission=attachment.submission, user=request.user):
        raise Http404
    services.submission_attachment_delete(attachment=attachment, user=request.user)
    messages.success(request, "Attachment removed.")
    return redirect("events:challenge_submit", slug=slug)


@private
@login_required
def attachment_download(request, pk):
    attachment = get_object_or_404(SubmissionAttachment.objects.select_related("submission"), pk=pk)
    submission = attachment.submission
    allowed = (
        staff_can(request, "events.view_submission_files")
        or services.submission_can_edit(submission=submission, user=request.user)
        or submission.assignments.filter(judge=request.user, conflict_of_interest=False).exists()
    )
    if not allowed:
        raise Http404
    return private_file_response(request, attachment.file.name, filename=attachment.name)


@private
@login_required
def judging_index(request):
    assignments = selectors.judge_assignments(request.user)
    return _render(request, "events/judging_index.html", {"assignments": assignments})


@private
@login_required
def judging_score(request, pk):
    # Only the judge's own assignments exist for them: anything else is a 404.
    assignment = get_object_or_404(
        JudgeAssignment.objects.select_related("submission__challenge"),
        pk=pk,
        judge=request.user,
        submission__status="submitted",
    )
    challenge = assignment.submission.challenge
    criteria = challenge.criteria.all()
    existing = {s.criterion_id: s.value for s in assignment.scores.all()}
    form = ScoreForm(
        request.POST if "score" in request.POST else None,
        criteria=criteria,
        initial_scores=existing,
    )
    conflict_form = ConflictForm(request.POST if "conflict" in request.POST else None)
    if request.method == "POST":
        if "conflict" in request.POST and conflict_form.is_valid():
            services.judge_declare_conflict(
                assignment=assignment, note=conflict_form.cleaned_data["note"]
            )
            messages.success(
                request, "Conflict of interest recorded; this entry is off your list to score."
            )
            return redirect("events:judging")
        if "score" in request.POST and form.is_valid():
            try:
                services.scores_record(assignment=assignment, values=form.values())
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "Scores saved.")
                return redirect("events:judging")
    context = {
        "assignment": assignment,
        "submission": assignment.submission,
        "challenge": challenge,
        "form": form,
        "conflict_form": conflict_form,
    }
    return _render(request, "events/judging_score.html", context)


@private
@staff_tool("events.view_challenge_results")
def challenge_results(request, slug):
    challenge = get_object_or_404(Challenge, slug=slug)
    rows = selectors.ranked_submissions(challenge)
    return _render(request, "events/challenge_results.html", {"challenge": challenge, "rows": rows})
