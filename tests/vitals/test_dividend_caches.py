"""What the City Dividends pages keep rendered between requests (their figures, table, chart,
method and who works on the dividends: per data version, edition, peer group and steps), that
nothing kept goes stale (an import, a correction, a new constants version or a new edition
shows on the next render) and that nothing of one visitor's is kept for another (the steps
form with their input, the save offer, CSRF tokens)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from core.page_cache import FRAGMENT_KEY_PREFIX
from tests.members.factories import make_member
from tests.vitals.factories import import_files, observations
from tests.vitals.test_dividends import FIGURES, dividends_on, import_small
from vitals import dividend_views
from vitals.dividends import FIRST_CONSTANTS, dividend_constants_create
from vitals.editions import edition_create, edition_publish
from vitals.models import Metro, ObservationRevision

pytestmark = pytest.mark.django_db

METRO = "/vitals/metros/gamma-oh/dividends/"
NATIONAL = "/vitals/dividends/"
# The kept parts of each page: those that depend on the steps, then those that do not.
KEPT = {
    METRO: (
        ["vitals/includes/dividends_metro_figures.html"],
        ["vitals/includes/dividends_metro_body.html"],
    ),
    NATIONAL: (
        ["vitals/includes/dividends_totals.html", "vitals/includes/dividends_rows.html"],
        ["vitals/includes/dividends_intro.html", "vitals/includes/dividends_body.html"],
    ),
}


@pytest.fixture
def small():
    import_small()


def render(client, path: str, query: str = "", n: int = 0, status: int = 200):
    """The page rendered by its view (a parameter no view reads: never a cached page)."""
    response = client.get(f"{path}?{query}&render={n}")
    assert response.status_code == status
    assert response.get("X-Page-Cache", "bypass") == "bypass"  # signed in: never cached
    return response


def rendered(response) -> set[str]:
    """Which of the page's kept parts this response rendered afresh."""
    names = {t.name for t in response.templates}
    return {name for parts in KEPT[response.request["PATH_INFO"]] for name in parts} & names


@pytest.mark.parametrize(("path", "queries"), [(METRO, 1), (NATIONAL, 0)])
def test_each_part_is_rendered_once_for_its_steps(
    visitor, small, path, queries, django_assert_num_queries
):
    by_steps, whatever_the_steps = KEPT[path]
    first = render(visitor, path, "attainment=2", 1)
    assert rendered(first) == {*by_steps, *whatever_the_steps}

    # The same steps written otherwise: everything kept. The metro page asks for its metro.
    with django_assert_num_queries(queries):
        again = render(visitor, path, "attainment=2.0", 2)
    assert rendered(again) == set()
    assert dividends_on(again.content.decode()) == dividends_on(first.content.decode())
    assert "if 2 percentage points more adults" in again.content.decode()
    assert 'value="2.0"' in again.content.decode()  # the form shows what this visitor asked

    # Other steps: only the parts that depend on them.
    other = render(visitor, path, "attainment=3", 3)
    assert rendered(other) == set(by_steps)
    assert "if 3 percentage points more adults" in other.content.decode()


def test_kept_pages_match_pages_rendered_afresh(visitor, small):
    for path in KEPT:
        for n, query in enumerate(["", "miles=2&poverty=0.5", "peer=all", "attainment=lots"]):
            cache.clear()
            status = 400 if "lots" in query else 200
            fresh = render(visitor, path, query, n, status)
            kept = render(visitor, path, query, n, status)
            assert rendered(kept) == set()
            assert kept.content == fresh.content, (path, query)


def test_an_import_shows_on_the_next_render(visitor, small, django_capture_on_commit_callbacks):
    html = render(visitor, METRO, n=1).content.decode()
    assert "3,000,000" in html and "11.0%" not in html
    assert "Newtown" not in render(visitor, NATIONAL, n=1).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        import_files(
            observations_csv=observations("10002,poverty_rate,2020,2020,0.11,,acs1"),
            **{"more_metros.csv": 'cbsa_code,name,pop_2023\n10009,"Newtown, OH",1200000\n'},
        )

    html = render(visitor, METRO, n=2).content.decode()
    assert "11.0%" in html and "2020" in html
    assert "Newtown" in render(visitor, NATIONAL, n=2).content.decode()


def test_a_correction_shows_on_the_next_render(visitor, small, django_capture_on_commit_callbacks):
    before = {path: dividends_on(render(visitor, path, n=1).content.decode()) for path in KEPT}
    assert "30.0%" in render(visitor, METRO, n=1).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        import_small({**FIGURES, "10002": (0.33, 55000), "10001": (0.40, 90000)})
    assert ObservationRevision.objects.exists()  # the figures were corrected, not added

    html = render(visitor, METRO, n=2).content.decode()
    assert "33.0%" in html and "30.0%" not in html
    for path in KEPT:  # a new slope: a new Talent Dividend
        after = dividends_on(render(visitor, path, n=2).content.decode())
        assert after["talent"] != before[path]["talent"], path


