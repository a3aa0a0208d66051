"""The project's cross-link on the City Dividends pages: who in the network works toward a
dividend (Prize Challenges and library resources tagged with it)."""

import pytest

from tests.events.factories import make_challenge
from tests.library.factories import SECRET, make_library, make_resource
from tests.vitals.factories import import_files
from vitals.models import Dividend

pytestmark = pytest.mark.django_db
PAGES = ["/vitals/metros/gamma-oh/dividends/", "/vitals/dividends/"]


@pytest.fixture
def metros(home_page):
    import_files()


def test_dividend_pages_list_tagged_challenges_and_resource_teasers(visitor, home_page, metros):
    make_challenge(title="Degrees Prize", slug="degrees", dividend=Dividend.TALENT)
    make_challenge(title="Untagged Prize", slug="untagged")
    make_challenge(title="Hidden Prize", slug="hidden", dividend=Dividend.GREEN, is_published=False)
    library = make_library(home_page)
    make_resource(library, title="Bus playbook", dividend=Dividend.GREEN)
    make_resource(library, title="Unpublished guide", dividend=Dividend.GREEN, publish=False)
    make_resource(library, title="Untagged guide")

    for page in PAGES:
        html = visitor.get(page).content.decode()
        practice = html.split("Who is working on this", 1)[1]
        assert "Talent Dividend" in practice and "Degrees Prize" in practice
        assert "Green Dividend" in practice and "Bus playbook" in practice
        assert "Untagged" not in practice
        assert "Hidden Prize" not in practice and "Unpublished guide" not in practice
        assert SECRET not in html  # only the resource's public teaser


def test_dividend_pages_say_when_nobody_is_tagged_yet(visitor, metros):
    html = visitor.get(PAGES[0]).content.decode()

    assert "No Prize Challenge or library resource is tagged with a City Dividend yet." in html


def test_the_framework_resource_links_to_the_dividend_pages(visitor, home_page, member):
    library = make_library(home_page)
    framework = make_resource(
        library, title="The City Dividends framework", resource_type="framework"
    )
    other = make_resource(library, title="Bus playbook")

    assert 'href="/vitals/dividends/"' in visitor.get(framework.url).content.decode()
    assert 'href="/vitals/dividends/"' not in visitor.get(other.url).content.decode()
