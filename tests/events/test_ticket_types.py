"""Ticket types, guests and registration questions: what staff set, what registrants choose."""

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from events import services
from events.models import Registration, RegistrationQuestion
from events.services.registrations import room_for
from events.services.tickets import TicketChoice, places_taken
from tests.events.factories import (
    NO_TICKET_TYPES_OR_QUESTIONS,
    EventFactory,
    add_question,
    add_ticket_type,
    admin_formset,
)
from tests.events.test_tickets import TicketFakeStripe
from tests.members.factories import UserFactory, make_member
from tests.members.fake_stripe import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


@pytest.fixture
def fake_stripe(settings):
    with TicketFakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_civicnet"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def meeting():
    """A National Meeting with a free member ticket, a paid non-member ticket, a members-only
    workshop add-on with a small quota, two guests allowed and two questions."""
    event = EventFactory(
        slug="fall-meeting", kind="national_meeting", capacity=10, max_guests=2, is_online=False
    )
    add_ticket_type(event, "Member", member_price=0, non_member_price=Decimal("300"))
    add_ticket_type(event, "Non-member", member_price=0, non_member_price=Decimal("450"))
    add_ticket_type(event, "Workshop day", member_price=0, members_only=True, quota=3)
    add_question(event, "Dietary needs")
    add_question(
        event,
        "Which site visit?",
        kind=RegistrationQuestion.Kind.CHOICE,
        options="Harbor walk\nMenomonee Valley",
        required=True,
    )
    return event


def ticket(event, name):
    return event.ticket_types.get(name=name)


def answers(event, **by_label):
    return {str(event.questions.get(label=label).pk): text for label, text in by_label.items()}


def choose(event, name, guests=0, **extra):
    extra.setdefault("answers", answers(event, **{"Which site visit?": "Harbor walk"}))
    return TicketChoice(ticket_type=ticket(event, name), guests=guests, **extra)


# --- the rules, through the services ---------------------------------------------------------


def test_an_event_without_ticket_types_keeps_its_one_free_member_ticket(member, registered):
    event = EventFactory(price=Decimal("150"))

    registration = services.registration_create(event=event, user=member)

    assert registration.status == CONFIRMED
    assert registration.ticket_type is None and registration.amount_due == 0
    with pytest.raises(services.PaymentRequired, match=r"\$150"):
        services.registration_create(event=event, user=registered)


def test_a_member_registers_with_guests_and_answers_and_they_are_stored(member, meeting):
    choice = choose(
        meeting,
        "Member",
        guests=2,
        guest_names=("Sam Ortiz", " "),
        answers=answers(meeting, **{"Dietary needs": "Vegan", "Which site visit?": "Harbor walk"}),
    )

    registration = services.registration_create(event=meeting, user=member, choice=choice)

    assert registration.status == CONFIRMED
    assert registration.ticket_label == "Member" and registration.places == 3
    assert registration.guest_names == ["Sam Ortiz"]
    assert registration.answer_to(meeting.questions.get(label="Dietary needs")) == "Vegan"
    assert places_taken(meeting) == 3


def test_guests_count_against_capacity_and_a_party_that_does_not_fit_waits(member, meeting):
    meeting.capacity = 4
    meeting.save()
    services.registration_create(event=meeting, user=member, choice=choose(meeting, "Member", 2))
    other = make_member(email="other@example.org")

    registration = services.registration_create(
        event=meeting, user=other, choice=choose(meeting, "Member", 1)
    )

    assert registration.status == WAITLISTED  # one place left, a party of two
    assert places_taken(meeting) == 3


def test_a_ticket_quota_holds_though_the_event_has_room(member, meeting):
    services.registration_create(
        event=meeting, user=member, choice=choose(meeting, "Workshop day", 2)
    )
    other = make_member(email="other@example.org")

    late = services.registration_create(
        event=meeting, user=other, choice=choose(meeting, "Workshop day", 1)
    )
    member_ticket = services.registration_create(
        event=meeting, user=make_member(email="third@example.org"), choice=choose(meeting, "Member")
    )

    assert late.status == WAITLISTED
    assert member_ticket.status == CONFIRMED
    assert places_taken(meeting, ticket_type=ticket(meeting, "Workshop day")) == 3


