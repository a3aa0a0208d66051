import pytest

from tests.e2e.conftest import serious_accessibility_violations
from tests.vitals.factories import import_files, observations
from vitals.models import Indicator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vitals_data():
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.25,,acs1",
            "10004,college_attainment,2019,2019,0.20,,acs1",
            "10001,college_attainment,2018,2014-2018,0.37,,acs5",
            "10001,college_attainment,2017,2013-2017,0.35,,acs5",
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


def first_metro(page) -> str:
    return page.locator("table.vitals-table tbody tr").first.locator("th").inner_text()


def test_visitor_sorts_the_rankings_and_opens_a_metro(page, vitals_data, artifacts):
    page.goto("/vitals/")
    assert page.get_by_role("heading", level=1).inner_text() == "Where does your metro rank?"
    assert first_metro(page) == "Gamma, OH"
    page.screenshot(path=artifacts / "vitals-rankings.png", full_page=True)

    page.get_by_role("link", name="Transit use").click()
    page.wait_for_url("**sort=transit_use**")
    assert first_metro(page) == "Delta, TX"
    assert page.locator("th[aria-sort='ascending']").inner_text().startswith("Transit use")

    page.get_by_role("link", name="Alpha-Beta, NY-NJ").click()
    page.wait_for_url("**/vitals/metros/alpha-ny/")
    assert page.get_by_role("heading", level=1).inner_text() == "Alpha-Beta, NY-NJ"
    assert page.get_by_role("img", name="College attainment in Alpha, by year").is_visible()
    page.screenshot(path=artifacts / "vitals-metro.png", full_page=True)


def test_visitor_finds_their_metro_with_the_search_box(page, vitals_data, artifacts):
    page.goto("/vitals/")
    page.screenshot(path=artifacts / "vitals-find.png")
    page.get_by_label("Find your metro").fill("delta")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**q=delta**")
    assert page.locator("table.vitals-table tbody tr").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/vitals/",
        "/vitals/?w_transit_use=3&sort=metro&dir=desc",
        "/vitals/metros/alpha-ny/",
        "/vitals/indicators/college-attainment/?metro=gamma-oh",
        "/vitals/compare/?metro=alpha-ny&metro=gamma-oh",
        "/vitals/methodology/",
    ],
)
def test_vitals_pages_have_no_serious_accessibility_violations(page, vitals_data, path):
    page.goto(path)

    assert serious_accessibility_violations(page) == []
