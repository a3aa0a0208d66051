"""Members get more from City Vitals: My metro with saved peers, its PDF brief, the XLSX of
every figure; everyone else is told what members get."""

import io

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from members.services import profile_update
from tests.events.pdf import document_text
from tests.vitals.factories import import_files, observations
from vitals.briefs import brief_document
from vitals.editions import edition_create, edition_publish
from vitals.models import MAX_PEER_METROS, Indicator, Metro, Observation, PeerChoice, PeerGroup
from vitals.selectors import headline_indicators, my_metro_report
from vitals.selectors.editions import citation_text
from vitals.services import peer_choice_save

pytestmark = pytest.mark.django_db
URLS = ["/vitals/my-metro/", "/vitals/my-metro/brief.pdf", "/vitals/city-vitals.xlsx"]
# The user with their membership (the session comes from the cache), home metro (2), saved choice (2), indicators, the metro's figures,
# series counts, peers, their figures, national figures, editions, the form's metros and peer
# groups (read once each), the staff check.
MY_METRO_QUERIES = 15
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data():
    """Four large metros and one small one; three headline indicators. Gamma is home."""
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,0.02,acs1",
            "10003,college_attainment,2019,2019,0.30,,acs1",
            "10004,college_attainment,2019,2019,0.20,,acs1",
            "10005,college_attainment,2019,2019,0.50,,acs1",
            "10002,college_attainment,2017,2013-2017,0.25,0.03,acs5",
            "10001,transit_use,2019,2019,0.01,,acs1",
            "10002,transit_use,2019,2019,0.02,,acs1",
            "10003,transit_use,2019,2019,0.04,,acs1",
            "10004,transit_use,2019,2019,0.03,,acs1",
            "10001,poverty_rate,2019,2019,0.15,,acs1",
            "10002,poverty_rate,2019,2019,0.10,,acs1",
            "10003,poverty_rate,2019,2019,0.20,,acs1",
        )
    )
    Indicator.objects.filter(code__in=["college_attainment", "transit_use", "poverty_rate"]).update(
        is_headline=True
    )
    return {m.cbsa_code: m for m in Metro.objects.all()}


@pytest.fixture
def home_member(member, data):
    profile_update(user=member, home_metro=data["10002"])
    return member


# --- Who gets what -------------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url", URLS)
def test_signed_in_non_member_is_told_what_members_get_with_a_join_link(client, registered, url):
    client.force_login(registered)

    response = client.get(url)

    assert response.status_code == 403
    html = response.content.decode()
    assert "are for members" in html
    assert 'href="/membership/"' in html and "Become a member" in html
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("url", URLS)
def test_lapsed_member_is_offered_to_renew(client, lapsed, data, url):
    profile_update(user=lapsed, home_metro=data["10002"])
    client.force_login(lapsed)

    response = client.get(url)

    assert response.status_code == 403
    assert "Renew your membership" in response.content.decode()
    assert "Gamma" not in response.content.decode()


@pytest.mark.parametrize("persona", ["member", "staff"])
@pytest.mark.parametrize("url", URLS)
def test_members_and_staff_get_the_tools(client, request, data, persona, url):
    user = request.getfixturevalue(persona)
    profile_update(user=user, home_metro=data["10002"])
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if url.endswith(".pdf"):
        assert body.startswith(b"%PDF")
    elif url.endswith(".xlsx"):
        assert response["Content-Type"] == XLSX_TYPE
        assert body.startswith(b"PK")  # a zip, as every XLSX
    else:
        assert "My metro: Gamma, OH" in body.decode()


def test_rankings_and_metro_pages_tell_visitors_what_members_get(client, data):
    for url in ["/vitals/", "/vitals/metros/gamma-oh/"]:
        html = client.get(url).content.decode()
        assert "More for members" in html
        assert 'href="/vitals/my-metro/"' in html
        assert 'href="/membership/"' in html


# --- My metro ------------------------------------------------------------------------------


