"""Recordings watched through the site: /events/<slug>/recording/ records the view (members
only, http(s) or on-site addresses only) and the learning record counts it once, never on top
of attending the same event."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events import services
from events.certificates import certificate_document
from events.models import Certificate, RecordingView, Registration
from tests.events.factories import EventFactory
from tests.events.pdf import document_text

pytestmark = pytest.mark.django_db


def past_event(**fields):
    start = timezone.now() - timedelta(days=10)
    return EventFactory(
        **{
            "starts_at": start,
            "ends_at": start + timedelta(minutes=90),
            "recording_url": "https://video.example.org/watch/42",
            **fields,
        }
    )


@pytest.fixture
def event():
    return past_event(slug="curb-data", title="Curb data")


URL = "/events/curb-data/recording/"


def test_a_member_watches_the_recording_and_it_counts_once_with_the_events_hours(
    client, member, event
):
    client.force_login(member)

    page = client.get("/events/curb-data/").content.decode()
    first = client.get(URL)
    client.get(URL)

    assert f'href="{URL}"' in page and "video.example.org" not in page
    assert first.status_code == 302 and first["Location"] == "https://video.example.org/watch/42"
    assert "private" in first["Cache-Control"]
    assert RecordingView.objects.filter(user=member, event=event).count() == 1
    record = client.get("/account/learning/").content.decode()
    assert "Curb data" in record and "Watched the recording" in record
    assert "Recordings watched: 1.5 h" in record
    assert "/account/learning/certificates/curb-data.pdf" not in record  # attendance only


def test_staff_set_separate_recording_hours(client, member):
    past_event(slug="short-cut", recording_hours=Decimal("0.5"))
    client.force_login(member)

    client.get("/events/short-cut/recording/")

    assert "Recordings watched: 0.5 h" in client.get("/account/learning/").content.decode()


def test_attending_and_watching_the_same_event_counts_once_as_attended(client, member, event):
    registration = Registration.objects.create(
        event=event, user=member, status=Registration.Status.CONFIRMED
    )
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=event.starts_at)
    client.force_login(member)

    client.get(URL)

    record = client.get("/account/learning/").content.decode()
    assert "Checked in (also watched the recording)" in record
    assert "Recordings watched" not in record
    assert f"{event.local_starts_at.year}: 1.5 hours" in record


def test_anonymous_visitors_are_sent_to_log_in(client, event):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not RecordingView.objects.exists()


@pytest.mark.parametrize("persona", ["registered", "lapsed", "staff"])
def test_people_who_are_not_members_are_refused_with_a_reason(client, event, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(URL)

    assert response.status_code == 403
    assert "Recordings are for members" in response.content.decode()
    assert not RecordingView.objects.exists()


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(1)", "//evil.example.org/x", "/\\evil.example.org", "ftp://x.org/a", ""],
)
def test_never_an_open_redirect_nor_a_dangerous_address(client, member, address):
    past_event(slug="odd", recording_url=address)
    client.force_login(member)

    response = client.get("/events/odd/recording/")

    assert response.status_code == 404
    assert not RecordingView.objects.exists()


def test_a_recording_on_this_site_is_followed(client, member):
    past_event(slug="in-library", recording_url="/library/")
    client.force_login(member)

    response = client.get("/events/in-library/recording/")

    assert response.status_code == 302 and response["Location"] == "/library/"


def test_unknown_or_unpublished_events_are_not_found(client, member):
    past_event(slug="hidden", is_published=False)
    client.force_login(member)

    assert client.get("/events/nope/recording/").status_code == 404
    assert client.get("/events/hidden/recording/").status_code == 404


def test_transcript_lists_recordings_labelled_with_their_hours(client, member, event):
    member.first_name, member.last_name = "Alex", "Rivera"
    member.save()
    services.recording_view_record(user=member, event=event)
    year = timezone.localtime(RecordingView.objects.get().watched_at, event.zone).year
    client.force_login(member)

    response = client.get(f"/account/learning/transcripts/{year}.pdf")

    assert response.status_code == 200
    transcript = Certificate.objects.get(kind=Certificate.Kind.TRANSCRIPT)
    assert transcript.hours == Decimal("1.5")
    assert "watched the recording" in document_text(certificate_document(transcript))


def test_learning_record_queries_are_flat_with_ten_times_the_record(
    client, member, django_assert_num_queries
):
    from library import services as library_services
    from tests.civicnet.factories import make_home_page
    from tests.library.factories import make_library, make_resource

    library = make_library(make_home_page())

    def add(n):
        for _ in range(n):
            services.recording_view_record(user=member, event=past_event())
            library_services.reading_mark_done(user=member, resource=make_resource(library))

    client.force_login(member)
    add(1)
    client.get("/account/learning/")
    # Attended registrations, recordings watched with their events, readings with their
    # resources, valid certificates, the calendar feed; the person (one query with their
    # permission check, core.auth; the session is cached) and the base template's site.
    with django_assert_num_queries(6):
        client.get("/account/learning/")
    add(9)
    client.get("/account/learning/")  # publishing resources emptied the navigation's cache
    with django_assert_num_queries(6):
        html = client.get("/account/learning/").content.decode()
    assert html.count("Watched the recording") == 10 and html.count("Marked done") == 10


def test_data_export_lists_recordings_and_deletion_removes_them(client, member, event):
    from members.services import account_delete

    services.recording_view_record(user=member, event=event)
    client.force_login(member)

    data = client.get("/account/export.json").json()
    assert data["recordings_watched"][0]["event"] == "Curb data"

    account_delete(user=member)
    assert not RecordingView.objects.exists()
