"""Honest series: national figures, change within one declared series, all six areas, and a
methodology page in words a reader can trust."""

import html as html_lib
import io
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from members.services import profile_update
from tests.vitals.factories import import_files, observations
from vitals.changes import series_changes
from vitals.models import Area, Indicator, Metro, NationalFigure, Observation, Ranking

pytestmark = pytest.mark.django_db

ROWS = [
    "10001,college_attainment,2019,2019,0.40,0.01,acs1",
    "10002,college_attainment,2019,2019,0.30,0.01,acs1",
    "10003,college_attainment,2019,2019,0.25,,acs1",
    "10004,college_attainment,2019,2019,0.20,,acs1",
    "10001,college_attainment,2012,2008-2012,0.30,0.01,acs5",
    "10001,college_attainment,2016,2012-2016,0.34,0.01,acs5",
    "10001,college_attainment,2017,2013-2017,0.35,0.01,acs5",
    "10002,college_attainment,2012,2008-2012,0.29,0.02,acs5",
    "10002,college_attainment,2017,2013-2017,0.30,0.02,acs5",
    "10001,transit_use,2019,2019,0.01,,acs1",
    "10002,transit_use,2019,2019,0.02,,acs1",
    "10003,transit_use,2019,2019,0.04,,acs1",
    "10004,transit_use,2019,2019,0.03,,acs1",
    "US,college_attainment,2019,2019,0.33,0.001,acs1",
    "US,college_attainment,2018,2018,0.32,0.001,acs1",
    "US,transit_use,2018,2018,0.05,0.001,acs1",
]


@pytest.fixture
def series_data():
    report = import_files(observations_csv=observations(*ROWS))
    assert report.ok, report.problems
    Indicator.objects.filter(code__in=["college_attainment", "transit_use"]).update(
        is_headline=True
    )
    Indicator.objects.filter(code="college_attainment").update(change_series="ACS 5-year")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text).replace(" .", ".").replace("( ", "(").replace(" )", ")")


def card(page: str, code: str) -> str:
    """The text of one headline card of a metro page."""
    start = page.index(f'aria-labelledby="card-{code}"')
    return visible_text(page[start : page.index("</article>", start)])


# National figures


def test_national_rows_are_stored_as_national_figures_never_as_a_metro(visitor, series_data):
    assert NationalFigure.objects.count() == 3
    us = NationalFigure.objects.get(indicator__code="college_attainment", year=2019)
    assert (us.value, us.margin_of_error, us.source.code) == (0.33, 0.001, "acs1")
    assert not Metro.objects.filter(cbsa_code="US").exists()
    assert not Observation.objects.filter(metro__cbsa_code="US").exists()
    assert Ranking.objects.filter(indicator__code="college_attainment", year=2019).count() == 4 * 2
    assert "United States" not in visitor.get("/vitals/").content.decode()
    assert "United States" not in visitor.get("/vitals/rankings.csv").content.decode()
    assert "/vitals/metros/us" not in visitor.get("/sitemap.xml").content.decode().lower()


def test_a_bad_national_row_names_its_row_and_column_and_changes_nothing(series_data):
    before = sorted(NationalFigure.objects.values_list("indicator__code", "year", "value"))
    observations_before = Observation.objects.count()

    report = import_files(
        observations_csv=observations(
            "US,college_attainment,2017,2017,0.31,,acs1",
            "US,college_attainment,2016,2016,1.7,,acs1",
        )
    )

    assert [str(p) for p in report.problems] == [
        "observations.csv, row 3, column value: 1.7 is not plausible for college_attainment: "
        "a share must lie between 0 and 1"
    ]
    assert sorted(NationalFigure.objects.values_list("indicator__code", "year", "value")) == before
    assert Observation.objects.count() == observations_before


