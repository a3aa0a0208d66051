from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events import services
from events.models import JudgeAssignment, Submission
from events.selectors import ranked_submissions
from tests.events.factories import make_challenge
from tests.members.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

ENTRY = {
    "title": "Slow zones near schools",
    "city": "Dayton, OH",
    "summary": "20 mph zones around twelve schools.",
    "plan": "Signs, paint, and enforcement in term time.",
    "budget": "120000",
}
PDF = b"%PDF-1.7\n%test\n"


def entry(challenge, user, *, submit=False, **fields):
    return services.submission_save(
        challenge=challenge, user=user, fields={**ENTRY, **fields}, submit=submit
    )


def test_listing_and_detail_show_prize_timeline_and_weighted_criteria(visitor):
    make_challenge(prize="$25,000 and a keynote")

    listing = visitor.get("/challenges/").content.decode()
    detail = visitor.get("/challenges/safer-streets/").content.decode()

    assert "Safer Streets Prize" in listing and "Open for entries" in listing
    assert "$25,000 and a keynote" in detail
    assert 'class="timeline__step timeline__step--current" aria-current="step"' in detail
    assert "Impact" in detail and "60%" in detail and "40%" in detail
    # Each weight is a label and a bar drawn to scale.
    assert '<span class="weight-bar__label">60%</span>' in detail
    assert '<span class="weight-bar__fill" style="width: 60%"></span>' in detail


def test_member_saves_a_draft_then_submits_and_edits_until_the_deadline(client, member):
    challenge = make_challenge()
    client.force_login(member)

    client.post("/challenges/safer-streets/submit/", {**ENTRY, "draft": "1"})
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.DRAFT

    client.post(
        "/challenges/safer-streets/submit/",
        {**ENTRY, "title": "Safe school streets", "submit": "1"},
    )
    client.post(
        "/challenges/safer-streets/submit/",
        {**ENTRY, "title": "Safer school streets", "draft": "1"},
    )

    submission.refresh_from_db()
    assert submission.title == "Safer school streets"
    assert submission.status == Submission.Status.SUBMITTED and submission.submitted_at
    assert Submission.objects.filter(challenge=challenge).count() == 1


def test_after_the_deadline_entries_are_locked_on_the_server(client, member):
    challenge = make_challenge()
    entry(challenge, member)
    challenge.closes_at = timezone.now() - timedelta(minutes=1)
    challenge.save()
    client.force_login(member)

    page = client.get("/challenges/safer-streets/submit/")
    post = client.post(
        "/challenges/safer-streets/submit/", {**ENTRY, "title": "Too late", "submit": "1"}
    )

    assert "entries are locked" in page.content.decode()
    assert post.status_code == 403
    assert Submission.objects.get().title == ENTRY["title"]
    with pytest.raises(PermissionDenied):
        entry(challenge, member, title="Too late")


def test_only_active_members_may_enter(client, registered, lapsed):
    challenge = make_challenge()
    for person in (registered, lapsed):
        client.force_login(person)
        response = client.post("/challenges/safer-streets/submit/", {**ENTRY, "submit": "1"})
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            entry(challenge, person)
    assert not Submission.objects.exists()


