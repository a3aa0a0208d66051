import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.vitals.factories import import_files, observations
from vitals.dividends import least_squares
from vitals.editions import EditionError, edition_create, edition_publish
from vitals.models import (
    Edition,
    EditionFigure,
    EditionPosition,
    Indicator,
    Metro,
    Ranking,
)
from vitals.selectors.editions import CORRECTED, METHOD, NEW_DATA, OVERALL, edition_moves
from vitals.services import vitals_settings_changed

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
INCOME_SOURCE = "bea,BEA income,Bureau of Economic Analysis,https://www.bea.gov,Public domain\n"
INCOME_INDICATOR = (
    "per_capita_income,Per capita income,metropolitan_performance,usd_nominal,1,Income.\n"
)
# Four large metros (Alpha, Gamma, Delta, Epsilon) and a small one (Zeta).
ROWS_2018 = [
    "10001,college_attainment,2018,2018,0.40,0.01,acs1",
    "10002,college_attainment,2018,2018,0.30,0.01,acs1",
    "10003,college_attainment,2018,2018,0.35,,acs1",
    "10004,college_attainment,2018,2018,0.20,,acs1",
    "10005,college_attainment,2018,2018,0.50,,acs1",
    "10001,per_capita_income,2018,2018,70000,,bea",
    "10002,per_capita_income,2018,2018,52000,,bea",
    "10003,per_capita_income,2018,2018,61000,,bea",
    "10004,per_capita_income,2018,2018,45000,,bea",
]
ROWS_2019 = [
    "10001,college_attainment,2019,2019,0.40,0.01,acs1",
    "10002,college_attainment,2019,2019,0.45,0.01,acs1",  # Gamma: 3rd in 2018, 1st in 2019
    "10003,college_attainment,2019,2019,0.35,,acs1",
    "10004,college_attainment,2019,2019,0.20,,acs1",
    "10001,transit_use,2019,2019,0.01,,acs1",
    "10002,transit_use,2019,2019,0.02,,acs1",
    "10003,transit_use,2019,2019,0.04,,acs1",
    "10004,transit_use,2019,2019,0.03,,acs1",
    "10001,poverty_rate,2019,2019,0.15,,acs1",
    "10002,poverty_rate,2019,2019,0.10,,acs1",
    "10003,poverty_rate,2019,2019,0.20,,acs1",
    "10001,per_capita_income,2019,2019,72000,,bea",
    "10002,per_capita_income,2019,2019,60000,,bea",
    "10003,per_capita_income,2019,2019,62000,,bea",
    "10004,per_capita_income,2019,2019,46000,,bea",
]


MORE_METROS = "cbsa_code,name,pop_2023\n" + "".join(
    f'{20000 + n},"City{n}, OH",{1_000_000 + n}\n' for n in range(45)
)


def load(*rows, **extra):
    report = import_files(
        observations_csv=observations(*rows),
        **{
            "sources_bea.csv": "source_id,title,publisher,url,licence\n" + INCOME_SOURCE,
            "indicators_income.csv": "code,name,pillar,unit,higher_is_better,definition\n"
            + INCOME_INDICATOR,
            **extra,
        },
    )
    assert report.ok, report.problems
    return report


@pytest.fixture
def figures():
    load(*ROWS_2018, *ROWS_2019)
    Indicator.objects.filter(code__in=["college_attainment", "transit_use", "poverty_rate"]).update(
        is_headline=True
    )


def publish(title: str, slug: str, through: int | None = None) -> Edition:
    return edition_publish(edition=edition_create(title=title, slug=slug, data_through=through))


@pytest.fixture
def two_editions(figures):
    return publish("City Vitals 2025", "2025", 2018), publish("City Vitals 2026", "2026", 2019)


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


# --- freezing ------------------------------------------------------------------------------


