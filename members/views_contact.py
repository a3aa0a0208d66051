"""Members writing to each other from a directory profile, and the recipient's abuse report."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.throttle import throttle_allow

from . import messaging
from .forms import MemberMessageForm, MessageReportForm
from .selectors import directory_profile
from .views import members_only, private, profile_context


@private
@require_POST
@members_only
def member_message(request, username: str):
    """Send a listed member a message; the page never shows their address."""
    profile = directory_profile(username)
    if profile is None:
        return render(request, "members/profile_missing.html", status=404)
    form = MemberMessageForm(request.POST)
    context = profile_context(profile, viewer=request.user, form=form)
    if not context["can_message"]:
        context["message_refused"] = True
        return render(request, "members/profile.html", context, status=403)
    if not form.is_valid():
        return render(request, "members/profile.html", context, status=400)
    if not throttle_allow(
        action="member_message",
        key=str(request.user.pk),
        limit=messaging.MESSAGES_PER_DAY,
        seconds=86400,
        window_from_first_attempt=True,
    ):
        form.add_error(
            None,
            f"You have sent {messaging.MESSAGES_PER_DAY} messages in the last day, the most we "
            "allow. Try again tomorrow.",
        )
        return render(request, "members/profile.html", context, status=429)
    messaging.member_message_send(
        sender=request.user, recipient_profile=profile, **form.cleaned_data
    )
    messages.success(request, f"Your message is on its way to {context['card'].name}.")
    return redirect("members:profile", username=username)


@private
def message_report(request, token: str):
    """The link in a member message: the recipient reports it to staff, signed in or not."""
    message = messaging.message_from_report_token(token)
    if message is None:
        return render(
            request,
            "members/message_report.html",
            {"invalid": True},
            status=400,
        )
    form = MessageReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        messaging.message_report(message=message, reason=form.cleaned_data["reason"])
        return render(request, "members/message_report.html", {"done": True})
    return render(
        request,
        "members/message_report.html",
        {"form": form, "message": message},
        status=400 if request.method == "POST" else 200,
    )
