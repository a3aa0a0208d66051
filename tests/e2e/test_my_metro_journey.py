"""Browser journey: a member saves their own peers on My metro and sees their metro ranked
against them, on a phone (390 px) and a desktop (1280 px)."""

import pytest
from django.test import Client

from members.services import profile_update
from tests.e2e.conftest import serious_accessibility_violations
from tests.vitals.factories import import_files, observations
from vitals.models import Indicator, Metro, PeerChoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [
    pytest.param({"width": 390, "height": 844}, id="390"),
    pytest.param({"width": 1280, "height": 900}, id="1280"),
]


@pytest.fixture
def vitals_data():
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,0.02,acs1",
            "10003,college_attainment,2019,2019,0.25,,acs1",
            "10004,college_attainment,2019,2019,0.20,,acs1",
            "10005,college_attainment,2019,2019,0.50,,acs1",
            "10001,transit_use,2019,2019,0.01,,acs1",
            "10002,transit_use,2019,2019,0.02,,acs1",
            "10005,transit_use,2019,2019,0.03,,acs1",
        )
    )
    Indicator.objects.filter(code__in=["college_attainment", "transit_use"]).update(
        is_headline=True
    )


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.parametrize("viewport", WIDTHS)
def test_member_saves_peers_and_sees_my_metro(
    page, live_server, member, vitals_data, artifacts, viewport
):
    page.set_viewport_size(viewport)
    profile_update(user=member, home_metro=Metro.objects.get(cbsa_code="10002"))
    sign_in(page, live_server, member)

    page.goto("/vitals/my-metro/")
    assert page.get_by_role("heading", level=1).inner_text() == "My metro: Gamma, OH"
    # The home metro starts against the default peer group (metros of a million or more).
    assert "metros of 1 million or more" in page.locator(".my-metro__against").inner_text()

    page.get_by_label("Metros I choose").check()
    page.get_by_label("Peer metros (up to 15)").select_option(["zeta-wa", "alpha-ny"])
    page.get_by_role("button", name="Save my metro and peers").click()
    page.wait_for_url("**/vitals/my-metro/")

    assert page.get_by_text("Your metro and peers are saved.").is_visible()
    assert "the 2 metros you chose" in page.locator(".my-metro__against").inner_text()
    college = page.locator(".my-metro-card", has_text="College attainment")
    assert college.get_by_text("3 of 3").is_visible()  # Zeta 50%, Alpha 40%, Gamma 30%
    assert college.get_by_text("±2.0 pts", exact=False).is_visible()
    assert college.get_by_text("Zeta, WA").is_visible()  # the best peer
    assert {m.slug for m in PeerChoice.objects.get(user=member).peer_metros.all()} == {
        "zeta-wa",
        "alpha-ny",
    }
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / f"vitals-my-metro-{viewport['width']}.png", full_page=True)
    assert page.get_by_role("link", name="Download the brief (PDF)").is_visible()
