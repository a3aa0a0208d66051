"""Judges score the entries assigned to them, or declare a conflict of interest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect

from .. import selectors
from ..forms import ConflictForm, ScoreForm
from ..models import JudgeAssignment
from ..services.judging import judge_declare_conflict, scores_record
from .common import private, render_page


@private
@login_required
def judging_index(request):
    assignments = selectors.judge_assignments(request.user)
    return render_page(request, "events/judging_index.html", {"assignments": assignments})


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
            judge_declare_conflict(assignment=assignment, note=conflict_form.cleaned_data["note"])
            messages.success(
                request, "Conflict of interest recorded; this entry is off your list to score."
            )
            return redirect("events:judging")
        if "score" in request.POST and form.is_valid():
            try:
                scores_record(assignment=assignment, values=form.values())
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
    return render_page(request, "events/judging_score.html", context)
