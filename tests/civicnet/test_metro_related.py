"""The project's cross-link: a metro's City Vitals page lists posts and resources about it."""

import pytest

from tests.blog.factories import make_blog_index, make_post
from tests.library.factories import SECRET, city, make_library, make_resource
from tests.vitals.factories import import_files, observations

pytestmark = pytest.mark.django_db


@pytest.fixture
def gamma(home_page):
    import_files(observations_csv=observations("10002,college_attainment,2019,2019,0.3,,acs1"))
    return "/vitals/metros/gamma-oh/"


def test_metro_page_lists_posts_and_resource_teasers_about_its_city(visitor, home_page, gamma):
    blog = make_blog_index(home_page)
    make_post(blog, title="What Gamma learned from its buses", tags=["transit"])
    make_post(blog, title="Tagged only", tags=["Gamma"])
    make_post(blog, title="About somewhere else")
    library = make_library(home_page)
    make_resource(library, title="Main street toolkit", cities=[city("Gamma, OH")])

    html = visitor.get(gamma).content.decode()

    assert "From the network about Gamma" in html
    assert "What Gamma learned from its buses" in html
    assert "Tagged only" in html
    assert "About somewhere else" not in html
    assert "Main street toolkit" in html
    assert SECRET not in html  # a resource's members-only body never leaks into the teaser


def test_metro_page_says_when_nothing_is_written_about_its_city(visitor, home_page, gamma):
    html = visitor.get(gamma).content.decode()

    assert "Nothing written about Gamma yet." in html
