"""Browser journey: City Dividends on a phone (390 px) and a desktop (1280 px). A visitor
changes a step and sees the result; a member saves the scenario, finds it on My metro and
downloads its one-page PDF brief."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.e2e.conftest import serious_accessibility_violations
from tests.e2e.test_vitals_phones import LEAST_TEXT, TEXT_MEASURES
from tests.events.pdf import document_text, link_targets, pdf_streams
from tests.vitals.test_dividends import import_small
from vitals.briefs import scenario_brief_document
from vitals.dividend_scenarios import scenario_results
from vitals.models import DividendScenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [
    pytest.param({"width": 390, "height": 844}, id="390"),
    pytest.param({"width": 1280, "height": 900}, id="1280"),
]
PAGE = "/vitals/metros/gamma-oh/dividends/"


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def no_sideways_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def dividend(page, name: str) -> str:
    return page.locator(".dividend", has_text=name).locator(".dividend__value").inner_text()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_visitor_changes_a_step_and_a_member_saves_and_downloads_the_scenario(
    page, live_server, member, artifacts, viewport
):
    import_small()
    page.set_viewport_size(viewport)

    # A visitor: the scatter (text at least 11 px), its data table and the plain form.
    page.goto(PAGE)
    no_sideways_scroll(page, viewport)
    svg = page.locator("svg.chart__svg").first
    for text in svg.evaluate(TEXT_MEASURES):
        assert text["size"] >= LEAST_TEXT and text["height"] >= LEAST_TEXT, text
        assert text["inside"], text
    page.get_by_text("Data table: income and attainment, 4 metros").click()
    table = page.locator("table.vitals-mini-table")
    assert table.is_visible() and table.locator("tbody tr").count() == 4
    talent_before = dividend(page, "Talent Dividend")

    field = page.get_by_label("Points more adults with a four-year degree")
    box = field.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    field.fill("2")
    page.get_by_role("button", name="Work it out").click()
    page.wait_for_url(re.compile(r".*attainment=2.*"))
    talent_after = dividend(page, "Talent Dividend")
    assert talent_after != talent_before
    assert "2 percentage points more adults" in page.locator("#talent").inner_text()
    assert page.get_by_role("link", name="Log in to save it").is_visible()
    assert page.get_by_role("button", name="Save this scenario").count() == 0

    # A member saves it.
    sign_in(page, live_server, member)
    page.goto(PAGE + "?attainment=2&miles=3")
    no_sideways_scroll(page, viewport)
    assert serious_accessibility_violations(page) == []
    green = dividend(page, "Green Dividend")
    page.screenshot(path=artifacts / f"dividends-metro-{viewport['width']}.png", full_page=True)
    page.get_by_label("Name it (optional)").fill("Budget paper")
    page.get_by_role("button", name="Save this scenario").click()
    page.wait_for_url("**/vitals/my-metro/**")

    assert page.get_by_text("Scenario saved: Budget paper.").is_visible()
    card = page.locator(".my-metro-scenario", has_text="Budget paper")
    assert card.is_visible()
    assert card.get_by_text(talent_after, exact=True).is_visible()
    assert card.get_by_text(green, exact=True).is_visible()
    assert "Live figures; constants version 1" in card.inner_text()
    no_sideways_scroll(page, viewport)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / f"dividends-my-metro-{viewport['width']}.png", full_page=True)

    # Its brief: a one-page PDF that links the scenario's page and says what the page said.
    with page.expect_download() as download:
        card.get_by_role("link", name="Brief (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf_streams(pdf) + pdf)) == 1
    scenario = DividendScenario.objects.get(user=member)
    page_url = f"{live_server.url}{PAGE}?attainment=2&miles=3&poverty=1&peer=1m-plus"
    assert page_url in link_targets(pdf)
    (result,) = scenario_results([scenario], with_inputs=True)
    text = document_text(
        scenario_brief_document(result, page_url=page_url, citation="(the citation line)")
    )
    assert "Gamma, OH: Budget paper" in text
    assert talent_after in text and green in text
