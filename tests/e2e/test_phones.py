"""Phones (390 px) and desktops (1280 px): navigation, library filters, feedback."""

import pytest
from django.test import Client

from tests.blog.factories import make_blog_index, make_post
from tests.civicnet.factories import make_standard_page
from tests.e2e.conftest import serious_accessibility_violations
from tests.library.factories import make_library, make_resource, topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = [pytest.param(PHONE, id="390"), pytest.param(DESKTOP, id="1280")]
SECTIONS = [
    ("City Vitals", "/vitals/"),
    ("Events", "/events/"),
    ("Challenges", "/challenges/"),
    ("Network", "/network/"),
    ("Clusters", "/clusters/"),
    ("About civicnet", "/about/"),
    ("Resource library", "/library/"),
    ("Blog", "/blog/"),
]


@pytest.fixture
def site(home_page):
    make_standard_page(home_page, title="About civicnet", slug="about")
    library = make_library(home_page, show_in_menus=True)
    blog = make_blog_index(home_page, show_in_menus=True)
    return {"home": home_page, "library": library, "blog": blog}


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def menu_toggle(page):
    return page.locator(".site-nav summary")


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def open_menu_if_phone(page, viewport):
    if viewport is PHONE:
        menu_toggle(page).click()


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
    )


def test_on_a_phone_the_menu_opens_to_show_every_section(page, site, artifacts):
    page.set_viewport_size(PHONE)
    page.goto("/")
    nav = main_nav(page)
    assert menu_toggle(page).is_visible()
    assert not nav.get_by_role("link", name="City Vitals").is_visible()
    page.screenshot(path=artifacts / "phone-menu-closed.png")

    menu_toggle(page).click()

    for label, _ in SECTIONS:
        link = nav.get_by_role("link", name=label, exact=True)
        assert link.is_visible() and in_viewport(page, link), label
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=artifacts / "phone-menu-open.png")


def test_on_a_desktop_every_section_is_in_view_and_the_toggle_hidden(page, site, artifacts):
    page.set_viewport_size(DESKTOP)
    page.goto("/")

    assert not menu_toggle(page).is_visible()
    for label, _ in SECTIONS:
        link = main_nav(page).get_by_role("link", name=label, exact=True)
        assert link.is_visible() and in_viewport(page, link), label
    page.screenshot(path=artifacts / "desktop-navigation.png")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_member_reaches_every_section_and_sees_it_marked_current(
    page, live_server, site, member, viewport, artifacts
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, member)
    page.goto("/")
    for label, path in SECTIONS:
        open_menu_if_phone(page, viewport)
        main_nav(page).get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(f"**{path}")

        current = main_nav(page).locator("a[aria-current]")
        assert current.count() == 1 and current.text_content() == label
        assert current.get_attribute("aria-current") == "page"
        if viewport is PHONE:
            assert not current.is_visible()  # the menu is closed on arrival
            menu_toggle(page).click()
            assert current.is_visible() and in_viewport(page, current)
            menu_toggle(page).click()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=artifacts / f"{name}-navigation-signed-in.png")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_account_links_stay_on_one_line(page, live_server, site, member, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, member)
    page.goto("/blog/")

    account = page.get_by_role("link", name="My account")
    log_out = page.get_by_role("button", name="Log out")
    account_box, log_out_box = account.bounding_box(), log_out.bounding_box()
    line_height = float(account.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert account_box["height"] < 1.5 * line_height  # one line, not two
    # Side by side: the button's vertical middle is level with the link's.
    middle = account_box["y"] + account_box["height"] / 2
    assert log_out_box["y"] < middle < log_out_box["y"] + log_out_box["height"]
    assert in_viewport(page, account) and in_viewport(page, log_out)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_phone_menu_works_from_the_keyboard(page, site):
    page.set_viewport_size(PHONE)
    page.goto("/")
    toggle = menu_toggle(page)
    toggle.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('.site-nav details').open") is True

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "City Vitals"
    page.keyboard.press("Escape")

    assert page.evaluate("document.querySelector('.site-nav details').open") is False
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_navigation_works_without_javascript(browser, live_server, site, viewport):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/")
    open_menu_if_phone(page, viewport)

    link = main_nav(page).get_by_role("link", name="Resource library")
    assert link.is_visible() and in_viewport(page, link)
    link.click()
    page.wait_for_url("**/library/")
    context.close()


@pytest.fixture
def library(site):
    transit, housing = topic("Transit"), topic("Housing")
    for n in range(6):
        make_resource(
            site["library"],
            title=f"Bus lane playbook {n}",
            topics=[transit if n % 2 else housing],
        )
    return site["library"]


@pytest.mark.parametrize("viewport", WIDTHS)
def test_library_filters_fold_away_on_phones_and_show_what_is_active(
    page, library, viewport, artifacts
):
    page.set_viewport_size(viewport)
    page.goto("/library/")
    facets = page.get_by_role("navigation", name="Filter resources")
    transit = facets.get_by_role("link", name="Transit")
    toggle = facets.locator("summary")
    if viewport is PHONE:
        assert toggle.is_visible() and not transit.is_visible()
        first = page.locator(".resource-teaser").first
        assert first.bounding_box()["y"] < viewport["height"]  # the list starts on screen
        toggle.click()
    else:
        assert not toggle.is_visible()
    transit.click()
    page.wait_for_url("**/library/?topic=transit*")

    chip = page.get_by_role("link", name="Remove filter Transit")
    assert chip.is_visible() and in_viewport(page, chip)
    assert page.locator(".library__count").inner_text() == "3 resources"
    if viewport is PHONE:
        assert "(1 active)" in toggle.inner_text()
        assert not facets.get_by_role("link", name="Housing").is_visible()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=artifacts / f"{name}-library-filtered.png")

    chip.click()
    page.wait_for_url("**/library/?")
    assert page.locator(".library__count").inner_text() == "6 resources"