def test_a_party_bigger_than_the_event_is_refused_outright(member, meeting):
    meeting.capacity = 2
    meeting.save()

    with pytest.raises(services.RegistrationError, match="fewer guests"):
        services.registration_create(
            event=meeting, user=member, choice=choose(meeting, "Member", 2)
        )
    assert not Registration.objects.exists()


@pytest.mark.parametrize("guests", [3, -1])
def test_guests_beyond_what_staff_allow_are_refused(member, meeting, guests):
    with pytest.raises(services.RegistrationError, match="up to 2 guests"):
        services.registration_create(
            event=meeting, user=member, choice=choose(meeting, "Member", guests)
        )


def test_an_event_without_guests_takes_none(member):
    with pytest.raises(services.RegistrationError, match="no guests"):
        services.registration_create(
            event=EventFactory(), user=member, choice=TicketChoice(guests=1)
        )


def test_non_members_cannot_take_a_members_only_ticket(registered, lapsed, meeting):
    for person in (registered, lapsed):
        with pytest.raises(services.RegistrationError, match="members only"):
            services.registration_create(
                event=meeting, user=person, choice=choose(meeting, "Workshop day")
            )


def test_a_ticket_of_another_event_is_refused(member, meeting):
    other = EventFactory()
    stranger = add_ticket_type(other, "Elsewhere")

    with pytest.raises(services.RegistrationError, match="Choose a ticket"):
        services.registration_create(
            event=meeting, user=member, choice=TicketChoice(ticket_type=stranger)
        )
    with pytest.raises(services.RegistrationError, match="no ticket types"):
        services.registration_create(
            event=EventFactory(), user=member, choice=TicketChoice(ticket_type=stranger)
        )


def test_required_and_choice_answers_are_checked_by_the_service(member, meeting):
    for bad in ({}, answers(meeting, **{"Which site visit?": "The moon"})):
        with pytest.raises(services.RegistrationError):
            services.registration_create(
                event=meeting, user=member, choice=choose(meeting, "Member", answers=bad)
            )
    assert not Registration.objects.exists()


def test_a_paid_ticket_is_not_taken_for_free(registered, meeting):
    with pytest.raises(services.PaymentRequired, match="Non-member"):
        services.registration_create(
            event=meeting, user=registered, choice=choose(meeting, "Non-member")
        )


def test_the_waitlist_offers_places_to_whole_parties_that_fit_in_queue_order(member, meeting):
    meeting.capacity = 3
    meeting.save()
    first = services.registration_create(
        event=meeting, user=member, choice=choose(meeting, "Member", 2)
    )
    big = services.registration_create(
        event=meeting,
        user=make_member(email="big@example.org"),
        choice=choose(meeting, "Member", 2),
    )
    single = services.registration_create(
        event=meeting, user=make_member(email="one@example.org"), choice=choose(meeting, "Member")
    )
    assert (big.status, single.status) == (WAITLISTED, WAITLISTED)

    meeting.capacity = 4
    meeting.save()
    offered = services.waitlist_offer_places(event=meeting)

    assert offered == [single]  # the party of three does not fit the one free place
    services.registration_cancel(registration=first)
    big.refresh_from_db()
    assert big.status == Registration.Status.OFFERED
    assert places_taken(meeting) == 4  # offered places are held


def test_a_quota_freed_by_a_cancellation_goes_to_the_waitlist_for_that_ticket(member, meeting):
    holder = services.registration_create(
        event=meeting, user=member, choice=choose(meeting, "Workshop day", 2)
    )
    waiting = services.registration_create(
        event=meeting,
        user=make_member(email="w@example.org"),
        choice=choose(meeting, "Workshop day", 1),
    )

    services.registration_cancel(registration=holder)

    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.OFFERED  # held for them until they accept


