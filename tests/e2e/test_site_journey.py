import pytest

from tests.civicnet.factories import make_standard_page
from tests.e2e.conftest import serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(home_page):
    make_standard_page(
        home_page, title="About civicnet", slug="about", body=[("heading", "How we work")]
    )
    make_standard_page(home_page, title="Member benefits", slug="member-benefits")
    return home_page


def test_visitor_opens_home_follows_navigation_and_answers_feedback(page, site, artifacts):
    page.goto("/")
    assert page.locator("h1").inner_text() == "We build and activate cross-sector teams."
    page.screenshot(path=artifacts / "home.png", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="About civicnet").click()
    page.wait_for_url("**/about/")
    assert page.get_by_role("heading", name="How we work").is_visible()
    assert page.locator('nav[aria-label="Breadcrumb"]').inner_text().startswith("Home")

    page.get_by_role("button", name="Yes").click()
    page.wait_for_url("**/about/#feedback")
    assert "Thank you" in page.locator(".messages").inner_text()
    page.screenshot(path=artifacts / "about.png", full_page=True)


def test_skip_link_moves_focus_to_the_main_content(page, site):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(
    "path",
    ["/", "/about/", "/search/?q=city", "/no-such-page/", "/accounts/login/", "/accounts/signup/"],
)
def test_pages_have_no_serious_accessibility_violations(page, site, path):
    page.goto(path)

    assert serious_accessibility_violations(page) == []


def test_small_screens_get_a_single_column_without_horizontal_scroll(page, site):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
