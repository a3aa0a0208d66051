import pytest

from events.services import registration_create
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_account_dashboard_lists_the_persons_coming_registrations(client, member):
    event = EventFactory(title="Transit that works")
    registration_create(event=event, user=member)
    client.force_login(member)

    html = client.get("/account/").content.decode()

    assert "Your event registrations" in html
    assert "Transit that works" in html
    assert f"/events/{event.slug}.ics" in html


def test_account_dashboard_says_when_there_are_no_registrations(client, registered):
    client.force_login(registered)

    html = client.get("/account/").content.decode()

    assert "You have no upcoming registrations." in html