def test_publishing_freezes_each_indicators_latest_series_up_to_the_last_data_year(
    two_editions,
):
    old, new = two_editions
    big = old.peer_groups.get(slug="1m-plus")
    assert {s.code: s.year for s in big.series.all()} == {
        "college_attainment": 2018,
        "per_capita_income": 2018,
    }
    gamma = EditionFigure.objects.get(
        series__peer_group=big, cbsa_code="10002", series__code="college_attainment"
    )
    assert (gamma.value, gamma.margin_of_error, gamma.rank, gamma.series.ranked_count) == (
        0.30,
        0.01,
        3,
        4,
    )
    big = new.peer_groups.get(slug="1m-plus")
    assert {s.code: s.year for s in big.series.all()} == {
        "college_attainment": 2019,
        "per_capita_income": 2019,
        "transit_use": 2019,
        "poverty_rate": 2019,
    }
    # Every live rank of those series is frozen, and an overall position per ranked metro.
    live = Ranking.objects.filter(peer_group=big.peer_group, year=2019).count()
    assert EditionFigure.objects.filter(series__peer_group=big).count() == live
    assert list(big.positions.values_list("metro__cbsa_code", "position")) == [
        ("10002", 1),
        ("10001", 2),
        ("10003", 3),
        ("10004", 4),
    ]
    assert new.published_at and new.ranking_method == 1


def test_publishing_runs_a_fixed_number_of_queries_with_ten_times_the_metros(figures):
    with CaptureQueriesContext(connection) as small:
        publish("City Vitals A", "a")
    rows = [f"{20000 + n},college_attainment,2019,2019,{(n % 97) / 100},,acs1" for n in range(45)]
    rows += [f"{20000 + n},per_capita_income,2019,2019,{40000 + n * 300},,bea" for n in range(45)]
    load(*rows, **{"more_metros.csv": MORE_METROS})
    assert Metro.objects.count() == 50

    with CaptureQueriesContext(connection) as large:
        edition = publish("City Vitals B", "b")

    assert EditionFigure.objects.filter(series__peer_group__edition=edition).count() > 10 * (
        EditionFigure.objects.filter(series__peer_group__edition__slug="a").count() // 4
    )
    assert len(large) == len(small.captured_queries)


def test_an_edition_is_published_once_and_a_published_one_is_never_deleted(two_editions):
    from vitals.editions import edition_delete

    old, _ = two_editions
    with pytest.raises(EditionError):
        edition_publish(edition=old)
    with pytest.raises(EditionError):
        edition_delete(edition=old)
    assert Edition.objects.filter(pk=old.pk).exists()


# --- immutability ----------------------------------------------------------------------------


def test_reimporting_a_corrected_figure_never_changes_a_published_edition(visitor, two_editions):
    # Gamma's 2019 attainment is corrected from 45% to 10%: live, it falls from 1st to 4th.
    load("10002,college_attainment,2019,2019,0.10,0.01,acs1")
    live = csv_rows(visitor.get("/vitals/rankings.csv?nocache=1"))
    assert {
        r["rank"]
        for r in live
        if r["cbsa_code"] == "10002" and r["indicator"] == "college_attainment"
    } == {"4"}

    html = visitor.get("/vitals/editions/2026/?indicator=college_attainment").content.decode()
    assert "45.0%" in html and "10.0%" not in html
    frozen = csv_rows(visitor.get("/vitals/editions/2026/figures.csv"))
    gamma = next(
        r for r in frozen if r["cbsa_code"] == "10002" and r["indicator"] == "college_attainment"
    )
    assert (gamma["value"], gamma["rank"], gamma["overall_position"]) == ("0.45", "1", "1")
    body = json.loads(visitor.get("/vitals/editions/2026/figures.json").content)
    gamma = next(
        r
        for r in body["rows"]
        if r["cbsa_code"] == "10002" and r["indicator"] == "college_attainment"
    )
    assert (gamma["value"], gamma["rank"]) == (0.45, 1)


# --- what moved -------------------------------------------------------------------------------


def by_key(moves):
    return {(m.metro.cbsa_code, m.indicator_code): m for m in moves}


