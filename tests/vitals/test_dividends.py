import csv
import io
import re
import statistics
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.vitals.factories import import_files, observations
from vitals.dividends import (
    FIRST_CONSTANTS,
    current_constants,
    dividend_constants_create,
    dividend_constants_ensure_first,
    least_squares,
)
from vitals.models import DividendConstants, Metro, TalentSlope

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "vitals" / "data"
SVG = "{http://www.w3.org/2000/svg}"
INCOME_SOURCE = "bea,BEA per capita personal income,Bureau of Economic Analysis,https://www.bea.gov,Public domain\n"
INCOME_INDICATOR = "per_capita_income,Per capita personal income,metropolitan_performance,usd_nominal,1,Income per resident.\n"

# Four large metros: attainment (share) and per-capita income, 2019.
FIGURES = {
    "10001": (0.40, 70000),
    "10002": (0.30, 55000),
    "10003": (0.25, 52000),
    "10004": (0.20, 45000),
}


def import_small(figures=FIGURES, *, poverty=True):
    rows = []
    for code, (attainment, income) in figures.items():
        rows.append(f"{code},college_attainment,2019,2019,{attainment},,acs1")
        rows.append(f"{code},per_capita_income,2019,2019,{income},,bea")
    if poverty:
        rows.append("10002,poverty_rate,2019,2019,0.12,,acs1")
    return import_files(
        observations_csv=observations(*rows),
        **{"more_sources.csv": "source_id,title,publisher,url,licence\n" + INCOME_SOURCE},
        **{
            "more_indicators.csv": "code,name,pillar,unit,higher_is_better,definition\n"
            + INCOME_INDICATOR
        },
    )


def by_hand(figures):
    """Ordinary least squares written out: slope, intercept, R²."""
    xs = [a for a, _ in figures.values()]
    ys = [i for _, i in figures.values()]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / sxx, my - sxy / sxx * mx, sxy * sxy / (sxx * syy)


@pytest.fixture
def small():
    import_small()
    return Metro.objects.get(cbsa_code="10002")


def test_least_squares_needs_three_points_and_spread():
    assert least_squares([(0.1, 1), (0.2, 2)]) is None
    assert least_squares([(0.2, 1), (0.2, 2), (0.2, 3)]) is None
    fit = least_squares([(0, 1), (1, 3), (2, 5)])
    assert (fit.slope, fit.intercept, fit.r_squared, fit.n) == (2, 1, 1, 3)


def test_import_fits_the_talent_slope_per_peer_group(small):
    slope, intercept, r2 = by_hand(FIGURES)
    stored = TalentSlope.objects.get(peer_group__slug="1m-plus")

    assert stored.year == 2019
    assert stored.metro_count == 4
    assert stored.dollars_per_point == pytest.approx(slope / 100)
    assert stored.intercept == pytest.approx(intercept)
    assert stored.r_squared == pytest.approx(r2)
    assert stored.attainment_source.code == "acs1"
    assert stored.income_source.code == "bea"


def test_a_corrected_figure_refits_the_slope_at_import(small):
    before = TalentSlope.objects.get(peer_group__slug="1m-plus").dollars_per_point
    changed = {**FIGURES, "10001": (0.40, 90000)}

    import_small(changed)

    after = TalentSlope.objects.get(peer_group__slug="1m-plus")
    assert after.dollars_per_point != pytest.approx(before)
    assert after.dollars_per_point == pytest.approx(by_hand(changed)[0] / 100)


