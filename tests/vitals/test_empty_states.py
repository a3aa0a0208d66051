"""Every City Vitals page and download renders sensibly (200 with an explanation, a redirect
to where the explanation is, or 404) whatever the data: an empty database, metros but no peer
groups, and an indicator without a figure."""

import pytest

from members.services import profile_update
from tests.vitals.factories import import_files, observations
from vitals.editions import edition_create, edition_publish
from vitals.models import Edition, Indicator, Metro, PeerGroup

pytestmark = pytest.mark.django_db

METRO = "alpha-ny"
INDICATOR = "college-attainment"
EMPTY_INDICATOR = "transit-use"  # imported, with no figure
URLS = [
    "/vitals/",
    "/vitals/?peer=all&year=2019&sort=college_attainment",
    "/vitals/rankings.csv",
    "/vitals/api/rankings.json",
    "/vitals/city-vitals.xlsx",
    "/vitals/methodology/",
    "/vitals/my-metro/",
    "/vitals/my-metro/brief.pdf",
    "/vitals/compare/",
    f"/vitals/compare/?metro={METRO}&metro=gamma-oh",
    "/vitals/dividends/",
    f"/vitals/metros/{METRO}/",
    f"/vitals/metros/{METRO}/dividends/",
    f"/vitals/metros/{METRO}/badge.svg",
    f"/vitals/metros/{METRO}/data.csv",
    f"/vitals/indicators/{INDICATOR}/",
    f"/vitals/indicators/{EMPTY_INDICATOR}/",
    f"/vitals/indicators/{EMPTY_INDICATOR}/?metro={METRO}&series=2019|acs1",
    "/vitals/editions/",
    "/vitals/editions/2026/",
    "/vitals/editions/2026/moved/",
    "/vitals/editions/2026/figures.csv",
    "/vitals/editions/2026/figures.json",
]


def _figures():
    report = import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.25,,acs1",
        )
    )
    assert report.ok, report.problems
    Indicator.objects.filter(code__in=["college_attainment", "transit_use"]).update(
        is_headline=True
    )


def empty():
    PeerGroup.objects.all().delete()


def metros_without_peer_groups():
    _figures()
    edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))
    PeerGroup.objects.all().delete()


def an_indicator_without_figures():
    _figures()
    edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))


STATES = {
    "empty": empty,
    "metros without peer groups": metros_without_peer_groups,
    "an indicator without figures": an_indicator_without_figures,
}


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("url", URLS)
def test_every_page_renders_sensibly_in_every_state(client, member, state, url):
    STATES[state]()
    home = Metro.objects.filter(cbsa_code="10001").first()
    if home:
        profile_update(user=member, home_metro=home)
    client.force_login(member)

    response = client.get(url)

    assert response.status_code in {200, 302, 404}, (state, url, response.status_code)
    if response.status_code == 302:
        assert response["Location"] == "/vitals/my-metro/", (state, url)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert b"vitals" in response.content


@pytest.mark.parametrize("url", [f"/vitals/metros/{METRO}/", f"/vitals/indicators/{INDICATOR}/"])
def test_without_peer_groups_the_pages_say_why_nothing_is_ranked(client, url):
    metros_without_peer_groups()

    response = client.get(url)

    assert response.status_code == 200
    assert b"No peer groups are set up yet, so nothing is ranked" in response.content


def test_rankings_and_downloads_without_peer_groups_explain_or_are_not_found(client):
    metros_without_peer_groups()

    assert b"No peer groups are set up yet" in client.get("/vitals/").content
    for url in ["/vitals/rankings.csv", "/vitals/api/rankings.json"]:
        assert client.get(url).status_code == 404
    Edition.objects.all().delete()  # editions keep their metros
    Metro.objects.all().delete()
    assert b"once City Vitals figures are imported" in client.get("/vitals/?again").content