def test_attachments_are_checked_for_type_size_and_content(client, member):
    challenge = make_challenge()
    submission = entry(challenge, member)

    good = services.submission_attach(
        submission=submission, user=member, upload=SimpleUploadedFile("plan.pdf", PDF)
    )
    assert good.size == len(PDF)
    for bad in (
        SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
        SimpleUploadedFile("fake.pdf", b"<html>not a pdf</html>"),
    ):
        with pytest.raises(ValidationError):
            services.submission_attach(submission=submission, user=member, upload=bad)
    with (
        mock.patch("events.services.submissions.ATTACHMENT_MAX_BYTES", 4),
        pytest.raises(ValidationError),
    ):
        services.submission_attach(
            submission=submission, user=member, upload=SimpleUploadedFile("big.pdf", PDF)
        )

    client.force_login(member)
    response = client.post(
        "/challenges/safer-streets/submit/",
        {**ENTRY, "draft": "1", "attachment": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert "File extension" in response.content.decode()
    assert submission.attachments.count() == 1


def test_attachments_reach_only_the_team_staff_and_assigned_judges(client, member, staff):
    challenge = make_challenge()
    submission = entry(challenge, member, submit=True)
    attachment = services.submission_attach(
        submission=submission, user=member, upload=SimpleUploadedFile("plan.pdf", PDF)
    )
    judge, other = UserFactory(email="judge@example.org"), UserFactory(email="other@example.org")
    services.judge_assign(submission=submission, judge=judge)
    url = f"/challenges/attachments/{attachment.pk}/"

    for person, status in ((member, 200), (staff, 200), (judge, 200), (other, 404)):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == status, person
        if status == 200:
            assert "private" in response["Cache-Control"]


@pytest.fixture
def judged(member):
    challenge = make_challenge()
    strong = entry(challenge, member, submit=True, title="Strong")
    weak = entry(challenge, make_member(email="b@example.org"), submit=True, title="Weak")
    draft = entry(challenge, make_member(email="c@example.org"), title="Unfinished")
    judges = [UserFactory(email=f"judge{n}@example.org") for n in range(3)]
    return challenge, strong, weak, draft, judges


def test_judges_see_only_their_own_assignments(client, judged):
    challenge, strong, weak, draft, (ann, bob, _) = judged
    mine = services.judge_assign(submission=strong, judge=ann)
    theirs = services.judge_assign(submission=weak, judge=bob)
    services.judge_assign(submission=draft, judge=ann)  # drafts are not judged
    client.force_login(ann)

    listing = client.get("/challenges/judging/").content.decode()

    assert "Strong" in listing and "Weak" not in listing and "Unfinished" not in listing
    assert client.get(f"/challenges/judging/{mine.pk}/").status_code == 200
    assert client.get(f"/challenges/judging/{theirs.pk}/").status_code == 404
    assert client.post(f"/challenges/judging/{theirs.pk}/", {"score": "1"}).status_code == 404


def test_scores_roll_up_to_a_weighted_ranking_leaving_out_conflicts(client, judged):
    challenge, strong, weak, draft, (ann, bob, cat) = judged
    impact, replicability = challenge.criteria.all()

    def score(judge, submission, impact_value, replicability_value):
        assignment = services.judge_assign(submission=submission, judge=judge)
        client.force_login(judge)
        client.post(
            f"/challenges/judging/{assignment.pk}/",
            {
                "score": "1",
                f"criterion_{impact.pk}": impact_value,
                f"criterion_{replicability.pk}": replicability_value,
            },
        )
        return assignment

    score(ann, strong, 9, 8)  # (9*60 + 8*40) / 100 = 8.6
    score(bob, strong, 7, 10)  # 8.2
    score(ann, weak, 5, 5)
    conflicted = score(cat, weak, 10, 10)
    client.force_login(cat)
    client.post(
        f"/challenges/judging/{conflicted.pk}/", {"conflict": "1", "note": "I advised this team"}
    )

    rows = ranked_submissions(challenge)

    assert [(r["rank"], r["submission"].title, r["score"]) for r in rows] == [
        (1, "Strong", 84.0),
        (2, "Weak", 50.0),
    ]
    assert rows[1]["conflicts"] == 1
    assert JudgeAssignment.objects.get(pk=conflicted.pk).scores.count() == 0


def test_a_judge_cannot_judge_their_own_entry(judged, member):
    _, strong, *_ = judged
    with pytest.raises(ValidationError):
        services.judge_assign(submission=strong, judge=member)
    with pytest.raises(ValidationError):
        JudgeAssignment(submission=strong, judge=member).full_clean()


def test_staff_see_ranked_results_and_publish_winners_to_the_showcase(client, staff, judged):
    challenge, strong, *_ = judged
    client.force_login(staff)
    assert "Strong" in client.get("/challenges/safer-streets/results/").content.decode()

    strong.award = Submission.Award.WINNER
    strong.howto = "Start with the school run: parents became our best advocates."
    strong.save()
    client.logout()
    assert "Winners and finalists" not in client.get("/challenges/safer-streets/").content.decode()

    challenge.winners_published = True
    challenge.save()
    cache.clear()  # as the page cache expires
    html = client.get("/challenges/safer-streets/").content.decode()
    assert "Winners and finalists" in html and "parents became our best advocates" in html


def test_judges_and_staff_find_their_way_from_the_challenge_page(client, judged, staff):
    challenge, strong, *_ = judged
    judge = UserFactory(email="assigned@example.org")
    services.judge_assign(submission=strong, judge=judge)

    client.force_login(judge)
    as_judge = client.get("/challenges/safer-streets/").content.decode()
    client.force_login(staff)
    as_staff = client.get("/challenges/safer-streets/").content.decode()

    assert "Your judging assignments" in as_judge and "Ranked results" not in as_judge
    assert "/challenges/safer-streets/results/" in as_staff


def test_before_opening_the_entry_form_says_when_entries_open(client, member):
    now = timezone.now()
    make_challenge(
        announced_at=now - timedelta(days=1),
        opens_at=now + timedelta(days=5),
        closes_at=now + timedelta(days=30),
    )
    client.force_login(member)

    html = client.get("/challenges/safer-streets/submit/").content.decode()

    assert "Entries open on" in html and "deadline has passed" not in html


def test_results_and_judging_lists_use_a_fixed_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    challenge = make_challenge()
    judge = UserFactory(email="busy@example.org")

    def add_entries(first, last):
        for n in range(first, last):
            submission = entry(
                challenge, make_member(email=f"e{n}@example.org"), submit=True, title=f"E{n}"
            )
            assignment = services.judge_assign(submission=submission, judge=judge)
            services.scores_record(
                assignment=assignment, values={c.pk: 5 for c in challenge.criteria.all()}
            )

    add_entries(0, 2)
    client.force_login(staff)
    with django_assert_max_num_queries(12) as results_few:
        client.get("/challenges/safer-streets/results/")
    client.force_login(judge)
    with django_assert_max_num_queries(12) as judging_few:
        client.get("/challenges/judging/")
    add_entries(2, 10)
    client.force_login(staff)
    with django_assert_max_num_queries(len(results_few.captured_queries)):
        assert client.get("/challenges/safer-streets/results/").content.decode().count("<tr>") == 11
    client.force_login(judge)
    with django_assert_max_num_queries(len(judging_few.captured_queries)):
        client.get("/challenges/judging/")
