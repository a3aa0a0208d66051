import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command

from tests.vitals.factories import import_files, observations
from vitals.models import Indicator, Metro

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def small_data():
    """Four large metros and one small one, three headline indicators."""
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.30,,acs1",
            "10004,college_attainment,2019,2019,0.20,,acs1",
            "10005,college_attainment,2019,2019,0.50,,acs1",
            "10001,college_attainment,2017,2013-2017,0.35,,acs5",
            "10001,college_attainment,2018,2014-2018,0.37,,acs5",
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


def svgs(html: str) -> list[ET.Element]:
    return [
        ET.fromstring(match)  # noqa: S314 (our own markup)
        for match in re.findall(r"<svg class=\"chart__svg\".*?</svg>", html, re.S)
    ]


def table_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row" class="vitals-metro"><a href="[^"]+">([^<]+)</a>', body)


def test_rankings_page_lists_peer_metros_by_overall_position(visitor, small_data):
    response = visitor.get("/vitals/")

    assert response.status_code == 200
    html = response.content.decode()
    # percentiles by hand: college 100/66.7/66.7/0 (a tie), transit 0/33.3/100/66.7,
    # poverty 50/100/0/none -> scores Alpha 50, Gamma 66.7, Delta 55.6, Epsilon 33.3
    assert table_rows(html) == ["Gamma, OH", "Delta, TX", "Alpha-Beta, NY-NJ", "Epsilon, CA"]
    assert "Zeta, WA" not in html  # 400,000 people: not in the default peer group
    assert "Distinctiveness" in html  # an area without data says so


def test_rankings_columns_sort_without_javascript(visitor, small_data):
    html = visitor.get("/vitals/?sort=transit_use&dir=asc").content.decode()

    assert table_rows(html) == ["Delta, TX", "Epsilon, CA", "Gamma, OH", "Alpha-Beta, NY-NJ"]
    assert 'aria-sort="ascending"' in html
    assert "sort=transit_use&amp;dir=desc" in html  # the heading now links to the other order
    html = visitor.get("/vitals/?sort=poverty_rate&dir=desc").content.decode()
    assert table_rows(html)[-1] == "Epsilon, CA"  # unranked metros stay last either way


def test_rankings_filters_and_search(visitor, small_data):
    assert table_rows(visitor.get("/vitals/?state=NJ").content.decode()) == ["Alpha-Beta, NY-NJ"]
    assert table_rows(visitor.get("/vitals/?region=West").content.decode()) == ["Epsilon, CA"]
    assert table_rows(visitor.get("/vitals/?q=delta").content.decode()) == ["Delta, TX"]
    assert table_rows(visitor.get("/vitals/?band=2500k-5m").content.decode()) == ["Gamma, OH"]
    all_metros = table_rows(visitor.get("/vitals/?peer=all").content.decode())
    assert "Zeta, WA" in all_metros
    # Nonsense in the query string falls back to the defaults instead of failing.
    assert visitor.get("/vitals/?year=abc&w_transit_use=99&sort=nope&state=ZZ").status_code == 200


def test_reweighting_is_kept_in_the_url_and_changes_the_order(visitor, small_data):
    html = visitor.get("/vitals/?w_transit_use=3").content.decode()

    assert table_rows(html)[0] == "Delta, TX"
    assert "Re-weighted view" in html
    assert "w_transit_use=3" in html  # sort links keep the weights


def test_a_reweighted_rankings_render_query_count_is_fixed(
    visitor, small_data, django_assert_num_queries
):
    visitor.get("/vitals/")  # warm Wagtail's site lookup
    # The same 10 as the default view; the metro and figure cells come from a kept fragment.
    for n in range(2):
        with django_assert_num_queries(10):
            response = visitor.get(f"/vitals/?w_transit_use=3&nocache={n}")
        assert table_rows(response.content.decode())[0] == "Delta, TX"


def test_rankings_query_count_does_not_grow_with_ten_times_the_data(
    visitor, small_data, django_assert_num_queries, django_assert_max_num_queries
):
    visitor.get("/vitals/")  # warm Wagtail's site lookup
    # 9th: the citation's current edition; 10th: the national figures beside the columns.
    with django_assert_num_queries(10) as small:
        visitor.get("/vitals/?nocache=1")
    rows = [
        f"{20000 + n},college_attainment,2019,2019,{(n % 97) / 100},,acs1" for n in range(45)
    ] + [f"{20000 + n},transit_use,2019,2019,{(n % 13) / 100},,acs1" for n in range(45)]
    metros = "".join(f'{20000 + n},"City{n}, OH",{1_000_000 + n}\n' for n in range(45))
    import_files(
        observations_csv=observations(*rows),
        **{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros},
    )
    assert Metro.objects.count() == 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = visitor.get("/vitals/?nocache=2")
    assert len(table_rows(response.content.decode())) == 49


def test_metro_page_shows_value_rank_peer_average_change_and_charts(visitor, small_data):
    html = visitor.get("/vitals/metros/alpha-ny/").content.decode()

    assert "Alpha-Beta, NY-NJ" in html
    assert "40.0%" in html and "1 of 4" in html  # college attainment, rank
    assert "30.0%" in html  # peer average of 40, 30, 30, 20
    charts = svgs(html)
    assert charts and all(
        svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text for svg in charts
    )
    assert "Data table: College attainment" in html
    assert "/vitals/metros/alpha-ny/badge.svg" in html
    assert "Nearest peers" in html


def test_metro_page_query_count_is_fixed(visitor, small_data, django_assert_num_queries):
    visitor.get("/vitals/metros/alpha-ny/")
    # The overall position and its range come from one query of the headline percentiles.
    with django_assert_num_queries(17):
        assert visitor.get("/vitals/metros/gamma-oh/?x=1").status_code == 200


def test_unknown_metro_and_indicator_are_not_found(visitor, small_data):
    assert visitor.get("/vitals/metros/atlantis-xx/").status_code == 404
    assert visitor.get("/vitals/indicators/happiness/").status_code == 404


def test_indicator_page_has_definition_source_ranked_bars_and_distribution(visitor, small_data):
    html = visitor.get("/vitals/indicators/college-attainment/?metro=gamma-oh").content.decode()

    assert "Adults with a degree." in html
    assert "ACS 1-year" in html
    charts = svgs(html)
    assert len(charts) == 2
    assert "Gamma" in html and "chart__bar--highlight" in html
    assert "rank 2 of 4" in html
    # another year and source can be chosen
    html = visitor.get("/vitals/indicators/college-attainment/?series=2018|acs5").content.decode()
    assert "Ranking, 2018" in html


def test_compare_shows_two_to_five_metros_side_by_side(visitor, small_data):
    html = visitor.get(
        "/vitals/compare/?metro=alpha-ny&metro=gamma-oh&metro=nowhere"
    ).content.decode()

    assert "Side by side" in html
    assert html.count('class="chart__svg"') == 3
    assert "#1 of 4" in html
    assert "Pick at least two" in visitor.get("/vitals/compare/?metro=alpha-ny").content.decode()


def test_methodology_explains_every_indicator_and_source(visitor, small_data):
    html = visitor.get("/vitals/methodology/").content.decode()

    for text in [
        "Adults with a degree.",
        "People below the poverty line.",
        "ACS 5-year",
        "1, 2, 2, 4",
        "civicnet's own method",
    ]:
        assert text in html
    assert "No indicator yet" in html


def test_csv_and_json_downloads_parse_and_agree_with_the_page(visitor, small_data):
    csv_rows = list(
        csv.DictReader(io.StringIO(visitor.get("/vitals/rankings.csv").content.decode()))
    )
    body = json.loads(visitor.get("/vitals/api/rankings.json").content)

    gamma = [r for r in csv_rows if r["cbsa_code"] == "10002"]
    assert {r["indicator"]: r["rank"] for r in gamma} == {
        "college_attainment": "2",
        "transit_use": "3",
        "poverty_rate": "1",
    }
    assert gamma[0]["overall_position"] == "1"
    assert gamma[0]["licence"] == "Public domain" and gamma[0]["source_url"].startswith("https://")
    assert body["ranked_metros"] == 4
    assert body["indicators"][0]["source"]["licence"] == "Public domain"
    json_positions = {r["cbsa_code"]: r["overall_position"] for r in body["rows"]}
    assert json_positions == {"10001": 3, "10002": 1, "10003": 2, "10004": 4}
    page_order = table_rows(visitor.get("/vitals/").content.decode())
    names = dict(Metro.objects.values_list("cbsa_code", "name"))
    assert [names[c] for c in sorted(json_positions, key=json_positions.get)] == page_order
    only = list(
        csv.DictReader(
            io.StringIO(visitor.get("/vitals/rankings.csv?indicator=transit_use").content.decode())
        )
    )
    assert {r["indicator"] for r in only} == {"transit_use"}
    assert visitor.get("/vitals/rankings.csv?indicator=nope").status_code == 404


def test_metro_download_and_badge(visitor, small_data):
    rows = list(
        csv.DictReader(
            io.StringIO(visitor.get("/vitals/metros/alpha-ny/data.csv").content.decode())
        )
    )
    assert len(rows) == 5 and {r["licence"] for r in rows} == {"Public domain"}

    response = visitor.get("/vitals/metros/alpha-ny/badge.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.content)  # noqa: S314 (our own markup)
    assert "Where does yours rank?" in svg.find(f"{SVG}title").text
    assert "number 3 of 4" in svg.find(f"{SVG}desc").text


def test_demo_loader_loads_the_shipped_data_once(small_data):
    from vitals import demo

    out = io.StringIO()
    demo.load(out)
    count = Metro.objects.count()
    demo.load(out)
    assert count == 387 + 5
    assert Metro.objects.count() == count
    assert "already up to date" in out.getvalue()


def test_home_counter_counts_ranked_metros(db):
    from vitals.selectors import ranked_metro_count

    assert ranked_metro_count() == 0
    call_command("import_vitals", "vitals/data", stdout=io.StringIO(), verbosity=0)
    assert ranked_metro_count() == 54


def test_indicator_and_compare_query_counts_do_not_grow_with_the_data(visitor, small_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert visitor.get(url).status_code == 200
        return len(queries)

    visitor.get("/vitals/methodology/")  # warm Wagtail's site lookup
    urls = [
        "/vitals/indicators/college-attainment/?metro=alpha-ny",
        "/vitals/compare/?metro=alpha-ny&metro=gamma-oh",
    ]
    before = [count(url) for url in urls]
    metros = "".join(f'{20000 + n},"City{n}, OH",{1_000_000 + n}\n' for n in range(45))
    rows = [f"{20000 + n},college_attainment,2019,2019,{(n % 97) / 100},,acs1" for n in range(45)]
    import_files(
        observations_csv=observations(*rows),
        **{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros},
    )

    assert [count(url + "&again=1") for url in urls] == before


def test_rankings_page_without_any_peer_group_says_figures_are_coming(visitor):
    from vitals.models import PeerGroup

    PeerGroup.objects.all().delete()

    response = visitor.get("/vitals/")

    assert response.status_code == 200
    assert b"once City Vitals figures are imported" in response.content


def test_an_import_restores_the_default_peer_groups_when_there_are_none():
    from vitals.models import PeerGroup

    PeerGroup.objects.all().delete()
    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))

    assert PeerGroup.objects.get(is_default=True).slug == "1m-plus"


def test_the_rankings_form_selects_follow_the_query_and_the_figures(visitor, small_data):
    # Each select is rendered once per field, value, choices and errors (choice_widget).
    html = visitor.get("/vitals/?w_transit_use=3").content.decode()
    assert '<option value="3" selected>3</option>' in html
    html = visitor.get("/vitals/?w_transit_use=2").content.decode()
    assert '<option value="2" selected>2</option>' in html
    assert '<option value="3" selected>' not in html
    html = visitor.get("/vitals/?w_transit_use=99").content.decode()
    assert '<select name="w_transit_use" aria-invalid="true"' in html
    html = visitor.get("/vitals/?w_transit_use=0").content.decode()
    assert 'aria-invalid="true"' not in html
    assert '<option value="2020">2020</option>' not in html

    import_files(observations_csv=observations("10001,college_attainment,2020,2020,0.41,,acs1"))

    html = visitor.get("/vitals/?w_transit_use=0&year=").content.decode()
    assert '<option value="2020">2020</option>' in html