def test_a_long_waitlist_is_checked_in_two_queries_and_offered_in_a_fixed_number(
    member, meeting, django_assert_num_queries
):
    """Forty parties wait that cannot get in (a party of three for one free place, or a
    workshop ticket whose quota is full), and one single person behind them who can."""
    services.registration_create(event=meeting, user=member, choice=choose(meeting, "Member", 2))
    services.registration_create(
        event=meeting,
        user=make_member(email="workshop@example.org"),
        choice=choose(meeting, "Workshop day", 2),
    )
    meeting.capacity = 6  # full: six places held
    meeting.save()
    member_ticket, workshop = ticket(meeting, "Member"), ticket(meeting, "Workshop day")
    for n in range(40):
        party = choose(meeting, "Member", 2) if n % 2 else choose(meeting, "Workshop day")
        services.registration_create(
            event=meeting, user=make_member(email=f"queue{n}@example.org"), choice=party
        )
    single = services.registration_create(
        event=meeting,
        user=make_member(email="single@example.org"),
        choice=choose(meeting, "Member"),
    )
    assert meeting.registrations.filter(status=WAITLISTED).count() == 41

    meeting.capacity = 7  # one place frees: only the single person at the back fits it
    meeting.save()
    with django_assert_num_queries(2):
        assert not room_for(meeting, ticket_type=member_ticket)  # owed to the single
    with django_assert_num_queries(1):  # a workshop newcomer does not fit: the queue is not read
        assert not room_for(meeting, ticket_type=workshop)

    # The transaction, the event's lock, lapsed offers, places held, the queue, and the one
    # offer (its update and its email's get-or-create): none for each party passed over.
    with django_assert_num_queries(11):
        assert services.waitlist_offer_places(event=meeting) == [single]
    meeting.capacity = 8  # another place: now no one waiting fits it, so a newcomer gets it
    meeting.save()
    with django_assert_num_queries(2):
        assert room_for(meeting, ticket_type=member_ticket)
    assert places_taken(meeting) == 7 and places_taken(meeting, ticket_type=workshop) == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_with_guests_never_exceed_capacity_or_quota():
    """Real concurrent transactions: six parties of two race for five places, of which a
    quota of three on the ticket most of them want."""
    event = EventFactory(capacity=5, max_guests=1)
    popular = add_ticket_type(event, "Popular", quota=3)
    plain = add_ticket_type(event, "Plain")
    racers = [make_member(email=f"racer{n}@example.org") for n in range(6)]
    barrier = threading.Barrier(len(racers))
    results, errors = [], []

    def race(n, user):
        try:
            barrier.wait(timeout=10)
            choice = TicketChoice(ticket_type=popular if n % 3 else plain, guests=1)
            registration = services.registration_create(event=event, user=user, choice=choice)
            results.append(registration.status)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(n, u)) for n, u in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 6
    assert places_taken(event) <= 5
    assert places_taken(event, ticket_type=popular) <= 3
    assert places_taken(event) == 4  # two parties of two fit; a third would need six places
    assert results.count(CONFIRMED) == 2


# --- the registration page ---------------------------------------------------------------------


def register_data(event, name="Member", **fields):
    data = {"ticket_type": str(ticket(event, name).pk) if name else ""}
    question = event.questions.get(label="Which site visit?")
    data[f"question_{question.pk}"] = "Harbor walk"
    data.update(fields)
    return data