def test_reimporting_national_figures_changes_nothing_and_a_correction_is_reported(series_data):
    report = import_files(observations_csv=observations(*ROWS))
    assert report.counts["national figures"].unchanged == 3
    assert (report.counts["observations"].created, report.counts["observations"].updated) == (0, 0)

    corrected = [
        r.replace("US,transit_use,2018,2018,0.05", "US,transit_use,2018,2018,0.06") for r in ROWS
    ]
    report = import_files(observations_csv=observations(*corrected))

    assert report.counts["national figures"].updated == 1
    assert [(c.metro, c.old_value, c.new_value) for c in report.corrections] == [
        ("United States", 0.05, 0.06)
    ]
    assert NationalFigure.objects.get(indicator__code="transit_use").value == 0.06


def test_the_national_figure_is_labelled_with_its_year_on_cards_charts_and_indicator_pages(
    visitor, series_data
):
    page = visitor.get("/vitals/metros/alpha-ny/").content.decode()

    assert "US 2019: 33.0%" in card(page, "college_attainment")
    # No national transit figure for 2019: the page says so, and names the year it has.
    assert "No national figure for 2019 (latest: US 2018, 5.0%)" in card(page, "transit_use")
    assert "United States, ACS 1-year" in page  # the dashed national line of the trend chart

    indicator = visitor.get("/vitals/indicators/college-attainment/").content.decode()
    assert "US 2019: 33.0%" in visible_text(indicator)
    assert "United States (2019)" in indicator  # its bar among the ranked metros
    assert "chart__bar--national" in indicator
    older = visitor.get("/vitals/indicators/college-attainment/?series=2017|acs5").content
    # The nation has no ACS 5-year figure: no 1-year national figure is passed off as one.
    assert "chart__bar--national" not in older.decode()
    assert "No national figure for 2017" in visible_text(older.decode())


def test_the_distribution_marks_the_national_figure_of_its_year_and_series_only(
    visitor, series_data
):
    page = visitor.get("/vitals/indicators/college-attainment/").content.decode()

    chart = page[page.index('<figure class="chart">') : page.index("</figure>")]
    assert chart.count('class="chart__national"') == 1
    assert re.search(r'class="chart__national-label"[^>]*>US 2019: 33.0%</text>', chart)
    assert "A dashed line marks the national figure, US 2019: 33.0%." in chart  # its <desc>
    text = visible_text(page)
    assert "Dashed line: the national figure, US 2019: 33.0%, in the band 32.5% to 35.0%." in text
    # In the data table too, not counted among the metros.
    assert (
        "United States (national figure, not counted): US 2019: 33.0%, in the band 32.5% to 35.0%"
        in text
    )

    # No national figure of the distribution's year (transit: 2018 only) or series (ACS 5-year).
    for url in [
        "/vitals/indicators/transit-use/",
        "/vitals/indicators/college-attainment/?series=2017|acs5",
    ]:
        page = visitor.get(url).content.decode()
        assert "chart__national" not in page and "Dashed line" not in page, url


@pytest.mark.parametrize(
    "url",
    [
        "/vitals/",
        "/vitals/compare/?metro=alpha-ny&metro=gamma-oh",
        "/vitals/indicators/college-attainment/",
        "/vitals/metros/alpha-ny/",
        "/vitals/my-metro/",
    ],
)
def test_every_page_showing_a_metro_figure_shows_the_national_figure_of_its_year(
    client, member, series_data, url
):
    profile_update(user=member, home_metro=Metro.objects.get(cbsa_code="10001"))
    client.force_login(member)

    text = visible_text(client.get(url).content.decode())

    # The 2019 ACS 1-year figures sit beside the nation's 2019 ACS 1-year figure; transit has
    # only a 2018 national figure, shown with its year.
    assert "US 2019: 33.0%" in text or "United States 33.0% 2019" in text
    if "indicators" not in url:
        assert re.search(r"US 2018[:,] 5.0%|United States 5.0% 2018", text)


def test_compare_charts_and_the_json_download_carry_the_national_figure(visitor, series_data):
    page = visitor.get("/vitals/compare/?metro=alpha-ny&metro=gamma-oh").content.decode()
    assert "United States (2019)" in page
    assert "US 2018: 5.0% (no 2019 figure)" in visible_text(page)

    body = visitor.get("/vitals/api/rankings.json").json()
    national = {i["code"]: i["national"] for i in body["indicators"]}
    assert national["college_attainment"] == {
        "year": 2019,
        "period": "2019",
        "value": 0.33,
        "margin_of_error": 0.001,
    }
    assert national["transit_use"] is None  # no 2019 national figure: none passed off as one