def test_talent_slope_on_the_shipped_data_matches_plain_least_squares():
    call_command("import_vitals", str(DATA), stdout=io.StringIO(), verbosity=0)

    with open(DATA / "metros.csv", encoding="utf-8") as f:
        population = {row["cbsa_code"]: int(row["pop_2023"]) for row in csv.DictReader(f)}
    attainment, income = {}, {}
    with open(DATA / "observations.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["year"] != "2019" or not row["metro_cbsa_code"]:
                continue
            if row["indicator"] == "college_attainment":
                attainment[row["metro_cbsa_code"]] = float(row["value"])
            elif row["indicator"] == "per_capita_income":
                income[row["metro_cbsa_code"]] = float(row["value"])
    for slug, low in [("1m-plus", 1_000_000), ("all", 0)]:
        codes = sorted(c for c in attainment.keys() & income.keys() if population[c] >= low)
        xs = [attainment[c] for c in codes]
        ys = [income[c] for c in codes]
        expected = statistics.linear_regression(xs, ys)
        r2 = statistics.correlation(xs, ys) ** 2

        stored = TalentSlope.objects.get(peer_group__slug=slug)
        assert stored.year == 2019
        assert stored.metro_count == len(codes)
        assert stored.dollars_per_point == pytest.approx(expected.slope / 100, rel=1e-9)
        assert stored.intercept == pytest.approx(expected.intercept, rel=1e-9)
        assert stored.r_squared == pytest.approx(r2, rel=1e-9)
    large = TalentSlope.objects.get(peer_group__slug="1m-plus")
    assert large.metro_count == 54
    assert 1400 < large.dollars_per_point < 1560  # about $1,480 per point in 2019 dollars
    assert 0.6 < large.r_squared < 0.7


def dividends_on(html):
    return dict(
        re.findall(r'id="(\w+)-name">[^<]+</h3>\s*<p class="dividend__value">([^<]+)<', html)
    )


def test_metro_page_shows_each_dividend_with_inputs_method_and_constants(visitor, small):
    html = visitor.get("/vitals/metros/gamma-oh/dividends/").content.decode()

    slope = TalentSlope.objects.get(peer_group__slug="1m-plus").dollars_per_point
    population = 3_000_000
    assert dividends_on(html) == {
        "talent": f"${slope * population / 1e9:,.1f} billion",
        "green": f"${population * 365 * 0.40 / 1e6:,.1f} million",  # $438.0 million
        "opportunity": f"${population * 0.01 * 19000 / 1e6:,.1f} million",  # $570.0 million
    }
    # the inputs, each with its year
    assert "3,000,000" in html and "2023" in html
    assert "30.0%" in html and "$55,000" in html and "12.0%" in html
    # the method and every constant with source and year
    assert "ordinary least squares" in html
    assert "R² " in html and "4 metros" in html
    assert "Portland&#x27;s Green Dividend" in html and "2007" in html
    assert "$19,000" in html and "2010" in html
    assert "version 1 (built in)" in html


def test_steps_come_from_a_plain_get_form(visitor, small):
    html = visitor.get(
        "/vitals/metros/gamma-oh/dividends/?attainment=2&miles=3&poverty=0.5"
    ).content.decode()

    assert '<form method="get"' in html
    assert dividends_on(html)["green"] == f"${3_000_000 * 365 * 3 * 0.40 / 1e9:,.1f} billion"
    assert dividends_on(html)["opportunity"] == f"${3_000_000 * 0.005 * 19000 / 1e6:,.1f} million"
    assert "if 2 percentage points more adults" in html
    assert 'value="3"' in html  # the form shows what was asked


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("attainment=lots", "Enter a number of percentage points"),
        ("miles=-1", "at least 0.1 miles"),
        ("attainment=50", "Enter at most 10 percentage points"),
        ("poverty=0", "at least 0.1 percentage points"),
        ("miles=1.25", "at most one decimal place"),
        ("miles=nan", "Enter a number of miles"),
        ("attainment=1e400", "Enter at most 10 percentage points"),
        ("miles=" + "9" * 200, "Enter at most 10 miles"),
    ],
)
def test_bad_steps_get_a_clear_message_and_a_400(visitor, small, query, message):
    for path in ["/vitals/metros/gamma-oh/dividends/", "/vitals/dividends/"]:
        response = visitor.get(f"{path}?{query}")

        assert response.status_code == 400, path
        html = response.content.decode()
        assert message in html
        assert "We could not use the step" in html
        assert 'aria-invalid="true"' in html
        if "metros" in path:  # the default step instead
            assert dividends_on(html)["green"] == "$438.0 million"


