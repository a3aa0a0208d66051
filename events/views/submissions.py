"""A member's challenge entry: the entry form, attachments, and the team invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.body_limit import request_body_limit
from core.files import private_file_response
from core.staff import staff_can
from members.selectors import membership_is_active

from .. import selectors
from ..forms import SubmissionForm
from ..models import ATTACHMENT_MAX_BYTES, Challenge, SubmissionAttachment, TeamInvitation
from ..services import submissions, teams
from .common import private, render_page


@private
@login_required
@request_body_limit(ATTACHMENT_MAX_BYTES + 1024 * 1024)  # one attachment and the form
def challenge_submit(request, slug):
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    is_member = membership_is_active(request.user)
    submission = submissions.submission_for(challenge=challenge, user=request.user)
    locked = not challenge.is_open()
    if not is_member:
        return render_page(
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
                    submission = submissions.submission_save(
                        challenge=challenge,
                        user=request.user,
                        fields=fields,
                        submit="submit" in request.POST,
                    )
                    invited = (
                        teams.team_invite(
                            submission=submission,
                            user=request.user,
                            emails=form.cleaned_data.get("team_emails") or [],
                        )
                        if is_leader
                        else []
                    )
                    if form.cleaned_data.get("attachment"):
                        submissions.submission_attach(
                            submission=submission,
                            user=request.user,
                            upload=form.cleaned_data["attachment"],
                        )
            except teams.TeamError as error:
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
        submission = submissions.submission_for(challenge=challenge, user=request.user)
    context = {
        "challenge": challenge,
        "form": form,
        "submission": submission,
        "locked": locked,
        "phase": challenge.phase(),
        "is_leader": is_leader,
        "team": list(submission.team.all()) if submission else [],
        "invitations": selectors.open_invitations(submission) if submission and is_leader else [],
        "waiting": teams.team_invitations_waiting(challenge=challenge, user=request.user),
    }
    return render_page(request, "events/challenge_submit.html", context)


@private
@login_required
def team_invitation(request, slug, key):
    """The invitee's page: what they are invited to, and Accept / Decline. Only for the
    signed-in person the invitation was sent to; for anyone else, it does not exist."""
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    invitation = teams.team_invitation_for(challenge=challenge, key=key, user=request.user)
    if invitation is None:
        raise Http404
    if request.method == "POST":
        try:
            if "accept" in request.POST:
                teams.team_invitation_accept(invitation=invitation, user=request.user)
                messages.success(request, "You joined the team. The entry is below.")
                return redirect("events:challenge_submit", slug=challenge.slug)
            if "decline" in request.POST:
                teams.team_invitation_decline(invitation=invitation, user=request.user)
                messages.success(request, "Invitation declined.")
                return redirect("events:challenge_detail", slug=challenge.slug)
        except (teams.TeamError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        invitation.refresh_from_db()
    inviter = invitation.invited_by
    context = {
        "challenge": challenge,
        "invitation": invitation,
        "state": invitation.state(),
        "leader_name": inviter.get_full_name() or inviter.email,
        "own_entry": submissions.submission_for(challenge=challenge, user=request.user),
    }
    return render_page(request, "events/team_invitation.html", context)


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
    teams.team_invitation_withdraw(invitation=invitation, user=request.user)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("events:challenge_submit", slug=slug)


@private
@login_required
@require_POST
def team_member_remove(request, slug, user_id):
    challenge = get_object_or_404(Challenge, slug=slug, is_published=True)
    submission = submissions.submission_for(challenge=challenge, user=request.user)
    member = submission.team.filter(pk=user_id).first() if submission else None
    if member is None:
        raise Http404
    teams.team_member_remove(submission=submission, user=request.user, member=member)
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
    if not submissions.submission_can_edit(submission=attachment.submission, user=request.user):
        raise Http404
    submissions.submission_attachment_delete(attachment=attachment, user=request.user)
    messages.success(request, "Attachment removed.")
    return redirect("events:challenge_submit", slug=slug)


@private
@login_required
def attachment_download(request, pk):
    attachment = get_object_or_404(SubmissionAttachment.objects.select_related("submission"), pk=pk)
    submission = attachment.submission
    allowed = (
        staff_can(request, "events.view_submission_files")
        or submissions.submission_can_edit(submission=submission, user=request.user)
        or submission.assignments.filter(judge=request.user, conflict_of_interest=False).exists()
    )
    if not allowed:
        raise Http404
    return private_file_response(request, attachment.file.name, filename=attachment.name)
