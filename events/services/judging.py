"""Judging: staff assign judges, judges score entries or declare a conflict of interest."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import JudgeAssignment, Score, Submission


@transaction.atomic
def judge_assign(*, submission: Submission, judge) -> JudgeAssignment:
    if submission.owner_id == judge.pk or submission.team.filter(pk=judge.pk).exists():
        raise ValidationError("A judge cannot judge their own entry.")
    assignment, _ = JudgeAssignment.objects.get_or_create(submission=submission, judge=judge)
    return assignment


@transaction.atomic
def judge_declare_conflict(*, assignment: JudgeAssignment, note: str) -> JudgeAssignment:
    assignment = JudgeAssignment.objects.select_for_update().get(pk=assignment.pk)
    assignment.conflict_of_interest = True
    assignment.conflict_note = note[:300]
    assignment.save(update_fields=["conflict_of_interest", "conflict_note"])
    assignment.scores.all().delete()
    return assignment


@transaction.atomic
def scores_record(*, assignment: JudgeAssignment, values: dict[int, int]) -> JudgeAssignment:
    """Record a judge's scores: {criterion_id: 0..10} for every criterion of the challenge."""
    assignment = JudgeAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.conflict_of_interest:
        raise PermissionDenied("You declared a conflict of interest for this entry.")
    criteria = {c.pk: c for c in assignment.submission.challenge.criteria.all()}
    if set(values) != set(criteria):
        raise ValidationError("Score every criterion.")
    for criterion_id, value in values.items():
        if not 0 <= int(value) <= 10:
            raise ValidationError("Scores run from 0 to 10.")
        Score.objects.update_or_create(
            assignment=assignment, criterion_id=criterion_id, defaults={"value": int(value)}
        )
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["completed_at"])
    return assignment
