"""The demo member finds My metro working on first sign-in: Cleveland against saved peers."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from members.demo import MEMBER_EMAIL
from tests.civicnet.test_demo import _files_in_tmp, demo  # noqa: F401 (fixtures)
from vitals.models import DividendScenario, PeerChoice

pytestmark = pytest.mark.django_db


def test_demo_member_sees_cleveland_against_their_saved_peers(demo, client):  # noqa: F811
    client.force_login(get_user_model().objects.get(email=MEMBER_EMAIL))

    html = client.get("/vitals/my-metro/").content.decode()

    assert "My metro: Cleveland, OH" in html
    assert "the 7 metros you chose" in html
    assert "Pittsburgh, PA" in html
    assert " of 8" in html  # ranked among its seven peers and itself
    brief = client.get("/vitals/my-metro/brief.pdf")
    assert brief.status_code == 200 and brief.content.startswith(b"%PDF")


def test_loading_the_demo_again_keeps_the_one_saved_choice(demo):  # noqa: F811
    choice = PeerChoice.objects.get(user__email=MEMBER_EMAIL)
    call_command("load_demo", force=True, stdout=io.StringIO())

    assert PeerChoice.objects.get() == choice
    assert choice.peer_metros.count() == 7


def test_demo_member_has_a_saved_dividend_scenario_once(demo, client):  # noqa: F811
    member = get_user_model().objects.get(email=MEMBER_EMAIL)
    scenario = DividendScenario.objects.get(user=member)
    client.force_login(member)

    html = client.get("/vitals/my-metro/").content.decode()
    assert "Two points more graduates" in html and "Live figures; constants version 1" in html
    brief = client.get(f"/vitals/my-metro/scenarios/{scenario.pk}/brief.pdf")
    assert brief.status_code == 200 and brief.content.startswith(b"%PDF")

    call_command("load_demo", force=True, stdout=io.StringIO())
    assert list(DividendScenario.objects.values_list("pk", flat=True)) == [scenario.pk]