def test_my_metro_compares_the_home_metro_with_the_default_peer_group(client, home_member):
    client.force_login(home_member)

    html = client.get("/vitals/my-metro/").content.decode()

    assert "metros of 1 million or more (3 other metros)" in html
    # College attainment: Gamma 30% (±2.0 pts, 2019 1-year) against Alpha 40, Delta 30,
    # Epsilon 20: second of four (sharing it with Delta), median 30%, best Alpha.
    assert "30.0%" in html and "±2.0 pts" in html
    assert "2 of 4" in html
    assert "40.0%" in html and "Alpha-Beta, NY-NJ" in html
    # Poverty (lower is better): 10% beats Alpha 15 and Delta 20; median 17.5%.
    assert "1 of 3" in html and "17.5%" in html
    # Transit: 2% against 1, 4, 3: third of four; best Delta 4%.
    assert "3 of 4" in html
    assert "no national figure yet" in html
    assert "no earlier edition to compare" in html


def test_report_ranks_the_latest_series_and_keeps_ties_on_the_better_rank(home_member, data):
    report = my_metro_report(
        metro=data["10002"],
        indicators=headline_indicators(),
        peer_group=PeerGroup.objects.get(slug="1m-plus"),
    )

    rows = {row.indicator.code: row for row in report["rows"]}
    college = rows["college_attainment"]
    assert (college.figure.year, college.figure.value, college.figure.margin_of_error) == (
        2019,
        0.30,
        0.02,
    )
    assert (college.rank, college.ranked_of, college.peer_median) == (2, 4, 0.30)
    assert (college.best_metro.name, college.best_value) == ("Alpha-Beta, NY-NJ", 0.40)
    assert rows["poverty_rate"].rank == 1
    assert rows["poverty_rate"].peer_median == pytest.approx(0.175)
    assert rows["transit_use"].best_metro.name == "Delta, TX"
    assert college.national is None and college.movement is None


def test_member_saves_their_own_peer_list_and_sees_it(client, home_member, data):
    client.force_login(home_member)

    response = client.post(
        "/vitals/my-metro/",
        {"metro": "", "compare_with": "list", "peer_metros": ["zeta-wa", "alpha-ny", "gamma-oh"]},
    )

    assert response.status_code == 302 and response["Location"] == "/vitals/my-metro/"
    choice = PeerChoice.objects.get(user=home_member)
    assert choice.metro is None and choice.peer_group is None
    # The home metro is always compared, so it is not one of its own peers.
    assert {m.slug for m in choice.peer_metros.all()} == {"zeta-wa", "alpha-ny"}
    html = client.get("/vitals/my-metro/").content.decode()
    assert "Your metro and peers are saved." in html
    assert "the 2 metros you chose" in html
    assert "3 of 3" in html  # college: Zeta 50%, Alpha 40%, Gamma 30%
    assert 'value="zeta-wa" selected' in html  # the form shows what was saved


def test_member_picks_another_metro_and_a_peer_group(client, home_member, data):
    client.force_login(home_member)

    client.post(
        "/vitals/my-metro/",
        {"metro": "delta-tx", "compare_with": "group", "peer_group": "all"},
    )

    choice = PeerChoice.objects.get(user=home_member)
    assert (choice.metro.slug, choice.peer_group.slug) == ("delta-tx", "all")
    html = client.get("/vitals/my-metro/").content.decode()
    assert "My metro: Delta, TX" in html
    assert "all metropolitan areas (4 other metros)" in html