@pytest.mark.parametrize("unit", Indicator.Unit.values)
def test_every_unit_label_names_the_unit_its_figures_are_written_in(unit):
    indicator = Indicator(unit=unit)
    written = indicator.format_value(0.25)
    label = indicator.unit_label

    assert ("%" in label) == written.endswith("%")
    assert ("$" in label) == written.startswith("$")
    assert "0 to 1" not in label


def test_indicator_page_unit_and_margins_read_like_the_figures(visitor, series_data):
    text = visible_text(visitor.get("/vitals/indicators/college-attainment/").content.decode())

    assert "Unit Percent (%)" in text and "Unit Share" not in text
    assert "40.0%" in text and "±1.0 pts" in text  # a share's margin is in percentage points
    assert "±1.0%" not in text


# Change over time within the declared series


def test_the_card_compares_within_the_declared_series_and_shows_the_years(visitor, series_data):
    text = card(visitor.get("/vitals/metros/alpha-ny/").content.decode(), "college_attainment")

    assert "no earlier figure" not in text
    assert "Change since 2008–2012 (ACS 5-year)" in text
    assert "+5.0 pts, 2008–2012 to 2013–2017 (larger than the margin of error)" in text
    assert (
        "ACS 5-year periods overlap (2012–2016 and 2013–2017); "
        "compare 2008–2012 with 2013–2017 instead." in text
    )
    assert "The series starts with 2008–2012." in text


def test_a_change_smaller_than_its_margin_of_error_says_so(visitor, series_data):
    text = card(visitor.get("/vitals/metros/gamma-oh/").content.decode(), "college_attainment")

    # +1.0 point, but sqrt(0.02² + 0.02²) = 2.8 points
    assert (
        "+1.0 pts, 2008–2012 to 2013–2017 (within the margin of error: not a clear change)" in text
    )


def test_a_series_of_one_year_says_why_there_is_no_change(visitor, series_data):
    text = card(visitor.get("/vitals/metros/alpha-ny/").content.decode(), "transit_use")

    assert "Only one year in this series (ACS 1-year, 2019)." in text
    assert "no earlier figure" not in text


def figure(year, value, moe=None, period=None, series="ACS 1-year"):
    return SimpleNamespace(
        year=year,
        value=value,
        margin_of_error=moe,
        period=period or str(year),
        source=SimpleNamespace(series_name=series),
    )


def test_the_margin_of_error_rule_is_the_census_test_at_ninety_percent():
    # |Δ| must exceed sqrt(moe1² + moe2²): here sqrt(0.03² + 0.04²) = 0.05
    clear = series_changes([figure(2014, 0.30, 0.03), figure(2019, 0.351, 0.04)], "ACS 1-year")
    unclear = series_changes([figure(2014, 0.30, 0.03), figure(2019, 0.349, 0.04)], "ACS 1-year")
    untested = series_changes([figure(2014, 0.30), figure(2019, 0.36)], "ACS 1-year")

    assert clear["spans"][1].significant is True
    assert unclear["spans"][1].significant is False
    assert untested["spans"][1].significant is None
    assert clear["since"].label == "Change since 2014"
    assert clear["spans"][0].reason == "no figure for 2018 in this series"
    assert clear["spans"][2].reason == "the series starts with 2014"


def test_figures_of_other_series_are_never_compared():
    history = [figure(2017, 0.35, period="2013-2017", series="ACS 5-year"), figure(2019, 0.40)]

    changes = series_changes(history, "ACS 1-year")

    assert changes["since"].delta is None
    assert changes["since"].reason == "only one year in this series (ACS 1-year, 2019)"


