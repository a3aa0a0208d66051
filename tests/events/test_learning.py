"""Continuing education: the learning record, the webinar join link that records attendance,
certificates and transcripts (PDF) with their public verification pages, revocation."""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from events import services
from events.certificates import certificate_document
from events.models import Certificate, Event, Registration
from tests.events.factories import EventFactory
from tests.events.pdf import document_text, link_targets
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def at(year, month, day, hour=13):
    return datetime(year, month, day, hour, tzinfo=NEW_YORK)


def attended(user, *, how="checked_in", **event_fields) -> Registration:
    """A past event the person attended: checked in on the day, or joined online."""
    event = EventFactory(**event_fields)
    registration = Registration.objects.create(
        event=event, user=user, status=Registration.Status.CONFIRMED
    )
    field = "checked_in_at" if how == "checked_in" else "joined_at"
    Registration.objects.filter(pk=registration.pk).update(**{field: event.starts_at})
    registration.refresh_from_db()
    return registration


@pytest.fixture
def record(member):
    """Two events in 2029 (a National Meeting with hours set, a webinar by its length), one
    in 2030, and events that do not count: waitlisted, cancelled, registered not attended."""
    meeting = attended(
        member,
        kind=Event.Kind.NATIONAL_MEETING,
        title="Spring National Meeting",
        slug="spring-meeting",
        starts_at=at(2029, 4, 10, 9),
        ends_at=at(2029, 4, 11, 17),
        learning_hours=Decimal("12"),
    )
    webinar = attended(
        member,
        how="joined",
        title="Curb data",
        slug="curb-data",
        starts_at=at(2029, 9, 3),
        ends_at=at(2029, 9, 3) + timedelta(minutes=90),
    )
    workshop = attended(
        member,
        kind=Event.Kind.WORKSHOP,
        title="Budgets workshop",
        slug="budgets-workshop",
        starts_at=at(2030, 2, 1, 9),
        ends_at=at(2030, 2, 1, 16),
        learning_hours=Decimal("6.5"),
    )
    for status, title in (
        (Registration.Status.WAITLISTED, "Waitlisted talk"),
        (Registration.Status.CANCELLED, "Cancelled talk"),
        (Registration.Status.CONFIRMED, "Missed talk"),
    ):
        event = EventFactory(title=title, starts_at=at(2029, 5, 1))
        Registration.objects.create(event=event, user=member, status=status)
    return {"meeting": meeting.event, "webinar": webinar.event, "workshop": workshop.event}


# --- Hours ---------------------------------------------------------------------------------


def test_hours_are_what_staff_set_or_the_length_of_a_same_day_event():
    start = at(2029, 1, 5)

    assert EventFactory(starts_at=start, ends_at=start + timedelta(minutes=80)).credit_hours == (
        Decimal("1.25")
    )
    assert EventFactory(
        starts_at=start, ends_at=start + timedelta(hours=1), learning_hours=Decimal("2.5")
    ).credit_hours == Decimal("2.5")
    two_days = EventFactory(starts_at=start, ends_at=start + timedelta(days=1, hours=8))
    assert two_days.credit_hours == 0  # nights are not hours of learning: staff set them


# --- The learning record -------------------------------------------------------------------


def test_learning_record_lists_attended_events_by_year_with_dates_hours_and_totals(
    client, member, record
):
    client.force_login(member)

    response = client.get("/account/learning/")

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    assert "2030: 6.5 hours" in html
    assert "2029: 13.5 hours" in html  # 12 at the meeting + 1.5 at the webinar
    assert html.index("2030:") < html.index("2029:")
    for title in ("Spring National Meeting", "Curb data", "Budgets workshop"):
        assert title in html
    assert "10 Apr 2029" in html and "Joined online" in html and "Checked in" in html
    for title in ("Waitlisted talk", "Cancelled talk", "Missed talk"):
        assert title not in html
    assert "/account/learning/certificates/curb-data.pdf" in html
    assert "/account/learning/transcripts/2029.pdf" in html