@pytest.fixture
def long_page(site):
    words = "City teams learn fastest from each other, in the open, with numbers on the table. "
    body = [("paragraph", f"<p>{words * 6}</p>") for _ in range(25)]
    return make_standard_page(site["home"], title="How we work", slug="how-we-work", body=body)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_feedback_thanks_appears_where_the_person_voted(page, long_page, viewport, artifacts):
    page.set_viewport_size(viewport)
    page.goto("/how-we-work/")
    page.evaluate("window.stillTheSamePage = true")
    yes = page.locator("#feedback").get_by_role("button", name="Yes")
    yes.scroll_into_view_if_needed()

    yes.click()

    thanks = page.locator("#feedback").get_by_role("status")
    thanks.get_by_text("Thank you").wait_for()
    assert in_viewport(page, thanks)
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    assert page.evaluate("document.activeElement.dataset.feedbackAnswer") == ""
    assert not yes.is_visible()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=artifacts / f"{name}-feedback-thanks.png")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_without_javascript_the_thanks_is_in_view_after_the_reload(
    browser, live_server, long_page, viewport
):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/how-we-work/")

    page.locator("#feedback").get_by_role("button", name="No").click()
    page.wait_for_url("**/how-we-work/#feedback")

    thanks = page.locator("#feedback .messages")
    assert "Thank you" in thanks.inner_text()
    assert in_viewport(page, thanks)
    assert page.locator("body > .messages").count() == 0
    context.close()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_data_figure_draws_drops_left_of_the_zero_line(page, site, viewport, artifacts):
    rows = [("City A", "18"), ("City B", "11"), ("City C", "-3"), ("City D", "-6")]
    figure = {
        "title": "Change in weekday bus boardings",
        "label_heading": "City",
        "value_heading": "Change in boardings",
        "unit": "%",
        "rows": [{"label": label, "value": value} for label, value in rows],
    }
    make_post(site["blog"], slug="ten-minute-bus", body=[("data_figure", figure)])
    page.set_viewport_size(viewport)
    page.goto("/blog/ten-minute-bus/")

    bars = [bar.bounding_box() for bar in page.locator(".data-figure__bar").all()]
    track = page.locator(".data-figure__track").first.bounding_box()
    zero = track["x"] + track["width"] * 0.25
    gain_a, gain_b, drop_c, drop_d = bars
    assert abs(gain_a["x"] - zero) < 2 and abs(gain_b["x"] - zero) < 2
    assert abs(drop_c["x"] + drop_c["width"] - zero) < 2
    assert abs(drop_d["x"] + drop_d["width"] - zero) < 2
    assert drop_d["width"] > drop_c["width"] and gain_a["width"] > gain_b["width"]
    headings = page.locator(".data-figure thead th").all_inner_texts()
    assert headings == ["City", "Change in boardings (%)"]
    page.locator(".data-figure").screenshot(path=artifacts / f"data-figure-{viewport['width']}.png")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_newsletter_web_version_fits_the_screen(page, live_server, staff, viewport, artifacts):
    from tests.newsletter.factories import make_edition

    edition = make_edition()
    sign_in(page, live_server, staff)  # staff may preview a draft's web version
    page.set_viewport_size(viewport)
    page.goto(f"/newsletter/editions/{edition.pk}/")

    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    container = page.locator("table[width='600']").bounding_box()
    assert container["width"] <= 600 and container["x"] >= 0
    page.screenshot(path=artifacts / f"newsletter-web-{viewport['width']}.png", full_page=True)


def test_the_open_phone_menu_and_filter_have_no_serious_accessibility_violations(page, library):
    page.set_viewport_size(PHONE)
    page.goto("/library/?topic=transit")
    menu_toggle(page).click()
    assert serious_accessibility_violations(page) == []

    menu_toggle(page).click()
    page.get_by_role("navigation", name="Filter resources").locator("summary").click()
    assert serious_accessibility_violations(page) == []
