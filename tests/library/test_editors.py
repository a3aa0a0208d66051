import datetime
import io

import pytest
from django.utils import timezone

from blog.models import BlogIndexPage
from civicnet.models import HomePage, StandardPage
from library.demo import _review_workflow
from library.models import LibraryIndexPage, ResourcePage
from library.tasks import publish_scheduled_pages
from tests.library.factories import make_library, make_resource

pytestmark = pytest.mark.django_db


def test_home_page_takes_only_the_sections_that_belong_there():
    assert set(HomePage.allowed_subpage_models()) == {StandardPage, BlogIndexPage, LibraryIndexPage}
    assert ResourcePage not in HomePage.allowed_subpage_models()


def test_library_pages_go_through_review_before_publishing(home_page):
    library = make_library(home_page)
    resource = make_resource(library)
    _review_workflow(library)
    _review_workflow(library)  # idempotent

    workflow = resource.get_workflow()
    assert workflow is not None and workflow.name == "Library publishing"
    assert [task.name for task in workflow.tasks] == ["Library review"]
    assert home_page.get_workflow() is None or home_page.get_workflow() != workflow


def test_scheduled_resources_go_live_when_their_time_comes(home_page):
    library = make_library(home_page)
    resource = make_resource(library, publish=False)
    revision = resource.save_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision.save()

    publish_scheduled_pages()

    resource.refresh_from_db()
    assert resource.live


def test_the_wagtail_api_is_not_exposed(visitor, home_page):
    assert visitor.get("/api/v2/pages/").status_code == 404


def test_editors_see_the_feedback_report_and_library_downloads_in_reports(client, staff):
    client.force_login(staff)

    assert client.get("/admin/reports/page-feedback/").status_code == 200
    assert client.get("/admin/reports/library-downloads/").status_code == 200


def test_demo_library_is_idempotent(home_page):
    from blog import demo as blog_demo
    from library import demo as library_demo

    out = io.StringIO()
    for _ in range(2):
        blog_demo.load(out)
        library_demo.load(out)

    assert ResourcePage.objects.count() == 7
    assert "(0 new)" in out.getvalue().splitlines()[-1]


def test_library_editors_edit_only_the_library_and_its_files(home_page):
    from django.contrib.auth.models import Group
    from wagtail.documents import get_document_model
    from wagtail.permissions import policy_registry

    from library.demo import _library_editors
    from library.selectors import library_collection
    from tests.library.factories import make_document
    from tests.members.factories import UserFactory

    library = make_library(home_page)
    resource = make_resource(library)
    _library_editors(library)
    _library_editors(library)  # idempotent
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get(name="Library editors"))
    documents = policy_registry.get_by_type(get_document_model())

    assert resource.permissions_for_user(editor).can_edit()
    assert not resource.permissions_for_user(editor).can_publish()
    assert not home_page.permissions_for_user(editor).can_edit()
    assert documents.user_has_permission_for_instance(editor, "change", make_document())
    assert list(documents.collections_user_has_permission_for(editor, "add")) == [
        library_collection()
    ]


def test_staff_can_open_the_editing_forms_of_every_editorial_page_type(client, staff, home_page):
    from tests.blog.factories import make_blog_index, make_post

    blog = make_blog_index(home_page)
    post = make_post(blog)
    library = make_library(home_page)
    resource = make_resource(library)
    client.force_login(staff)

    for url in (
        f"/admin/pages/{post.pk}/edit/",
        f"/admin/pages/{blog.pk}/edit/",
        f"/admin/pages/add/blog/blogpage/{blog.pk}/",
        f"/admin/pages/{resource.pk}/edit/",
        f"/admin/pages/{library.pk}/edit/",
        f"/admin/pages/add/library/resourcepage/{library.pk}/",
        "/admin/snippets/blog/author/",
        "/admin/snippets/blog/blogcategory/",
        "/admin/snippets/library/resourcetopic/",
    ):
        assert client.get(url).status_code == 200, url