def test_a_new_constants_version_shows_on_the_next_render(
    visitor, small, staff, django_capture_on_commit_callbacks
):
    before = {path: dividends_on(render(visitor, path, n=1).content.decode()) for path in KEPT}
    assert before[METRO]["green"] == "$438.0 million"
    values = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}

    with django_capture_on_commit_callbacks(execute=True):
        dividend_constants_create(
            values={**values, "cost_per_mile": Decimal("0.80"), "talent_step": Decimal("2")},
            reason="Newer.",
            user=staff,
        )

    html = render(visitor, METRO, n=2).content.decode()
    assert dividends_on(html)["green"] == "$876.0 million"
    assert "if 2 percentage points more adults" in html  # the new default step
    national = render(visitor, NATIONAL, n=2).content.decode()
    assert dividends_on(national)["green"] != before[NATIONAL]["green"]
    assert "(saved " in national  # no longer the built-in version


def test_a_new_edition_shows_on_the_next_render(
    visitor, small, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for path in KEPT:
        assert "No edition has been published yet." in render(visitor, path, n=1).content.decode()
    assert render(visitor, METRO, "edition=2026", 1, status=404)

    with django_capture_on_commit_callbacks(execute=True):
        edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))

    for path in KEPT:
        html = render(visitor, path, n=2).content.decode()
        assert "Current edition: City Vitals 2026" in html  # the citation, with no query
        assert "No edition has been published yet." not in html
        frozen = render(visitor, path, "edition=2026", 2).content.decode()
        assert "Figures from City Vitals 2026" in frozen
        assert "City Vitals 2026: City Dividends (edition published" in frozen
    with django_assert_num_queries(0):
        render(visitor, NATIONAL, "edition=2026", 3)


def test_what_is_one_visitors_own_is_never_kept_for_another(visitor, member, small):
    other_member = make_member(email="other.member@example.org")
    signed_in = {}
    for person in (member, other_member):
        signed_in[person] = Client()
        signed_in[person].force_login(person)
    first = render(signed_in[member], METRO, "attainment=2", 1).content.decode()
    second = render(signed_in[other_member], METRO, "attainment=2", 2).content.decode()
    anonymous = render(visitor, METRO, "attainment=2.0", 3)
    html = anonymous.content.decode()

    # Both members get the form to save the scenario, each with their own CSRF token.
    assert "Save this scenario" in first and "Save this scenario" in second
    tokens = [
        page.split('name="csrfmiddlewaretoken" value="', 1)[1][:64] for page in (first, second)
    ]
    assert tokens[0] != tokens[1]
    # The visitor shares the kept figures, never a member's form, token or input.
    assert rendered(anonymous) == set()
    assert dividends_on(html) == dividends_on(first)
    assert "Save this scenario" not in html and "csrfmiddlewaretoken" not in html
    assert not any(token in html for token in tokens)
    assert "Log in to save it" in html
    assert "next=/vitals/metros/gamma-oh/dividends/%3Fattainment%3D2.0%26render%3D3" in html
    assert 'value="2.0"' in html and 'value="2"' not in html


@pytest.fixture
def kept_keys(monkeypatch):
    """The names of the fragments the dividends views ask for."""
    keys = []
    real = dividend_views.cached_fragment

    def spy(name, compute):
        keys.append(name)
        return real(name, compute)

    monkeypatch.setattr(dividend_views, "cached_fragment", spy)
    return keys


def test_input_the_page_refuses_or_ignores_never_adds_kept_copies(visitor, small, kept_keys):
    for path in KEPT:
        kept_keys.clear()
        render(visitor, path)
        defaults = set(kept_keys)
        for query, status in [
            ("attainment=lots", 400),
            ("miles=-1&poverty=1", 400),
            ("attainment=1", 200),  # the default step, written out
            ("attainment=&miles=", 200),
            ("peer=nope", 200),  # an unknown peer group is the default one
            ("peer=1m-plus", 200),  # the default one, named
        ]:
            kept_keys.clear()
            render(visitor, path, query, status=status)
            assert set(kept_keys) == defaults, (path, query)

    # An unknown edition is a 404 and keeps nothing.
    for slug in ["1999", "no%20such", "x" * 60]:
        render(visitor, METRO, f"edition={slug}", status=404)
        render(visitor, NATIONAL, f"edition={slug}", status=404)
    assert cache.get(FRAGMENT_KEY_PREFIX + "vitals-dividends:1999") is None


def test_a_metro_missing_from_an_edition_keeps_nothing_for_it(visitor, small):
    edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))
    import_files(**{"more_metros.csv": 'cbsa_code,name,pop_2023\n10009,"Newtown, OH",1200000\n'})
    newtown = Metro.objects.get(cbsa_code="10009")

    path = f"/vitals/metros/{newtown.slug}/dividends/"
    for n in range(2):
        render(visitor, path, "edition=2026", n, status=404)
    assert render(visitor, path).status_code == 200