def test_what_moved_says_new_data_corrected_data_and_method_change(two_editions):
    old, new = two_editions

    moves = by_key(edition_moves(new=new, old=old, peer_slug="1m-plus")["moves"])
    gamma = moves[("10002", "college_attainment")]
    assert (gamma.old_rank, gamma.new_rank, gamma.change, gamma.reason) == (3, 1, 2, NEW_DATA)
    assert "2018 figure → 2019 figure" in gamma.detail

    # An agency revises Delta's 2019 poverty rate; staff reverse transit's direction and
    # raise its method version. The next edition reports both, each with its own reason.
    load("10003,poverty_rate,2019,2019,0.05,,acs1")
    Indicator.objects.filter(code="transit_use").update(direction="lower", method_version=2)
    vitals_settings_changed(rebuild_rankings=True)
    newer = publish("City Vitals 2027", "2027", 2019)

    moves = by_key(edition_moves(new=newer, old=new, peer_slug="1m-plus")["moves"])
    delta = moves[("10003", "poverty_rate")]
    assert (delta.old_rank, delta.new_rank, delta.reason) == (3, 1, CORRECTED)
    assert "revised: 20.0% → 5.0%" in delta.detail
    gamma = moves[("10002", "poverty_rate")]  # its own figure stood; Delta's moved past it
    assert gamma.reason == CORRECTED and gamma.detail.startswith("own figure unchanged")
    delta_transit = moves[("10003", "transit_use")]
    assert (delta_transit.old_rank, delta_transit.new_rank, delta_transit.reason) == (1, 4, METHOD)
    assert "method version 1 → 2" in delta_transit.detail
    assert ("10001", "college_attainment") not in moves  # unchanged ranks are not listed
    alpha = moves[("10001", OVERALL)]  # transit now counts the other way: Alpha goes first
    assert (alpha.old_rank, alpha.new_rank, alpha.reason) == (2, 1, METHOD)


def test_what_moved_page_defaults_to_the_edition_before_and_sorts_biggest_first(
    visitor, two_editions
):
    response = visitor.get("/vitals/editions/2026/moved/")
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        'between <a href="/vitals/editions/2025/">City Vitals 2025</a> and City Vitals 2026' in html
    )
    assert "New data" in html and "2018 figure → 2019 figure" in html
    rows = html.split("<tbody>", 1)[1]
    assert rows.index("Gamma, OH") < rows.index("Delta, TX")  # 2 places beats 1
    only = visitor.get("/vitals/editions/2026/moved/?indicator=college_attainment&sort=metro")
    assert "Overall position" not in only.content.decode().split("<tbody>", 1)[1]
    assert (
        visitor.get("/vitals/editions/2025/moved/").status_code == 200
    )  # the first: nothing before
    assert b"is the first edition" in visitor.get("/vitals/editions/2025/moved/?x=1").content
    assert visitor.get("/vitals/editions/2025/moved/?since=2026").status_code == 404
    assert visitor.get("/vitals/editions/2026/moved/?since=nope").status_code == 404


# --- pages, citation, downloads ---------------------------------------------------------------


def test_edition_page_shows_frozen_rankings_with_peer_group_and_indicator_choice(
    visitor, two_editions
):
    html = visitor.get("/vitals/editions/2026/").content.decode()
    assert "City Vitals 2026" in html and "Data years: 2019" in html
    assert html.index("Gamma, OH") < html.index("Alpha-Beta, NY-NJ")

    html = visitor.get(
        "/vitals/editions/2025/?peer=all&indicator=college_attainment"
    ).content.decode()
    assert "Zeta, WA" in html and "50.0%" in html  # the small metro is in "all"
    assert "±1.0 pts" in html  # margins of error are frozen too, in percentage points
    assert visitor.get("/vitals/editions/2026/?indicator=nope").status_code == 404
    assert visitor.get("/vitals/editions/1999/").status_code == 404


def test_every_city_vitals_page_has_a_citation_line_naming_the_current_edition(
    visitor, two_editions
):
    live = [
        "/vitals/",
        "/vitals/metros/alpha-ny/",
        "/vitals/indicators/college-attainment/",
        "/vitals/compare/?metro=alpha-ny&metro=gamma-oh",
        "/vitals/methodology/",
        "/vitals/dividends/",
        "/vitals/metros/alpha-ny/dividends/",
        "/vitals/editions/",
    ]
    for url in live:
        html = visitor.get(url).content.decode()
        assert "Cite this page:" in html, url
        assert "Current edition: City Vitals 2026, published" in html, url
        assert 'href="/vitals/editions/2026/"' in html, url
    for url in ["/vitals/editions/2025/", "/vitals/editions/2026/moved/"]:
        html = visitor.get(url).content.decode()
        edition = "2025" if "2025/" in url else "2026"
        assert f"civicnet, City Vitals {edition}: " in html, url
        assert f"http://testserver{url}" in html, url


