"""City Dividends for members and per edition: scenarios saved on My metro (who may save,
see, delete and download them), and an edition's dividends frozen with the edition."""

import importlib
import json
import re
from decimal import Decimal

import pytest

from tests.events.pdf import document_text
from tests.members.factories import make_member
from tests.vitals.factories import INDICATORS, METROS, SOURCES, observations
from tests.vitals.test_dividends import FIGURES, dividends_on, import_small
from tests.vitals.test_editions import (
    INCOME_INDICATOR,
    INCOME_SOURCE,
    ROWS_2018,
    ROWS_2019,
    load,
    publish,
)
from vitals.briefs import scenario_brief_document
from vitals.dividend_scenarios import dividend_scenario_create, scenario_results
from vitals.dividends import FIRST_CONSTANTS, Steps, dividend_constants_create
from vitals.models import (
    MAX_DIVIDEND_SCENARIOS,
    DividendScenario,
    EditionDividendInput,
    Metro,
    PeerGroup,
)
from vitals.services import vitals_import

pytestmark = pytest.mark.django_db
SAVE = "/vitals/my-metro/scenarios/"
GAMMA = "/vitals/metros/gamma-oh/dividends/"


def steps(attainment="2", miles="3", poverty="1.5") -> Steps:
    return Steps(
        attainment_points=Decimal(attainment), miles=Decimal(miles), poverty_points=Decimal(poverty)
    )


def save(user, metro_code="10002", **kwargs) -> DividendScenario:
    return dividend_scenario_create(
        user=user,
        metro=Metro.objects.get(cbsa_code=metro_code),
        steps=kwargs.pop("steps", steps()),
        **kwargs,
    )


def version(values: dict, reason="Newer figures.", user=None):
    fields = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}
    return dividend_constants_create(values={**fields, **values}, reason=reason, user=user)


@pytest.fixture
def small():
    import_small()
    return Metro.objects.get(cbsa_code="10002")


# --- the dividends page offers the save --------------------------------------------------


def test_visitors_are_told_what_members_get_instead_of_the_save_button(client, small, registered):
    html = client.get(GAMMA + "?attainment=2").content.decode()
    assert "Save this scenario" not in html
    assert "Log in to save it" in html
    assert (
        'href="/accounts/login/?next=/vitals/metros/gamma-oh/dividends/%3Fattainment%3D2"' in html
    )

    client.force_login(registered)
    html = client.get(GAMMA).content.decode()
    assert "Save this scenario" not in html and "Become a member" in html