def test_saving_again_replaces_the_choice(home_member, data):
    peer_choice_save(user=home_member, metro=None, peer_metros=[data["10001"], data["10003"]])
    peer_choice_save(user=home_member, metro=None, peer_group=PeerGroup.objects.get(slug="all"))

    choice = PeerChoice.objects.get(user=home_member)
    assert choice.peer_group.slug == "all" and not choice.peer_metros.exists()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"metro": "atlantis", "compare_with": "group", "peer_group": "all"}, "valid choice"),
        ({"metro": "", "compare_with": "group", "peer_group": "nope"}, "valid choice"),
        ({"metro": "", "compare_with": "list", "peer_metros": ["x<script>"]}, "valid choice"),
        ({"metro": "", "compare_with": "list"}, "Choose at least one peer metro."),
        ({"metro": "", "compare_with": "sideways"}, "valid choice"),
        ({"metro": ["a", "b"], "peer_metros": "?" * 5000}, "valid choice"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_saves_nothing(client, home_member, post, message):
    client.force_login(home_member)

    response = client.post("/vitals/my-metro/", post)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PeerChoice.objects.exists()


def test_more_than_fifteen_peers_is_refused(client, home_member):
    metros = "".join(f'{20000 + n},"Town{n}, OH",{1_000_000 + n}\n' for n in range(16))
    import_files(**{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros})
    client.force_login(home_member)
    slugs = list(Metro.objects.filter(name__startswith="Town").values_list("slug", flat=True))

    response = client.post("/vitals/my-metro/", {"compare_with": "list", "peer_metros": slugs})

    assert response.status_code == 400
    assert f"Choose at most {MAX_PEER_METROS} peer metros (you chose 16)" in (
        response.content.decode()
    )
    assert not PeerChoice.objects.exists()


def test_a_member_without_a_home_metro_is_asked_to_choose_one(client, member, data):
    client.force_login(member)

    html = client.get("/vitals/my-metro/").content.decode()
    assert "your profile names no home metro yet" in html
    response = client.post("/vitals/my-metro/", {"compare_with": "group", "peer_group": "all"})
    assert response.status_code == 400
    assert "Choose a metro: your profile names no home metro." in response.content.decode()
    brief = client.get("/vitals/my-metro/brief.pdf")
    assert brief.status_code == 302 and brief["Location"] == "/vitals/my-metro/"


def test_garbage_in_the_query_string_is_ignored(client, home_member):
    client.force_login(home_member)

    for query in ["?metro=atlantis", "?peer=%ff%fe&compare_with=zzz", "?x=" + "y" * 3000]:
        assert client.get("/vitals/my-metro/" + query).status_code == 200
        assert client.get("/vitals/my-metro/brief.pdf" + query).status_code == 200
    assert client.put("/vitals/my-metro/").status_code == 405
    assert client.post("/vitals/my-metro/brief.pdf").status_code == 405


# --- The brief -----------------------------------------------------------------------------


def test_brief_is_a_real_pdf_of_the_metro_against_its_peers(client, home_member, data):
    peer_choice_save(user=home_member, metro=None, peer_metros=[data["10001"], data["10005"]])
    client.force_login(home_member)

    response = client.get("/vitals/my-metro/brief.pdf")

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="civicnet-city-vitals-brief-gamma-oh.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    report = my_metro_report(
        metro=data["10002"], indicators=headline_indicators(), peer_metros=[data["10001"]]
    )
    document = brief_document(report, page_url="https://example.org/vitals/my-metro/")
    assert len(document.pages) == 1
    text = document_text(document)
    assert "Gamma, OH" in text
    assert "College attainment" in text and "2 of 2" in text
    assert "±2.0 pts" in text
    assert "American Community Survey" in text or "ACS 1-year" in text


# --- The workbook --------------------------------------------------------------------------


def _workbook(client):
    response = client.get("/vitals/city-vitals.xlsx")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