def test_every_download_carries_the_citation(visitor, two_editions):
    for url in [
        "/vitals/rankings.csv",
        "/vitals/metros/alpha-ny/data.csv",
        "/vitals/editions/2026/figures.csv",
    ]:
        rows = csv_rows(visitor.get(url))
        assert rows and all("City Vitals" in r["citation"] for r in rows), url
        assert list(rows[0])[-1] == "citation"  # the last column: readers keep working
    frozen = csv_rows(visitor.get("/vitals/editions/2025/figures.csv"))
    assert frozen[0]["citation"].startswith("civicnet, City Vitals 2025: ")
    assert "http://testserver/vitals/editions/2025/" in frozen[0]["citation"]

    live = json.loads(visitor.get("/vitals/api/rankings.json").content)
    assert "Current edition: City Vitals 2026" in live["citation"]
    frozen = json.loads(visitor.get("/vitals/editions/2025/figures.json").content)
    assert frozen["citation"]["title"] == "City Vitals 2025"
    assert frozen["citation"]["url"] == "http://testserver/vitals/editions/2025/"
    assert frozen["edition"]["data_through"] == 2018


@pytest.mark.usefixtures("site_evening")  # UTC's date is already the next day's
def test_an_edition_published_in_the_evening_is_dated_the_sites_day_everywhere(visitor, figures):
    publish("City Vitals 2026", "2026", 2019)
    day = f"{timezone.localdate():%-d %B %Y}"

    frozen = visitor.get("/vitals/editions/2026/").content.decode()
    assert f"City Vitals edition · published {day}" in frozen
    assert f"(edition published {day})" in frozen  # the citation line
    live = visitor.get("/vitals/").content.decode()
    assert f"Current edition: City Vitals 2026, published {day}." in live
    download = json.loads(visitor.get("/vitals/editions/2026/figures.json").content)
    assert download["citation"]["published"] == timezone.localdate().isoformat()


def test_live_pages_cite_no_edition_before_one_is_published(visitor, figures):
    html = visitor.get("/vitals/").content.decode()
    assert "No edition has been published yet." in html
    assert b"No edition has been published yet" in visitor.get("/vitals/editions/").content


def test_metro_cards_show_rank_movement_since_the_previous_edition(visitor, two_editions):
    html = visitor.get("/vitals/metros/gamma-oh/").content.decode()

    assert '▲</span> 2<span class="visually-hidden"> places up</span></span> since' in html
    assert ">City Vitals 2025</a>" in html
    link = "/vitals/editions/2026/moved/?since=2025&amp;metro=gamma-oh"
    assert link in html
    moved = visitor.get(link.replace("&amp;", "&")).content.decode().split("<tbody>", 1)[1]
    assert "Gamma, OH" in moved and "Delta, TX" not in moved


def test_badge_names_the_current_edition_and_the_data_years_it_holds(visitor, two_editions):
    svg = ET.fromstring(visitor.get("/vitals/metros/gamma-oh/badge.svg").content)  # noqa: S314
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "City Vitals 2026 · data 2019" in texts
    assert "#1" in texts
    assert "data years 2019" in svg.find(f"{SVG}desc").text


def test_badge_without_an_edition_says_it_is_live_and_its_data_years(visitor, figures):
    svg = ET.fromstring(visitor.get("/vitals/metros/gamma-oh/badge.svg").content)  # noqa: S314
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "City Vitals (live) · data 2019" in texts


# --- access ---------------------------------------------------------------------------------


def test_drafts_are_not_found_and_published_editions_are_open_to_everyone(
    client, registered, two_editions
):
    edition_create(title="City Vitals 2030", slug="2030")
    for url in [
        "/vitals/editions/2030/",
        "/vitals/editions/2030/moved/",
        "/vitals/editions/2030/figures.csv",
        "/vitals/editions/2030/figures.json",
    ]:
        assert client.get(url).status_code == 404, url
    assert b"City Vitals 2030" not in client.get("/vitals/editions/").content
    client.force_login(registered)
    assert client.get("/vitals/editions/2026/").status_code == 200
    assert client.get("/vitals/editions/2026/figures.json").status_code == 200