def test_learning_record_of_someone_who_attended_nothing_says_how_to_start(client, registered):
    client.force_login(registered)

    html = client.get("/account/learning/").content.decode()

    assert "Nothing on your record yet." in html


def test_learning_record_is_for_signed_in_people(client):
    response = client.get("/account/learning/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_learning_record_queries_do_not_grow_with_the_record(
    client, member, record, django_assert_num_queries
):
    client.force_login(member)
    services.certificate_issue(user=member, event=record["webinar"])
    client.get("/account/learning/")  # warm the session and the base template's caches

    # The person with their permission check (one query, core.auth; the session is cached),
    # attended registrations with their events, valid certificates, the calendar feed and the
    # base template's site.
    with django_assert_num_queries(6):
        client.get("/account/learning/")
    for n in range(4):
        attended(member, title=f"More {n}", starts_at=at(2028, 3, n + 1))
    with django_assert_num_queries(6):
        html = client.get("/account/learning/").content.decode()
    assert "More 3" in html


def test_account_dashboard_links_to_the_learning_record(client, member):
    client.force_login(member)

    html = client.get("/account/").content.decode()

    assert 'href="/account/learning/"' in html


# --- Joining a webinar through the site ----------------------------------------------------


@pytest.fixture
def live_webinar():
    now = timezone.now()
    return EventFactory(
        slug="live-now",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=55),
        registration_closes_at=now + timedelta(minutes=55),
        join_url="https://meet.example.org/live-now",
    )


def test_confirmed_registrant_joins_through_the_site_and_it_counts_as_attendance(
    client, member, live_webinar
):
    registration = services.registration_create(event=live_webinar, user=member)
    client.force_login(member)

    page = client.get("/events/live-now/").content.decode()
    response = client.get("/events/live-now/join/")

    assert 'href="/events/live-now/join/"' in page
    assert response.status_code == 302
    assert response["Location"] == "https://meet.example.org/live-now"
    assert "private" in response["Cache-Control"]
    registration.refresh_from_db()
    assert registration.joined_at is not None and registration.attended
    assert "live-now" in client.get("/account/learning/").content.decode()


def test_join_link_before_it_opens_goes_back_to_the_event_and_records_nothing(client, member):
    event = EventFactory(slug="next-week")
    registration = services.registration_create(event=event, user=member)
    client.force_login(member)

    response = client.get("/events/next-week/join/")

    assert response.status_code == 302 and response["Location"] == "/events/next-week/"
    registration.refresh_from_db()
    assert registration.joined_at is None


def test_join_link_is_not_for_the_waitlisted_nor_for_people_not_registered(
    client, member, registered, live_webinar
):
    Event.objects.filter(pk=live_webinar.pk).update(capacity=1)
    services.registration_create(event=live_webinar, user=UserFactory(email="first@example.org"))
    services.registration_create(event=live_webinar, user=member)  # waitlisted

    client.force_login(member)
    assert client.get("/events/live-now/join/").status_code == 404
    client.force_login(registered)
    assert client.get("/events/live-now/join/").status_code == 404
    assert not Registration.objects.filter(joined_at__isnull=False).exists()


# --- Certificates --------------------------------------------------------------------------