def test_a_member_registers_with_a_guest_and_an_answer_on_the_page(client, member, meeting):
    client.force_login(member)
    page = client.get("/events/fall-meeting/register/").content.decode()
    assert "Workshop day: free" in page and "Dietary needs" in page

    dietary = meeting.questions.get(label="Dietary needs")
    response = client.post(
        "/events/fall-meeting/register/",
        register_data(
            meeting, guests="1", guest_names="Sam Ortiz", **{dietary.field_name: "Vegan"}
        ),
    )

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.guests, registration.guest_names) == (1, ["Sam Ortiz"])
    assert registration.answer_to(dietary) == "Vegan"
    html = client.get("/events/fall-meeting/register/").content.decode()
    assert "Ticket: <strong>Member</strong>" in html and "With 1 guest: Sam Ortiz" in html


def test_non_members_never_see_the_members_only_ticket(client, registered, meeting):
    client.force_login(registered)

    register = client.get("/events/fall-meeting/register/").content.decode()
    detail = client.get("/events/fall-meeting/").content.decode()

    assert "Workshop day" not in register and "Workshop day" not in detail
    assert "Non-member: $450.00" in register
    assert "free for members · $450.00 for non-members" in detail


@pytest.mark.parametrize(
    "change,error",
    [
        ({"question": ""}, "Please answer this question."),
        ({"question": "The moon"}, "Choose one of the options."),
        ({"ticket_type": ""}, "Choose a ticket."),
        ({"ticket_type": "999999"}, "Select a valid choice"),
        ({"ticket_type": "workshop-for-non-member"}, "Select a valid choice"),
        ({"guests": "5"}, "less than or equal to 2"),
        ({"guests": "two"}, "Enter a whole number"),
        ({"guests": "1", "guest_names": "A\nB"}, "at most one name per guest"),
    ],
)
def test_bad_answers_are_form_errors_never_a_500(client, registered, meeting, change, error):
    client.force_login(registered)
    data = register_data(meeting, "Non-member")
    question = meeting.questions.get(label="Which site visit?")
    for key, value in change.items():
        if key == "question":
            data[question.field_name] = value
        elif value == "workshop-for-non-member":
            data[key] = str(ticket(meeting, "Workshop day").pk)
        else:
            data[key] = value

    response = client.post("/events/fall-meeting/register/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Registration.objects.exists()


def test_a_non_member_pays_for_their_ticket_and_their_guest_through_stripe(
    client, registered, meeting, fake_stripe
):
    client.force_login(registered)

    response = client.post(
        "/events/fall-meeting/register/", register_data(meeting, "Non-member", guests="1")
    )

    registration = Registration.objects.get()
    assert response.status_code == 302 and response["Location"] == registration.stripe_checkout_url
    assert registration.status == Registration.Status.PENDING_PAYMENT
    assert registration.amount_due == Decimal("900.00")
    session = fake_stripe.sessions[registration.stripe_checkout_session_id]
    assert session["line_items[0][quantity]"] == "2"
    assert session["line_items[0][price_data][unit_amount]"] == "45000"
    assert "(Non-member)" in session["line_items[0][price_data][product_data][name]"]

    fake_stripe.pay(session["id"])
    client.get(f"/events/fall-meeting/register/?session_id={session['id']}")
    registration.refresh_from_db()
    assert registration.status == CONFIRMED and registration.amount_paid == Decimal("900.00")


def test_a_paid_party_that_does_not_fit_holds_nothing(client, registered, meeting, fake_stripe):
    meeting.capacity = 1
    meeting.save()
    client.force_login(registered)

    response = client.post(
        "/events/fall-meeting/register/", register_data(meeting, "Non-member", guests="1")
    )

    assert response.status_code == 200 and "fewer guests" in response.content.decode()
    assert not Registration.objects.exists() and fake_stripe.sessions == {}


def test_registration_page_queries_stay_flat_with_ten_times_the_types_and_questions(
    client, member, django_assert_max_num_queries
):
    event = EventFactory(slug="busy", capacity=500, max_guests=3)

    def grow(n):
        for _ in range(n):
            add_ticket_type(event, f"Ticket {event.ticket_types.count()}", quota=100)
            add_question(event, f"Question {event.questions.count()}")
            services.registration_create(
                event=event,
                user=UserFactory(email=f"p{Registration.objects.count()}@example.org"),
                choice=TicketChoice(ticket_type=event.ticket_types.last(), guests=1),
            )

    grow(2)
    client.force_login(member)
    with django_assert_max_num_queries(20) as few:
        assert client.get("/events/busy/register/").status_code == 200
    grow(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/events/busy/register/").content.decode()
    assert "Question 19" in page and "Ticket 19" in page


# --- staff: the attendee list, the CSV, the admin ----------------------------------------------


@pytest.fixture
def answered(member, registered, meeting):
    dietary = meeting.questions.get(label="Dietary needs")
    services.registration_create(
        event=meeting,
        user=member,
        choice=choose(
            meeting,
            "Workshop day",
            guests=1,
            guest_names=("=HYPERLINK(1)",),
            answers=answers(
                meeting,
                **{"Dietary needs": "=cmd|' /c calc'!A1", "Which site visit?": "Harbor walk"},
            ),
        ),
    )
    other = make_member(email="other@example.org")
    services.registration_create(event=meeting, user=other, choice=choose(meeting, "Member"))
    return dietary


def test_staff_see_tickets_guests_and_answers_on_the_attendee_list(client, staff, answered):
    client.force_login(staff)

    html = client.get("/events/fall-meeting/attendees/").content.decode()

    assert "<strong>3</strong> of 10 registered (1 of them guest)" in html
    assert "Workshop day: <strong>2</strong> of 3" in html
    assert '<th scope="col">Dietary needs</th>' in html
    assert "Harbor walk" in html and "=HYPERLINK(1)" in html


def test_the_attendee_csv_has_a_column_per_question_and_defuses_formulas(client, staff, answered):
    client.force_login(staff)

    response = client.get("/events/fall-meeting/attendees.csv")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(row for row in rows if row["email"] == "member@example.org")
    assert row["ticket_type"] == "Workshop day" and row["guests"] == "1"
    assert row["Which site visit?"] == "Harbor walk"
    assert row["Dietary needs"].startswith("'=") and row["guest_names"].startswith("'=")
    assert next(r for r in rows if r["email"] == "other@example.org")["Dietary needs"] == ""


def test_attendee_list_queries_stay_flat_with_ten_times_the_registrations_and_questions(
    client, staff, django_assert_max_num_queries
):
    event = EventFactory(slug="big", max_guests=2)

    def grow(n):
        for _ in range(n):
            kind = add_ticket_type(event, f"T{event.ticket_types.count()}")
            question = add_question(event, f"Q{event.questions.count()}")
            services.registration_create(
                event=event,
                user=UserFactory(email=f"a{Registration.objects.count()}@example.org"),
                choice=TicketChoice(
                    ticket_type=kind, guests=2, answers={str(question.pk): "an answer"}
                ),
            )

    grow(2)
    client.force_login(staff)
    with django_assert_max_num_queries(14) as few:
        client.get("/events/big/attendees/")
    grow(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/events/big/attendees/").content.decode()
    assert "<strong>60</strong> registered" in html


def test_staff_add_ticket_types_and_questions_inline_in_the_event_editor(client, staff):
    event = EventFactory(slug="edited", title="Edited")
    client.force_login(staff)
    url = reverse("wagtailsnippets_events_event:edit", args=[event.pk])
    data = {
        "kind": "national_meeting",
        "title": "Edited",
        "slug": "edited",
        "summary": event.summary,
        "body": '{"blocks": [], "entityMap": {}}',
        "starts_at": "2031-05-10 09:00",
        "ends_at": "2031-05-10 17:00",
        "time_zone": "America/New_York",
        "price": "0",
        "capacity": "100",
        "max_guests": "2",
        "is_published": "on",
        **admin_formset("sessions", []),
        **admin_formset(
            "ticket_types",
            [
                {"name": "Member", "member_price": "0", "non_member_price": "0"},
                {
                    "name": "Workshop",
                    "member_price": "25",
                    "non_member_price": "0",
                    "quota": "20",
                    "members_only": "on",
                },
            ],
        ),
        **admin_formset(
            "questions",
            [
                {"label": "Dietary needs", "kind": "text"},
                {"label": "T-shirt", "kind": "choice", "options": "S\nM\nL", "required": "on"},
            ],
        ),
    }
    assert "Ticket types" in client.get(url).content.decode()

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert event.max_guests == 2
    assert [(t.name, t.quota, t.members_only) for t in event.ticket_types.all()] == [
        ("Member", None, False),
        ("Workshop", 20, True),
    ]
    assert [q.choices for q in event.questions.all()] == [[], ["S", "M", "L"]]


def test_a_choice_question_without_options_is_an_editor_error_not_a_500(client, staff):
    event = EventFactory(slug="edited")
    client.force_login(staff)
    url = reverse("wagtailsnippets_events_event:edit", args=[event.pk])
    local = event.local_starts_at
    data = {
        "kind": "webinar",
        "title": event.title,
        "slug": "edited",
        "summary": event.summary,
        "body": '{"blocks": [], "entityMap": {}}',
        "starts_at": local.strftime("%Y-%m-%d %H:%M"),
        "ends_at": event.local_ends_at.strftime("%Y-%m-%d %H:%M"),
        "time_zone": "America/New_York",
        "price": "0",
        "is_published": "on",
        **admin_formset("sessions", []),
        **NO_TICKET_TYPES_OR_QUESTIONS,
        **admin_formset("questions", [{"label": "Size", "kind": "choice", "options": "M"}]),
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert "at least two options" in response.content.decode()
    assert not event.questions.exists()


# --- who may do what, on an event with a members-only ticket ----------------------------------

PERSONAS = ["visitor", "registered", "lapsed", "staff", "member"]
LOGIN = "login"
MATRIX = [
    ("GET", "/events/fall-meeting/", [200, 200, 200, 200, 200]),
    ("GET", "/events/fall-meeting/register/", [LOGIN, 200, 200, 200, 200]),
    # Choosing the members-only ticket: a form error for everyone but the active member.
    ("POST", "/events/fall-meeting/register/", [LOGIN, 200, 200, 200, 302]),
    ("GET", "/events/fall-meeting/attendees/", [LOGIN, 403, 403, 200, 403]),
    ("GET", "/events/fall-meeting/attendees.csv", [LOGIN, 403, 403, 200, 403]),
]


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_access_to_a_ticketed_event(
    client, meeting, registered, lapsed, staff, member, method, path, expected
):
    people = {"visitor": None, "registered": registered, "lapsed": lapsed, "staff": staff}
    people["member"] = member
    outcomes = []
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        if method == "POST":
            response = client.post(path, register_data(meeting, "Workshop day"))
        else:
            response = client.get(path)
        location = response.get("Location", "")
        login = response.status_code == 302 and location.startswith("/accounts/login/")
        outcomes.append(LOGIN if login else response.status_code)
        if persona != "visitor" and response.status_code == 200:
            assert "private" in response.get("Cache-Control", ""), (persona, path)
    assert dict(zip(PERSONAS, outcomes, strict=True)) == dict(zip(PERSONAS, expected, strict=True))
    workshop = Registration.objects.filter(ticket_type__name="Workshop day")
    assert list(workshop.values_list("user__email", flat=True)) == (
        ["member@example.org"] if method == "POST" else []
    )


def test_a_persons_data_export_carries_their_ticket_guests_and_answers(member, answered):
    from events.accounts import account_export

    (exported,) = account_export(user=member)["event_registrations"]

    assert exported["ticket"] == "Workshop day"
    assert (exported["guests"], exported["guest_names"]) == (1, ["=HYPERLINK(1)"])
    assert exported["answers"] == {
        "Dietary needs": "=cmd|' /c calc'!A1",
        "Which site visit?": "Harbor walk",
    }