def test_only_staff_with_the_permission_publish_and_only_notes_change_after(
    client, registered, staff, figures
):
    assert client.get("/admin/vitals-editions/").status_code == 302  # to sign in
    client.force_login(registered)
    assert client.get("/admin/vitals-editions/").status_code in {302, 403}
    assert not Edition.objects.exists()

    client.force_login(staff)
    response = client.post(
        "/admin/vitals-editions/",
        {"action": "add", "title": "City Vitals 2026", "slug": "2026", "data_through": "2019"},
    )
    assert response.status_code == 302
    edition = Edition.objects.get(slug="2026")
    assert not edition.is_published
    client.post("/admin/vitals-editions/", {"action": "publish", "edition": edition.pk})
    edition.refresh_from_db()
    assert edition.is_published and edition.published_by_name == staff.get_username()

    client.post("/admin/vitals-editions/", {"action": "delete", "edition": edition.pk})
    client.post(
        "/admin/vitals-editions/", {"action": "notes", "edition": edition.pk, "notes": "Erratum."}
    )
    edition.refresh_from_db()
    assert edition.notes == "Erratum." and edition.is_published
    assert EditionPosition.objects.filter(peer_group__edition=edition).exists()
    response = client.post(
        "/admin/vitals-editions/",
        {"action": "add", "title": "Bad", "slug": "bad", "data_through": "20"},
    )
    assert response.status_code == 400 and b"between 1990 and 2100" in response.content
    assert (
        client.post("/admin/vitals-editions/", {"action": "publish", "edition": "x"}).status_code
        == 404
    )


# --- the Talent Dividend ------------------------------------------------------------------------


def test_an_edition_freezes_the_talent_slope_fitted_on_its_years(visitor, two_editions):
    old, new = two_editions
    slope = old.peer_groups.get(slug="1m-plus").talent_slope
    # Plain least squares on the 2018 figures of the four large metros, by hand.
    points = [(0.40, 70000), (0.30, 52000), (0.35, 61000), (0.20, 45000)]
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    by_hand = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    assert slope.year == 2018 and slope.metro_count == 4
    assert slope.dollars_per_point == pytest.approx(by_hand / 100)
    assert slope.r_squared == pytest.approx(least_squares(points).r_squared)

    # Re-importing income changes the live slope, never the edition's.
    load("10001,per_capita_income,2018,2018,90000,,bea")
    html = visitor.get("/vitals/dividends/?edition=2025").content.decode()
    assert f"${slope.dollars_per_point:,.0f}" in html
    assert "City Vitals 2025" in html and "Frozen" in html
    live = visitor.get("/vitals/metros/alpha-ny/dividends/?edition=2026").content.decode()
    frozen_2026 = new.peer_groups.get(slug="1m-plus").talent_slope
    assert frozen_2026.year == 2019 and f"${frozen_2026.dollars_per_point:,.0f}" in live
    assert visitor.get("/vitals/dividends/?edition=nope").status_code == 404


# --- query counts -------------------------------------------------------------------------------


def test_edition_pages_and_downloads_run_the_same_queries_with_ten_times_the_data(
    visitor, figures, django_capture_on_commit_callbacks
):
    urls = [
        "/vitals/editions/",
        "/vitals/editions/e2/",
        "/vitals/editions/e2/?indicator=college_attainment",
        "/vitals/editions/e2/moved/",
        "/vitals/editions/e2/figures.csv",
        "/vitals/editions/e2/figures.json",
        "/vitals/metros/alpha-ny/",
        "/vitals/metros/alpha-ny/badge.svg",
    ]
    publish("Edition one", "e1", 2018)
    publish("Edition two", "e2", 2019)
    visitor.get("/vitals/methodology/")  # warm Wagtail's site lookup
    before = [count_queries(visitor, url) for url in urls]
    # Pinned for the editions' own pages and files (the metro page only stays flat here:
    # its three edition queries are part of its own pin in test_pages).
    assert before[:6] + before[7:] == [2, 6, 7, 13, 2, 5, 5]

    # As in production, the import and the publishing clear what is cached (on commit).
    with django_capture_on_commit_callbacks(execute=True):
        load(
            *[
                f"{20000 + n},college_attainment,2018,2018,{(n % 97) / 100},,acs1"
                for n in range(45)
            ],
            *[
                f"{20000 + n},college_attainment,2019,2019,{(n % 89) / 100},,acs1"
                for n in range(45)
            ],
            *[f"{20000 + n},transit_use,2019,2019,{(n % 13) / 100},,acs1" for n in range(45)],
            **{"more_metros.csv": MORE_METROS},
        )
        Edition.objects.all().delete()
        publish("Edition one", "e1", 2018)
        publish("Edition two", "e2", 2019)
    assert EditionFigure.objects.filter(series__peer_group__edition__slug="e2").count() > 100
    visitor.get("/vitals/methodology/")  # warm the navigation and site lookup the clear dropped

    assert [
        count_queries(visitor, url + ("&" if "?" in url else "?") + "again=1") for url in urls
    ] == before