def test_new_constants_version_records_who_when_why_and_the_pages_use_it(visitor, staff, small):
    values = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}
    first = dividend_constants_create(values=values, reason="First.", user=staff)
    second = dividend_constants_create(
        values={**values, "cost_per_mile": Decimal("0.80"), "cost_per_mile_year": 2024},
        reason="Newer per-mile cost.",
        user=staff,
    )

    assert (first.version, second.version) == (1, 2)
    assert second.created_by == staff and second.created_at and second.reason
    assert current_constants() == second
    html = visitor.get("/vitals/metros/gamma-oh/dividends/").content.decode()
    assert dividends_on(html)["green"] == "$876.0 million"
    assert "version 2" in html and "Newer per-mile cost." in html


def test_a_new_constants_version_clears_the_cached_pages(
    visitor, settings, small, staff, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 300
    url = "/vitals/metros/gamma-oh/dividends/?miles=2"
    assert "$876.0 million" in visitor.get(url).content.decode()
    assert visitor.get(url)["X-Page-Cache"] == "hit"  # it was stored
    values = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}

    with django_capture_on_commit_callbacks(execute=True):
        dividend_constants_create(
            values={**values, "cost_per_mile": Decimal("0.80")}, reason="Newer.", user=staff
        )

    assert "$1.8 billion" in visitor.get(url).content.decode()


def test_staff_save_a_new_version_in_the_admin(client, staff, small, settings):
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(staff)
    page = client.get("/admin/vitals-dividends/constants/")
    assert page.status_code == 200
    assert "0.40" in page.content.decode()  # the form starts from the current version

    form = {
        **{k: str(v) for k, v in FIRST_CONSTANTS.items()},
        "cost_per_mile": "0.75",
        "reason": "",
    }
    refused = client.post("/admin/vitals-dividends/constants/", form)
    assert refused.status_code == 200 and DividendConstants.objects.count() == 0
    form["reason"] = "AAA's newer figure."
    response = client.post("/admin/vitals-dividends/constants/", form)

    assert response.status_code == 302
    saved = DividendConstants.objects.get()
    assert (saved.version, saved.cost_per_mile, saved.created_by) == (1, Decimal("0.75"), staff)


def test_the_scatter_highlights_the_metro_and_draws_the_fitted_line(visitor, small):
    html = visitor.get("/vitals/metros/gamma-oh/dividends/").content.decode()

    svg = ET.fromstring(re.search(r'<svg class="chart__svg".*?</svg>', html, re.S).group())  # noqa: S314
    dots = svg.findall(f"{SVG}circle")
    assert len(dots) == 4
    assert [d.get("class") for d in dots].count("chart__point chart__point--highlight") == 1
    assert svg.find(f"{SVG}line[@class='chart__fit']") is not None
    assert "Gamma" in svg.find(f"{SVG}text[@class='chart__marker-label']").text
    assert 'class="is-highlighted"' in html  # and in the data table
    # On a 390 px phone the drawing is 342 px wide (the page's 24 px margins): no text may
    # come out below 11 px there.
    width = float(svg.get("viewBox").split()[2])
    css = "".join(
        f.read_text() for f in (Path(__file__).resolve().parents[2] / "static/css").glob("*.css")
    )
    for text in svg.iter(f"{SVG}text"):
        sizes = [
            int(size)
            for name in text.get("class").split()
            for size in re.findall(
                rf"\.{re.escape(name)}\b[^{{}}]*\{{[^}}]*font-size: (\d+)px", css
            )
        ]
        assert sizes, text.get("class")
        assert max(sizes) * 342 / width >= 11, (text.get("class"), max(sizes), width)


def test_national_page_lists_the_peer_group_with_totals(visitor, small):
    html = visitor.get("/vitals/dividends/").content.decode()

    assert html.count('href="/vitals/metros/') >= 4
    assert "Zeta" not in html.split("Metro by metro")[1].split("</table>")[0]  # 400,000 people
    total = 5_000_000 + 3_000_000 + 2_000_000 + 1_500_000
    assert f"{total:,}" in html
    assert f"${total * 365 * 0.40 / 1e9:,.1f} billion" in html