def test_a_member_saves_the_scenario_the_page_shows(client, member, small):
    client.force_login(member)
    html = client.get(GAMMA + "?attainment=2&miles=3").content.decode()
    assert 'action="/vitals/my-metro/scenarios/"' in html
    assert 'name="attainment" value="2"' in html and 'name="miles" value="3"' in html
    assert 'name="poverty" value="1"' in html  # the default step, as the page used it

    response = client.post(
        SAVE,
        {"metro": "gamma-oh", "attainment": "2", "miles": "3", "poverty": "1", "peer": "all"},
    )

    scenario = DividendScenario.objects.get(user=member)
    assert response.status_code == 302
    assert response["Location"] == f"/vitals/my-metro/#scenario-{scenario.pk}"
    assert (scenario.metro.slug, scenario.peer_group.slug, scenario.edition) == (
        "gamma-oh",
        "all",
        None,
    )
    assert (scenario.attainment_points, scenario.miles, scenario.poverty_points) == (2, 3, 1)
    assert scenario.constants_version == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"attainment": "50"}, "Enter at most 10 percentage points"),
        ({"miles": "-1"}, "a step must be more than zero"),
        ({"poverty": "lots"}, "Enter a number of percentage points"),
        ({"metro": "atlantis-xx"}, "We do not know that metro."),
        ({"metro": ""}, "Say which metro the scenario is for."),
        ({"peer": "nope"}, "We do not know that peer group."),
        ({"edition": "1999"}, "We do not know that edition."),
        ({"name": "x" * 81}, "Keep the name to 80 characters."),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_saves_nothing(client, member, small, post, message):
    client.force_login(member)

    response = client.post(
        SAVE, {"metro": "gamma-oh", "attainment": "1", "miles": "1", "poverty": "1", **post}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DividendScenario.objects.exists()


def test_a_member_keeps_at_most_twenty_scenarios(client, member, small):
    for _ in range(MAX_DIVIDEND_SCENARIOS):
        save(member)
    client.force_login(member)

    response = client.post(SAVE, {"metro": "gamma-oh", "attainment": "1"})

    assert response.status_code == 400
    html = response.content.decode()
    assert f"You have {MAX_DIVIDEND_SCENARIOS} saved scenarios, the most a member can keep" in html
    assert 'href="/vitals/my-metro/#scenarios-heading"' in html
    assert DividendScenario.objects.filter(user=member).count() == MAX_DIVIDEND_SCENARIOS
    # Another member's scenarios do not count against this one.
    other = make_member(email="other@example.org")
    client.force_login(other)
    assert client.post(SAVE, {"metro": "gamma-oh"}).status_code == 302


# --- who may do what ---------------------------------------------------------------------


def scenario_urls(scenario) -> dict[str, str]:
    return {
        "brief": f"/vitals/my-metro/scenarios/{scenario.pk}/brief.pdf",
        "delete": f"/vitals/my-metro/scenarios/{scenario.pk}/delete/",
    }


def test_anonymous_visitors_are_sent_to_sign_in_for_every_scenario_url(client, member, small):
    urls = scenario_urls(save(member))

    for method, url in [("post", SAVE), ("get", urls["brief"]), ("post", urls["delete"])]:
        response = getattr(client, method)(url, {"metro": "gamma-oh"} if url == SAVE else {})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert DividendScenario.objects.count() == 1


def test_signed_in_non_members_are_told_scenarios_are_for_members(client, registered, small):
    client.force_login(registered)

    response = client.post(SAVE, {"metro": "gamma-oh"})

    assert response.status_code == 403 and "Become a member" in response.content.decode()
    assert not DividendScenario.objects.exists()


@pytest.mark.parametrize("persona", ["other_member", "staff"])
def test_nobody_else_sees_downloads_or_deletes_a_members_scenario(
    client, member, staff, small, persona
):
    scenario = save(member, name="Council paper")
    urls = scenario_urls(scenario)
    someone = make_member(email="other@example.org") if persona == "other_member" else staff
    save(someone, name="Their own")
    client.force_login(someone)

    assert client.get(urls["brief"]).status_code == 404
    assert client.post(urls["delete"]).status_code == 404
    assert "Council paper" not in client.get("/vitals/my-metro/").content.decode()
    assert DividendScenario.objects.filter(pk=scenario.pk).exists()


def test_a_member_deletes_their_scenario(client, member, small):
    scenario = save(member, name="Council paper")
    urls = scenario_urls(scenario)
    client.force_login(member)

    assert client.get(urls["delete"]).status_code == 405  # a GET changes nothing
    response = client.post(urls["delete"], follow=True)

    assert not DividendScenario.objects.filter(pk=scenario.pk).exists()
    html = response.content.decode()
    assert "Scenario deleted." in html and "Council paper" not in html
    assert client.post(urls["delete"]).status_code == 404


def test_scenario_pages_are_never_kept_for_others(client, member, small):
    scenario = save(member)
    client.force_login(member)

    for url in ["/vitals/my-metro/", scenario_urls(scenario)["brief"]]:
        assert "private" in client.get(url)["Cache-Control"], url


# --- My metro lists them, worked out again -------------------------------------------------


def test_my_metro_lists_scenarios_with_todays_figures_and_the_constants_version(
    client, member, small
):
    save(member, name="Council paper", steps=steps("2", "3", "1.5"))
    client.force_login(member)
    html = client.get("/vitals/my-metro/").content.decode()

    population = 3_000_000
    assert "Council paper" in html and "1 of 20 saved" in html
    assert f"${population * 365 * 3 * 0.40 / 1e9:,.1f} billion" in html  # Green: 3 miles
    assert f"${population * 0.015 * 19000 / 1e6:,.1f} million" in html  # Opportunity: 1.5 pts
    assert "Live figures; constants version 1;" in html
    assert 'href="/vitals/metros/gamma-oh/dividends/?attainment=2&amp;miles=3&amp;poverty=1.5"' in (
        html
    )

    # New constants: the scenario shows today's figures and says which version it uses.
    version({"cost_per_mile": Decimal("0.50")})
    html = client.get("/vitals/my-metro/").content.decode()
    assert f"${population * 365 * 3 * 0.50 / 1e9:,.1f} billion" in html
    assert "constants version 2 (saved with version 1)" in html


def test_my_metro_without_scenarios_points_to_the_dividends_pages(client, member, small):
    client.force_login(member)

    html = client.get("/vitals/my-metro/").content.decode()

    assert "Saved City Dividends scenarios" in html and "None yet." in html


def test_my_metro_queries_stay_flat_with_ten_times_the_scenarios(
    client, member, small, django_assert_max_num_queries
):
    edition = publish("City Vitals 2026", "2026")
    save(member)
    save(member, edition=edition)
    client.force_login(member)
    client.get("/vitals/my-metro/")  # warm Wagtail's site lookup

    # The page without scenarios runs up to 21 (test_my_metro.py); scenarios add 6.
    with django_assert_max_num_queries(27) as two:
        client.get("/vitals/my-metro/")
    for n in range(18):
        save(member, "10001" if n % 2 else "10003", edition=edition if n % 3 else None)
    with django_assert_max_num_queries(len(two.captured_queries)):
        html = client.get("/vitals/my-metro/").content.decode()
    assert html.count('class="my-metro-scenario"') == 20


def test_scenario_results_run_a_fixed_number_of_queries(member, small, django_assert_num_queries):
    edition = publish("City Vitals 2026", "2026")
    for n in range(6):
        save(member, ["10001", "10002", "10003"][n % 3], edition=edition if n % 2 else None)
    scenarios = list(
        DividendScenario.objects.select_related(
            "metro", "peer_group", "edition__dividend_constants"
        )
    )

    with django_assert_num_queries(5):  # constants, peer groups, slopes; frozen slopes, inputs
        results = scenario_results(scenarios)

    assert all(r.dividends.talent for r in results)


# --- the brief -------------------------------------------------------------------------------


def test_the_brief_is_one_page_with_the_figures_method_and_citation(client, member, small):
    scenario = save(member, name="Council paper", steps=steps("2", "3", "1.5"))
    client.force_login(member)

    response = client.get(scenario_urls(scenario)["brief"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        f'filename="civicnet-city-dividends-gamma-oh-{scenario.pk}.pdf"'
        in response["Content-Disposition"]
    )
    (result,) = scenario_results([scenario], with_inputs=True)
    url = "http://testserver" + result.url
    document = scenario_brief_document(result, page_url=url, citation="CITATION LINE")
    assert len(document.pages) == 1
    text = document_text(document)
    assert "Gamma, OH: Council paper" in text
    assert f"${3_000_000 * 365 * 3 * 0.40 / 1e9:,.1f} billion" in text
    assert "Adults 25+ with a four-year degree 30.0% 2019 ACS 1-year" in text
    assert "Poverty rate 12.0% 2019" in text
    assert "constants version 1" in text and "ordinary least squares" in text
    assert "CITATION LINE" in text


def test_the_brief_cites_the_live_page_or_the_frozen_edition(client, member, small, monkeypatch):
    views = importlib.import_module("vitals.views.my_metro")
    captured, real = [], views.scenario_brief_pdf
    monkeypatch.setattr(
        views, "scenario_brief_pdf", lambda result, **kw: captured.append(kw) or real(result, **kw)
    )
    client.force_login(member)
    live = save(member)
    assert client.get(scenario_urls(live)["brief"]).status_code == 200
    edition = publish("City Vitals 2026", "2026")
    frozen = save(member, edition=edition)
    assert client.get(scenario_urls(frozen)["brief"]).status_code == 200

    live_cite, frozen_cite = captured[0]["citation"], captured[1]["citation"]
    assert live_cite.startswith("civicnet, City Vitals: City Dividends for Gamma, OH (live figures")
    assert "http://testserver/vitals/metros/gamma-oh/dividends/?attainment=2" in live_cite
    assert frozen_cite.startswith(
        "civicnet, City Vitals 2026: City Dividends for Gamma, OH (edition published"
    )
    assert "&edition=2026" in frozen_cite


# --- frozen per edition -----------------------------------------------------------------------


@pytest.fixture
def editions():
    load(*ROWS_2018, *ROWS_2019)
    return publish("City Vitals 2025", "2025", 2018), publish("City Vitals 2026", "2026", 2019)


def inputs_table(html) -> dict[str, list[str]]:
    table = html[html.index('id="inputs-caption"') : html.index("</table>", html.index("inputs"))]
    rows = re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)
    return {name: re.findall(r"<td[^>]*>([^<]*)</td>", cells) for name, cells in rows}


def test_an_editions_dividends_never_change_with_a_reimport_or_new_constants(
    client, staff, editions
):
    old, _ = editions
    url = GAMMA + "?edition=2025&attainment=2"
    before = client.get(url).content.decode()
    assert "Figures from City Vitals 2025" in before
    assert inputs_table(before)["Population"][:2] == ["3,000,000", "2023"]
    assert inputs_table(before)["Adults 25+ with a four-year degree"][:2] == ["30.0%", "2018"]
    assert inputs_table(before)["Per-capita personal income"][:2] == ["$52,000", "2018"]
    assert inputs_table(before)["Poverty rate"] == ["—", "no figure"]  # none up to 2018

    # Re-import: new population, corrected 2018 figures, a new poverty figure; new constants.
    report = vitals_import(
        files=[
            ("sources.csv", SOURCES + INCOME_SOURCE),
            ("indicators.csv", INDICATORS + INCOME_INDICATOR),
            ("metros.csv", METROS.replace("3000000", "3600000")),
            (
                "observations.csv",
                observations(
                    "10002,college_attainment,2018,2018,0.33,,acs1",
                    "10002,per_capita_income,2018,2018,58000,,bea",
                    "10002,poverty_rate,2018,2018,0.14,,acs1",
                    "10001,per_capita_income,2018,2018,95000,,bea",
                ),
            ),
        ]
    )
    assert report.ok, report.problems
    version({"cost_per_mile": Decimal("0.60"), "poverty_spending": Decimal("25000")}, user=staff)

    after = client.get(url).content.decode()
    assert dividends_on(after) == dividends_on(before)
    assert inputs_table(after) == inputs_table(before)
    assert "constants version 1" in after and "Constants version 1" in after
    live = client.get(GAMMA + "?attainment=2").content.decode()
    assert inputs_table(live)["Population"][:2] == ["3,600,000", "2023"]
    assert dividends_on(live) != dividends_on(before)
    assert "Constants version 2" in live

    national = client.get("/vitals/dividends/?edition=2025").content.decode()
    assert "Figures from City Vitals 2025" in national
    assert "3,000,000" in national and "3,600,000" not in national
    assert f"{old.title}" in national


def test_an_edition_freezes_every_metros_inputs_up_to_its_last_year(editions):
    old, new = editions
    gamma = Metro.objects.get(cbsa_code="10002")
    frozen_old = EditionDividendInput.objects.get(edition=old, metro=gamma)
    frozen_new = EditionDividendInput.objects.get(edition=new, metro=gamma)

    assert EditionDividendInput.objects.filter(edition=old).count() == Metro.objects.count()
    assert frozen_old.figures["college_attainment"]["year"] == 2018
    assert "poverty_rate" not in frozen_old.figures
    assert frozen_new.figures["poverty_rate"]["value"] == 0.10
    assert frozen_new.figures["per_capita_income"]["value"] == 60000
    assert (frozen_new.population, frozen_new.population_year) == (3_000_000, 2023)


def test_an_edition_keeps_the_constants_version_current_when_it_was_published(
    client, staff, editions
):
    version({"cost_per_mile": Decimal("0.55")}, user=staff)
    later = publish("City Vitals 2027", "2027")
    version({"cost_per_mile": Decimal("0.70")}, user=staff)

    assert later.dividend_constants.version == 2
    html = client.get(GAMMA + "?edition=2027&miles=1").content.decode()
    assert dividends_on(html)["green"] == f"${3_000_000 * 365 * 0.55 / 1e6:,.1f} million"
    # Published before any version was saved: version 1 as built in, never a later one.
    html = client.get(GAMMA + "?edition=2025&miles=1").content.decode()
    assert dividends_on(html)["green"] == f"${3_000_000 * 365 * 0.40 / 1e6:,.1f} million"


def test_an_edition_scenario_keeps_the_editions_figures(client, member, editions):
    scenario = save(member, edition=editions[0], peer_group=PeerGroup.objects.get(slug="1m-plus"))
    (before,) = scenario_results([scenario])
    load("10002,per_capita_income,2018,2018,58000,,bea")
    version({"cost_per_mile": Decimal("0.60")})

    (after,) = scenario_results([scenario])

    assert after.dividends == before.dividends and after.constants.version == 1
    client.force_login(member)
    html = client.get("/vitals/my-metro/").content.decode()
    assert 'Figures frozen with <a href="/vitals/editions/2025/">City Vitals 2025</a>' in html
    assert "edition=2025" in html


def test_a_metro_not_in_an_edition_has_no_dividends_page_for_it(client, editions):
    load(**{"more_metros.csv": 'cbsa_code,name,pop_2023\n10009,"Newtown, OH",1200000\n'})
    slug = Metro.objects.get(cbsa_code="10009").slug

    assert client.get(f"/vitals/metros/{slug}/dividends/?edition=2026").status_code == 404
    assert client.get(f"/vitals/metros/{slug}/dividends/").status_code == 200


def test_edition_dividends_pages_run_the_same_queries_with_ten_times_the_metros(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    import_small()
    publish("City Vitals A", "a")
    client.get("/vitals/")  # the navigation is kept
    # Worked out afresh. The metro page: the metro; the edition, its peer groups (what a
    # visit is read against) and, once for both kept parts, the metro's frozen inputs, the
    # peer groups, the frozen slope, its points, the indicators, challenges and resources
    # (with their view restrictions). The national page: the kept parts' queries, with the
    # edition's metros instead of the metro's inputs and the indicators.
    with django_assert_num_queries(11):
        client.get(GAMMA + "?edition=a")
    with django_assert_num_queries(7):
        client.get("/vitals/dividends/?edition=a")
    # Kept: the metro only, and nothing.
    with django_assert_num_queries(1):
        client.get(GAMMA + "?edition=a")
    with django_assert_num_queries(0):
        client.get("/vitals/dividends/?edition=a")
    more = {f"{20000 + n}": (0.2 + n / 200, 40000 + n * 500) for n in range(40)}
    metros = "".join(f'{code},"City{code}, OH",{1_000_000 + int(code)}\n' for code in more)
    with django_capture_on_commit_callbacks(execute=True):
        load(**{"more_metros.csv": "cbsa_code,name,pop_2023\n" + metros})
        import_small({**FIGURES, **more})
        publish("City Vitals B", "b")
    client.get("/vitals/")
    with django_assert_num_queries(11):
        client.get(GAMMA + "?edition=b")
    with django_assert_num_queries(7):
        html = client.get("/vitals/dividends/?edition=b").content.decode()
    assert html.count('<circle class="chart__point') == 44


def test_the_account_export_holds_the_persons_my_metro_choice_and_scenarios(client, small):
    member = make_member(email="exporter@example.org")
    save(member, name="Two points more")
    save(make_member(email="someone.else@example.org"), name="Not hers")
    client.force_login(member)

    data = json.loads(client.get("/account/export.json").content)

    (scenario,) = data["dividend_scenarios"]
    assert scenario["name"] == "Two points more" and scenario["metro"] == small.name
    assert scenario["attainment_points"] in ("2", "2.0", 2)
    assert data["my_metro"] is None  # no saved choice yet
