import pytest

from tests.blog.factories import AuthorFactory, CategoryFactory, make_blog_index, make_post
from tests.e2e.conftest import serious_accessibility_violations
from tests.library.factories import SECRET, make_document, make_library, make_resource, topic
from tests.members.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editorial(home_page):
    blog = make_blog_index(home_page)
    post = make_post(
        blog,
        title="Buses that come every ten minutes",
        slug="ten-minute-buses",
        standfirst="Frequency beats coverage.",
        authors=[AuthorFactory(name="Maya Ortiz")],
        categories=[CategoryFactory(name="Transit")],
        tags=["buses"],
    )
    library = make_library(home_page)
    resource = make_resource(
        library,
        title="Street redesign toolkit",
        slug="street-redesign-toolkit",
        summary="Redesign a street in ninety days.",
        topics=[topic("Transit")],
        documents=[make_document(title="Street checklist", content=b"metro,minutes\nDenver,25\n")],
    )
    document = resource.documents.first().document
    return {"post": post, "resource": resource, "document": document}


def log_in(page, email):
    page.goto("/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    page.wait_for_load_state()


def test_staff_edits_a_blog_post_in_the_admin_and_publishes_it(page, staff, editorial, artifacts):
    post = editorial["post"]
    log_in(page, staff.email)

    page.goto(f"/admin/pages/{post.pk}/edit/")
    page.fill("#id_title", "Buses that come every eight minutes")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/admin/pages/**")
    page.screenshot(path=artifacts / "editorial-admin-published.png")

    page.goto("/blog/ten-minute-buses/")
    assert page.locator("h1").inner_text() == "Buses that come every eight minutes"
    page.goto("/blog/")
    assert page.get_by_role("link", name="Buses that come every eight minutes").is_visible()


def test_member_opens_a_library_resource_and_downloads_its_file(page, member, editorial, artifacts):
    log_in(page, member.email)

    page.goto("/library/")
    page.get_by_role("link", name="Street redesign toolkit").first.click()
    page.wait_for_url("**/library/street-redesign-toolkit/")
    assert SECRET in page.locator("main").inner_text()
    page.screenshot(path=artifacts / "editorial-member-resource.png", full_page=True)

    link = page.get_by_role("link", name="Street checklist")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.body() == b"metro,minutes\nDenver,25\n"
    assert "private" in response.headers["cache-control"]


def test_anonymous_visitor_sees_the_teaser_and_the_join_call(page, editorial, artifacts):
    page.goto("/library/street-redesign-toolkit/")

    main = page.locator("main").inner_text()
    assert "Redesign a street in ninety days." in main
    assert SECRET not in main
    assert page.get_by_role("link", name="Become a member").first.is_visible()
    assert page.get_by_role("link", name="Street checklist").count() == 0
    page.screenshot(path=artifacts / "editorial-anonymous-teaser.png", full_page=True)

    document = editorial["document"]
    page.goto(f"/documents/{document.pk}/{document.filename}")
    assert "/accounts/login/" in page.url


EDITORIAL_PATHS = [
    "/blog/",
    "/blog/ten-minute-buses/",
    "/blog/category/transit/",
    "/library/",
    "/library/?topic=transit",
    "/library/street-redesign-toolkit/",
    "/search/?q=street",
    "/search/?q=zzzz",
]


def test_editorial_pages_have_no_serious_accessibility_violations(page, editorial):
    found = {}
    for path in EDITORIAL_PATHS:
        page.goto(path)
        found[path] = serious_accessibility_violations(page)

    assert found == {path: [] for path in EDITORIAL_PATHS}


def test_members_library_page_has_no_serious_accessibility_violations(page, member, editorial):
    log_in(page, member.email)
    page.goto("/library/street-redesign-toolkit/")

    assert serious_accessibility_violations(page) == []
