"""Marking a library resource done: a members-only POST button on the resource page that puts a
reading, with the resource's hours, on the member's learning record."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from library import services
from library.models import ReadingDone
from tests.library.factories import make_library, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(home_page):
    return make_library(home_page)


@pytest.fixture
def resource(library):
    return make_resource(library, title="Parking reform handbook", slug="parking-reform")


DONE_URL = "/library/parking-reform/done/"


@pytest.mark.usefixtures("site_evening")  # the day people see is the site's, not UTC's
def test_a_member_marks_a_resource_done_and_it_is_on_the_learning_record(client, member, resource):
    client.force_login(member)

    page = client.get(resource.url).content.decode()
    response = client.post(DONE_URL, {"action": "done"})

    assert f'action="{DONE_URL}"' in page and "Mark as done" in page
    assert response.status_code == 302 and response["Location"] == "/library/parking-reform/"
    reading = ReadingDone.objects.get(user=member, resource=resource)
    assert timezone.localtime(reading.done_at).date() == timezone.localdate()
    today = f'You marked this done on <time datetime="{timezone.localdate():%Y-%m-%d}">'
    assert today in client.get(resource.url).content.decode()
    record = client.get("/account/learning/").content.decode()
    assert "Parking reform handbook" in record and "Library reading" in record
    assert "Library readings: 0.5 h" in record and "Marked done" in record


def test_marking_done_twice_keeps_the_first_date_and_undo_takes_it_back(client, member, resource):
    earlier = timezone.now() - timedelta(days=3)
    services.reading_mark_done(user=member, resource=resource, now=earlier)
    client.force_login(member)

    client.post(DONE_URL, {"action": "done"})
    assert ReadingDone.objects.get(user=member).done_at == earlier

    assert "You marked this done on" in client.get(resource.url).content.decode()
    client.post(DONE_URL, {"action": "undo"})
    assert not ReadingDone.objects.filter(user=member).exists()
    assert "Mark as done" in client.get(resource.url).content.decode()  # not a cached answer
    assert "Parking reform handbook" not in client.get("/account/learning/").content.decode()


def test_staff_set_the_hours_a_reading_earns(client, member, resource):
    resource.reading_hours = Decimal("2.0")
    resource.save_revision().publish()
    services.reading_mark_done(user=member, resource=resource)
    client.force_login(member)

    record = client.get("/account/learning/").content.decode()

    assert f"{timezone.localdate().year}: 2 hours" in record


def test_anonymous_visitors_are_sent_to_log_in(client, resource):
    response = client.post(DONE_URL, {"action": "done"})

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ReadingDone.objects.exists()


@pytest.mark.parametrize("persona", ["registered", "lapsed", "staff"])
def test_people_who_are_not_members_are_refused_with_a_reason(client, resource, persona, request):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(resource.url).content.decode()
    response = client.post(DONE_URL, {"action": "done"})

    assert "Mark as done" not in page
    assert response.status_code == 403
    assert "Marking resources done is for members" in response.content.decode()
    assert not ReadingDone.objects.exists()


def test_bad_input_is_a_clear_4xx(client, member, resource, library):
    client.force_login(member)

    assert client.get(DONE_URL).status_code == 405
    bad = client.post(DONE_URL, {"action": "maybe"})
    assert bad.status_code == 400 and "Say whether you finished" in bad.content.decode()
    assert client.post("/library/no-such-thing/done/", {"action": "done"}).status_code == 404
    draft = make_resource(library, slug="draft-one", publish=False)
    assert client.post(f"/library/{draft.slug}/done/", {"action": "done"}).status_code == 404
    assert not ReadingDone.objects.exists()


def test_the_button_needs_a_csrf_token(member, resource):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)

    assert browser.post(DONE_URL, {"action": "done"}).status_code == 403
    assert not ReadingDone.objects.exists()


def test_data_export_lists_readings_and_deletion_removes_them(client, member, resource):
    from members.services import account_delete

    services.reading_mark_done(user=member, resource=resource)
    client.force_login(member)

    data = client.get("/account/export.json").json()
    assert data["readings_done"][0]["resource"] == "Parking reform handbook"
    assert data["readings_done"][0]["url"] == "/library/parking-reform/"

    account_delete(user=member)
    assert not ReadingDone.objects.exists()


def test_demo_member_has_one_reading_done_however_often_the_demo_loads(home_page):
    import io

    from library import demo
    from tests.members.factories import make_member

    member = make_member(email=demo.MEMBER_EMAIL)
    for _ in range(2):
        demo.load(io.StringIO())

    readings = ReadingDone.objects.filter(user=member).select_related("resource")
    assert [r.resource.slug for r in readings] == ["bus-network-redesign-playbook"]