def test_workbook_holds_every_figure_with_its_margin_and_source(client, home_member, data):
    client.force_login(home_member)

    book = _workbook(client)

    assert book.sheetnames == ["About", "Figures", "Indicators", "Sources"]
    about = list(book["About"].iter_rows(values_only=True))
    assert about[1][0] == "Cite as" and "civicnet, City Vitals" in about[1][1]
    figures = list(book["Figures"].iter_rows(values_only=True))
    header, rows = figures[0], figures[1:]
    assert len(rows) == Observation.objects.count()
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert {r["indicator"] for r in records} == set(
        Observation.objects.values_list("indicator__code", flat=True)
    )
    alpha = next(
        r
        for r in records
        if r["metro"] == "Alpha-Beta, NY-NJ" and r["indicator"] == "college_attainment"
    )
    assert (alpha["year"], alpha["value"], alpha["margin_of_error"], alpha["source"]) == (
        2019,
        0.40,
        0.01,
        "acs1",
    )
    indicators = [row[0] for row in book["Indicators"].iter_rows(min_row=2, values_only=True)]
    assert sorted(indicators) == sorted(Indicator.objects.values_list("code", flat=True))
    sources = {row[0]: row for row in book["Sources"].iter_rows(min_row=2, values_only=True)}
    assert sources["acs1"][2] == "U.S. Census Bureau"


def test_workbook_is_kept_until_the_figures_or_their_names_change(
    client, home_member, data, django_assert_num_queries
):
    client.force_login(home_member)
    _workbook(client)

    with django_assert_num_queries(8):  # the cached file: no read of the figures
        _workbook(client)
    import_files(observations_csv=observations("10005,transit_use,2019,2019,0.07,0.005,acs1"))
    rows = list(_workbook(client)["Figures"].iter_rows(values_only=True))
    assert ("Zeta, WA", "transit_use", 2019, 0.07, 0.005) in [
        (r[1], r[2], r[6], r[8], r[9]) for r in rows
    ]
    Indicator.objects.filter(code="transit_use").update(name="Public transit use")
    rows = list(_workbook(client)["Figures"].iter_rows(values_only=True))
    assert "Public transit use" in {r[3] for r in rows}


def test_workbook_cites_like_the_csv_and_json_and_a_new_edition_renews_it(
    client, home_member, data
):
    client.force_login(home_member)

    def cite_as():
        return list(_workbook(client)["About"].iter_rows(values_only=True))[1][1]

    url = settings.SITE_URL + "/vitals/city-vitals.xlsx"
    assert cite_as().startswith(citation_text(edition=None, url=url, title="Every figure (XLSX)"))
    edition = edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))

    text = cite_as()  # the cached file named no edition: a new one is built
    assert text == citation_text(edition=edition, url=url, title="Every figure (XLSX)") + (
        f" Downloaded {timezone.localdate():%-d %B %Y}."
    )
    assert "Current edition: City Vitals 2026, published" in text


# --- Query counts --------------------------------------------------------------------------


def _ten_times_more():
    rows = [
        f"{20000 + n},college_attainment,2019,2019,{(n % 97) / 100},,acs1" for n in range(45)
    ] + [f"{20000 + n},transit_use,{2010 + n % 10},{2010 + n % 10},0.05,,acs1" for n in range(45)]
    metros = "".join(f'{20000 + n},"City{n}, OH",{1_000_000 + n}\n' for n in range(45))
    import_files(
        observations_csv=observations(*rows),
        **{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros},
    )
    assert Metro.objects.count() == 50


def test_my_metro_query_count_is_pinned_and_flat_with_ten_times_the_data(
    client, home_member, data, django_assert_num_queries
):
    peer_choice_save(user=home_member, metro=None, peer_metros=[data["10001"], data["10005"]])
    client.force_login(home_member)
    client.get("/vitals/my-metro/")  # fills what a visit fills (the navigation fragment)

    with django_assert_num_queries(MY_METRO_QUERIES):
        client.get("/vitals/my-metro/")
    with django_assert_num_queries(9):
        client.get("/vitals/city-vitals.xlsx")
    _ten_times_more()
    peer_choice_save(user=home_member, metro=None, peer_group=PeerGroup.objects.get(slug="1m-plus"))
    with django_assert_num_queries(MY_METRO_QUERIES):
        html = client.get("/vitals/my-metro/").content.decode()
    assert "(48 other metros)" in html
    with django_assert_num_queries(9):
        client.get("/vitals/city-vitals.xlsx")
