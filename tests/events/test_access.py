"""Every events and challenges URL, for every persona: who gets what."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events import services
from events.services.offer_tokens import offer_token
from tests.events.factories import EventFactory, make_challenge, make_series

pytestmark = pytest.mark.django_db

# The member comes last: their POSTs change things (a cancellation, a deleted file).
PERSONAS = ["visitor", "registered", "lapsed", "staff", "judge", "member"]
LOGIN = "login"  # a redirect to the login page

# path -> expected status per persona, in PERSONAS order.
MATRIX = [
    ("GET", "/events/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/past/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/calendar.ics", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/webinar.ics", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/webinar/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/draft/", [404, 404, 404, 404, 404, 404]),
    ("GET", "/events/webinar/register/", [LOGIN, 200, 200, 200, 200, 200]),
    ("GET", "/events/webinar/cancel/", [LOGIN, 405, 405, 405, 405, 405]),
    ("POST", "/events/webinar/cancel/", [LOGIN, 404, 404, 404, 404, 302]),
    ("GET", "/events/webinar/attendees/", [LOGIN, 403, 403, 200, 403, 403]),
    ("GET", "/events/webinar/attendees.csv", [LOGIN, 403, 403, 200, 403, 403]),
    # Series: the public page, registering for them all, the staff tool making the dates.
    ("GET", "/events/series/streets/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/events/series/hidden/", [404, 404, 404, 404, 404, 404]),
    ("GET", "/events/series/streets/register/", [LOGIN, 405, 405, 405, 405, 405]),
    ("POST", "/events/series/streets/register/", [LOGIN, 302, 302, 302, 302, 302]),
    ("POST", "/events/series/hidden/register/", [LOGIN, 404, 404, 404, 404, 404]),
    ("GET", "/events/series/streets/occurrences/", [LOGIN, 403, 403, 200, 403, 403]),
    ("POST", "/events/series/streets/occurrences/", [LOGIN, 403, 403, 302, 403, 403]),
    # Waitlist offers: the member was offered a place at "full"; only they can take it.
    ("GET", "/events/full/offer/{offer}/", [LOGIN, 200, 200, 200, 200, 200]),
    ("POST", "/events/full/offer/{offer}/", [LOGIN, 302, 302, 302, 302, 302]),
    ("GET", "/events/draft/offer/{offer}/", [LOGIN, 404, 404, 404, 404, 404]),
    ("GET", "/events/full/waitlist/leave/", [LOGIN, 200, 200, 200, 200, 200]),
    ("POST", "/events/full/waitlist/leave/", [LOGIN, 200, 200, 200, 200, 302]),
    ("GET", "/challenges/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/challenges/safer-streets/", [200, 200, 200, 200, 200, 200]),
    ("GET", "/challenges/safer-streets/submit/", [LOGIN, 403, 403, 403, 403, 200]),
    ("GET", "/challenges/safer-streets/results/", [LOGIN, 403, 403, 200, 403, 403]),
    ("GET", "/challenges/judging/", [LOGIN, 200, 200, 200, 200, 200]),
    ("GET", "/challenges/judging/{assignment}/", [LOGIN, 404, 404, 404, 200, 404]),
    ("GET", "/challenges/attachments/{attachment}/", [LOGIN, 404, 404, 200, 200, 200]),
    (
        "POST",
        "/challenges/safer-streets/submit/attachments/{attachment}/delete/",
        [LOGIN, 404, 404, 404, 404, 302],
    ),
]


@pytest.fixture
def world(member, settings, tmp_path):
    from tests.members.factories import UserFactory

    event = EventFactory(slug="webinar")
    EventFactory(slug="draft", is_published=False)
    services.registration_create(event=event, user=member)
    challenge = make_challenge()
    submission = services.submission_save(
        challenge=challenge,
        user=member,
        fields={"title": "Entry", "city": "Erie, PA", "summary": "S", "plan": "P"},
        submit=True,
    )
    attachment = services.submission_attach(
        submission=submission, user=member, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    judge = UserFactory(email="judge@example.org")
    assignment = services.judge_assign(submission=submission, judge=judge)
    full = EventFactory(slug="full", capacity=1)
    holder = services.registration_create(event=full, user=UserFactory())
    offered = services.registration_create(event=full, user=member)
    services.registration_cancel(registration=holder)
    offered.refresh_from_db()
    series = make_series(starts_on=timezone.localdate() + timedelta(days=1), ends_on=None, count=2)
    services.series_occurrences_create(series=series)
    make_series(slug="hidden", is_published=False)
    return {
        "judge": judge,
        "assignment": assignment.pk,
        "attachment": attachment.pk,
        "offer": offer_token(offered),
    }


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_access_matrix(client, world, registered, member, lapsed, staff, method, path, expected):
    people = {
        "visitor": None,
        "registered": registered,
        "member": member,
        "lapsed": lapsed,
        "staff": staff,
        "judge": world["judge"],
    }
    url = path.format(**world)
    outcomes = []
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = client.post(url) if method == "POST" else client.get(url)
        if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
            outcomes.append(LOGIN)
        else:
            outcomes.append(response.status_code)
        personal = method == "GET" and not url.endswith(".ics")  # calendar files are public
        if persona != "visitor" and response.status_code == 200 and personal:
            # Whatever a signed-in person sees may be personal: never in a shared cache.
            assert "private" in response.get("Cache-Control", ""), (persona, url)
    assert dict(zip(PERSONAS, outcomes, strict=True)) == dict(zip(PERSONAS, expected, strict=True))