def test_metro_page_query_count_stays_flat_with_ten_times_the_data(
    visitor, series_data, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert visitor.get(url).status_code == 200
        return len(queries)

    visitor.get("/vitals/methodology/")  # warm Wagtail's site lookup
    urls = ["/vitals/metros/alpha-ny/", "/vitals/indicators/college-attainment/?metro=alpha-ny"]
    before = [count(url) for url in urls]
    more = [f"US,college_attainment,{y},{y},0.3,0.001,acs1" for y in range(2000, 2018)]
    more += [f"10001,college_attainment,{y},{y - 4}-{y},0.3,0.01,acs5" for y in range(2000, 2012)]
    more += [f"10001,transit_use,{y},{y},0.01,0.001,acs1" for y in range(2000, 2019)]
    metros = "".join(f'{20000 + n},"City{n}, OH",{1_000_000 + n}\n' for n in range(45))
    more += [f"{20000 + n},college_attainment,2019,2019,{(n % 97) / 100},,acs1" for n in range(45)]
    # As in production, the import clears what is kept (on commit): the pages render afresh.
    with django_capture_on_commit_callbacks(execute=True):
        import_files(
            observations_csv=observations(*ROWS, *more),
            **{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros},
        )
    visitor.get("/vitals/methodology/")  # warm the navigation and site lookup the clear dropped

    assert [count(url + ("&" if "?" in url else "?") + "again=1") for url in urls] == before


# The shipped data: all six areas, and pages without internal notes

INTERNAL_NOTES = re.compile(
    r"github\.com|not verified|licen[cs]e file|obtained via|downtown|@[0-9a-f]{7,40}\b"
    r"|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b",
    re.I,
)


@pytest.fixture
def shipped_data():
    call_command("import_vitals", "vitals/data", stdout=io.StringIO(), verbosity=0)


def test_the_shipped_data_gives_every_area_an_indicator_and_stores_national_figures(
    visitor, shipped_data
):
    from vitals.selectors import areas_without_data

    assert areas_without_data() == []
    for value, _ in Area.choices:
        assert Observation.objects.filter(indicator__area=value).exists(), value
    assert NationalFigure.objects.filter(indicator__code="college_attainment").count() == 9
    assert NationalFigure.objects.get(indicator__code="creative_occupations_share").period == (
        "May 2025"
    )

    page = visitor.get("/vitals/metros/memphis-tn/").content.decode()
    assert "No indicator yet" not in page
    for name in ["Arts and recreation establishments", "Residents near activity centres"]:
        assert name in page
    attainment = card(page, "college_attainment")
    assert "no earlier figure" not in attainment
    assert "2008–2012 to 2013–2017" in attainment
    assert "No national figure for 2019 (latest: US 2018" in attainment
    assert (
        "Distinctiveness and Core Vitality : figures on metro and indicator pages, not yet part"
        in (visible_text(visitor.get("/vitals/").content.decode()))
    )
    creative = visitor.get("/vitals/indicators/creative-occupations-share/").content.decode()
    assert "US May 2025: 7.3%" in visible_text(creative)


def test_methodology_indicator_and_metro_pages_carry_no_internal_notes(visitor, shipped_data):
    methodology = visitor.get("/vitals/methodology/").content.decode()
    text = visible_text(methodology)
    for sentence in [
        "County Business Patterns 2019 is before the pandemic",
        "BLS advises against reading OEWS releases as a time series",
        "analysis credit: Brookings Metro",
        "A proxy for variety",
        "√(MOE₁² + MOE₂²)",
        "compared within the ACS 5-year series",
    ]:
        assert sentence in text, sentence
    pages = {"/vitals/methodology/": methodology}
    for indicator in Indicator.objects.all():
        url = indicator.get_absolute_url()
        pages[url] = visitor.get(url).content.decode()
    for url in ["/vitals/metros/memphis-tn/", "/vitals/metros/new-york-ny/"]:
        pages[url] = visitor.get(url).content.decode()

    found = {
        url: INTERNAL_NOTES.findall(page)
        for url, page in pages.items()
        if INTERNAL_NOTES.search(visible_text(page)) or "github.com" in page
    }
    assert found == {}