def test_metro_page_links_to_its_dividends(visitor, small):
    html = visitor.get("/vitals/metros/gamma-oh/").content.decode()
    assert 'href="/vitals/metros/gamma-oh/dividends/"' in html


def test_a_metro_without_figures_or_slope_still_gets_a_page(visitor):
    import_files()
    response = visitor.get("/vitals/metros/zeta-wa/dividends/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not available" in html and "No slope yet" in html
    assert dividends_on(html)["green"] == f"${400_000 * 365 * 0.40 / 1e6:,.1f} million"
    assert visitor.get("/vitals/metros/atlantis-xx/dividends/").status_code == 404


def test_page_query_counts_are_fixed(
    visitor, small, django_assert_num_queries, django_capture_on_commit_callbacks
):
    visitor.get("/vitals/metros/gamma-oh/dividends/?x=1")
    visitor.get("/vitals/dividends/?x=1")
    # Rendered again (a parameter no view reads: never a cached page): the metro, and nothing
    # for the national page; the figures, chart and citation come from the kept parts.
    with django_assert_num_queries(1):
        visitor.get("/vitals/metros/gamma-oh/dividends/?x=2")
    with django_assert_num_queries(0):
        visitor.get("/vitals/dividends/?x=2")

    # Worked out afresh (an import clears the kept parts), the same queries with ten times
    # the metros. The metro page: the metro; the navigation's site; what a visit is read
    # against (peer groups, constants, the edition to cite); then once for both kept parts:
    # the metro's inputs, peer groups, constants, slope, the scatter's points, the indicators,
    # challenges and resources (with their view restrictions). The national page after it:
    # those parts' queries, the peer group's metros instead of the inputs and indicators.
    cache.clear()
    with django_assert_num_queries(14):
        visitor.get("/vitals/metros/gamma-oh/dividends/?x=3")
    with django_assert_num_queries(8):
        visitor.get("/vitals/dividends/?x=3")
    more = {f"{20000 + n}": (0.2 + n / 200, 40000 + n * 500) for n in range(40)}
    metros = "".join(f'{code},"City{code}, OH",{1_000_000 + int(code)}\n' for code in more)
    with django_capture_on_commit_callbacks(execute=True):
        import_files(**{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros})
        import_small({**FIGURES, **more})
    with django_assert_num_queries(14):
        visitor.get("/vitals/metros/gamma-oh/dividends/?x=4")
    with django_assert_num_queries(8):
        response = visitor.get("/vitals/dividends/?x=4")
    assert response.content.decode().count('<circle class="chart__point') == 44


def test_demo_saves_the_first_constants_once(db):
    assert dividend_constants_ensure_first() is True
    assert dividend_constants_ensure_first() is False

    assert list(DividendConstants.objects.values_list("version", flat=True)) == [1]
    assert DividendConstants.objects.get().cost_per_mile == Decimal("0.40")


def test_the_step_form_pages_are_page_cached_by_their_parameters(rf):
    from core.page_cache import cacheable_query

    for path in ["/vitals/dividends/", "/vitals/metros/gamma-oh/dividends/"]:
        query = cacheable_query(rf.get(path, {"miles": "2", "attainment": "1", "peer": "all"}))
        assert query == "attainment=1&miles=2&peer=all"
        assert cacheable_query(rf.get(path, {"poverty": "1", "utm_source": "x"})) is None


def test_changing_a_peer_group_refits_its_slope(small):
    from vitals.models import PeerGroup
    from vitals.services import vitals_settings_changed

    PeerGroup.objects.filter(slug="1m-plus").update(min_population=2_000_000)
    vitals_settings_changed(rebuild_rankings=True)

    stored = TalentSlope.objects.get(peer_group__slug="1m-plus")
    assert stored.metro_count == 3  # Epsilon (1.5 million) has left the group
    three = {code: FIGURES[code] for code in ["10001", "10002", "10003"]}
    assert stored.dollars_per_point == pytest.approx(by_hand(three)[0] / 100)