def test_certificate_pdf_names_the_holder_event_date_hours_and_verification_url(
    client, member, record, settings
):
    client.force_login(member)

    response = client.get("/account/learning/certificates/spring-meeting.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    certificate = Certificate.objects.get(user=member)
    assert len(certificate.token) >= 22  # 128 random bits
    verification_url = f"{settings.SITE_URL}/verify/{certificate.token}/"
    assert verification_url in link_targets(pdf)
    document = certificate_document(certificate)
    assert len(document.pages) == 1
    text = document_text(document)
    assert "Certificate of attendance" in text
    assert "Alex Rivera" in text
    assert "Spring National Meeting" in text
    assert "10 April 2029" in text and "12 hours" in text
    assert verification_url in text


def test_anyone_can_open_the_verification_page_and_see_the_certificate_is_genuine(
    client, member, record
):
    certificate = services.certificate_issue(user=member, event=record["webinar"])

    response = client.get(f"/verify/{certificate.token}/")  # anonymous

    assert response.status_code == 200
    html = response.content.decode()
    assert "Genuine." in html and "Revoked" not in html
    assert "Alex Rivera" in html and "Curb data" in html
    assert "3 September 2029" in html and "1.5" in html
    assert "no-cache" in response["Cache-Control"]  # a later revocation shows at once
    assert member.email not in html


def test_an_unknown_certificate_number_is_not_found(client):
    assert client.get("/verify/not-a-real-number/").status_code == 404


def test_downloading_again_gives_the_same_certificate_until_the_record_changes(
    client, member, record
):
    client.force_login(member)
    client.get("/account/learning/certificates/curb-data.pdf")
    client.get("/account/learning/certificates/curb-data.pdf")
    (first,) = Certificate.objects.filter(user=member)

    Event.objects.filter(pk=record["webinar"].pk).update(learning_hours=Decimal("2"))
    client.get("/account/learning/certificates/curb-data.pdf")

    first.refresh_from_db()
    assert first.is_revoked
    current = Certificate.objects.get(user=member, revoked_at=None)
    assert current.hours == 2
    old_page = client.get(f"/verify/{first.token}/").content.decode()
    assert "Revoked on" in old_page and "Replaced by a newer certificate" in old_page


def test_no_certificate_for_an_event_not_attended(client, member, record):
    missed = Event.objects.get(title="Missed talk")
    client.force_login(member)

    assert client.get(f"/account/learning/certificates/{missed.slug}.pdf").status_code == 404
    assert client.get("/account/learning/certificates/no-such-event.pdf").status_code == 404
    assert not Certificate.objects.exists()


def test_certificate_asks_for_a_name_first(client, record, member):
    member.first_name = member.last_name = ""
    member.save()
    client.force_login(member)

    response = client.get("/account/learning/certificates/curb-data.pdf")

    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert not Certificate.objects.exists()


def test_someone_else_cannot_download_my_certificate(client, record, registered):
    client.force_login(registered)

    assert client.get("/account/learning/certificates/spring-meeting.pdf").status_code == 404


# --- Transcripts ---------------------------------------------------------------------------


def test_transcript_lists_the_years_events_and_total_hours(client, member, record):
    client.force_login(member)

    response = client.get("/account/learning/transcripts/2029.pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    transcript = Certificate.objects.get(kind=Certificate.Kind.TRANSCRIPT)
    assert transcript.year == 2029 and transcript.hours == Decimal("13.5")
    assert transcript.verification_url in link_targets(response.content)
    text = document_text(certificate_document(transcript))
    assert "Spring National Meeting" in text and "Curb data" in text
    assert "Budgets workshop" not in text  # 2030
    assert "Total in 2029 13.5" in text
    page = client.get(f"/verify/{transcript.token}/").content.decode()
    assert "Genuine." in page and "2029" in page and "13.5" in page and "Curb data" in page


def test_transcript_of_an_empty_year_is_not_found(client, member, record):
    client.force_login(member)

    assert client.get("/account/learning/transcripts/2021.pdf").status_code == 404
    assert client.get("/account/learning/transcripts/99999999999.pdf").status_code == 404


# --- Revocation ----------------------------------------------------------------------------


def test_staff_revoke_a_certificate_and_its_page_says_when_and_why(client, member, staff, record):
    certificate = services.certificate_issue(user=member, event=record["meeting"])
    client.force_login(staff)

    assert "Revoke this certificate" in client.get(certificate.get_absolute_url()).content.decode()
    response = client.post(
        f"/verify/{certificate.token}/revoke/", {"reason": "Attendance recorded in error."}
    )

    assert response.status_code == 302
    client.logout()
    html = client.get(f"/verify/{certificate.token}/").content.decode()
    today = timezone.localdate().strftime("%-d %B %Y")
    assert f"Revoked on {today}" in html and "Attendance recorded in error." in html
    assert "Genuine." not in html


def test_only_people_allowed_to_revoke_reach_the_revoke_form(client, member, record):
    certificate = services.certificate_issue(user=member, event=record["meeting"])
    client.force_login(member)

    response = client.post(f"/verify/{certificate.token}/revoke/", {"reason": "Mine now"})

    assert response.status_code == 403
    certificate.refresh_from_db()
    assert not certificate.is_revoked
    assert (
        "Revoke this certificate" not in client.get(certificate.get_absolute_url()).content.decode()
    )


def test_event_staff_may_revoke_certificates():
    group = Group.objects.get(name="Event staff")

    assert group.permissions.filter(codename="revoke_certificate").exists()


def test_removing_a_check_in_revokes_the_certificate(member, record):
    certificate = services.certificate_issue(user=member, event=record["meeting"])
    registration = Registration.objects.get(event=record["meeting"], user=member)

    services.registration_check_in(registration=registration, checked_in=False)

    certificate.refresh_from_db()
    assert certificate.is_revoked
    assert "withdrawn" in certificate.revocation_reason


# --- The account's data --------------------------------------------------------------------


def test_closing_the_account_revokes_certificates_and_removes_the_name(member, record, client):
    from members.services import account_delete

    certificate = services.certificate_issue(user=member, event=record["meeting"])
    account_delete(user=member)

    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.holder_name == ""
    assert "Alex Rivera" not in client.get(certificate.get_absolute_url()).content.decode()


def test_data_export_includes_certificates_and_online_attendance(member, record):
    from events.accounts import account_export

    services.certificate_issue(user=member, event=record["webinar"])

    data = account_export(user=member)

    assert [c["title"] for c in data["certificates"]] == ["Curb data"]
    assert any(r["joined_online_at"] for r in data["event_registrations"])


# --- Subtotals per kind of learning -------------------------------------------------------


def test_record_and_transcript_total_each_kind_of_learning_per_year(client, member, record):
    """2029: a National Meeting (12 h) and a webinar (1.5 h), plus a recording watched; 2030:
    a workshop. Each year totals its kinds separately, on the page and in the transcript."""
    watched = EventFactory(
        title="Zoning recording",
        slug="zoning-recording",
        starts_at=at(2029, 2, 1),
        ends_at=at(2029, 2, 1) + timedelta(hours=1),
        recording_url="https://video.example.org/zoning",
        recording_hours=Decimal("0.5"),
    )
    services.recording_view_record(user=member, event=watched, now=at(2029, 2, 5))
    client.force_login(member)

    html = client.get("/account/learning/").content.decode()

    assert "National Meetings: 12 h · Webinars: 1.5 h · Recordings watched: 0.5 h" in html
    assert "Workshops: 6.5 h" in html
    client.get("/account/learning/transcripts/2029.pdf")
    transcript = Certificate.objects.get(kind=Certificate.Kind.TRANSCRIPT, year=2029)
    assert [(s["label"], s["hours"]) for s in transcript.subtotals] == [
        ("National Meetings", Decimal("12")),
        ("Webinars", Decimal("1.5")),
        ("Recordings watched", Decimal("0.5")),
    ]
    text = document_text(certificate_document(transcript))
    assert "National Meetings 12 Webinars 1.5 Recordings watched 0.5 Total in 2029 14" in text
    page = client.get(f"/verify/{transcript.token}/").content.decode()
    assert "National Meetings</th>" in page and "Recordings watched</th>" in page
