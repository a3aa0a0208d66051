"""bootstrap_site: how a new deployment gets its first content."""

import io
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from wagtail.models import Page

from members.models import Plan
from vitals.models import Metro

pytestmark = pytest.mark.django_db


def bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap_site", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def bootstrapped(django_db_setup, django_db_blocker, tmp_path_factory):
    """bootstrap_site run once for the module, inside a transaction rolled back at its end
    (each test runs in a savepoint inside it): loading the real City Vitals data is the slow
    part, and every test starts from it. The home page is fetched before (the fresh database
    serves Wagtail's welcome page, which the page cache keeps) and right after it."""
    from django.core.cache import cache

    roots = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("bootstrap-media"),
        PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("bootstrap-private"),
    )
    with roots, django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            cache.clear()  # no page cached by an earlier test stands in for the fresh site
            visitor = Client()
            fresh_home = visitor.get("/").content.decode()
            output = bootstrap()
            yield SimpleNamespace(
                fresh_home=fresh_home,
                home=visitor.get("/"),
                output=output,
                pages=list(Page.objects.order_by("path").values_list("path", "title")),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_a_fresh_database_serves_the_site_instead_of_the_wagtail_welcome_page(client, bootstrapped):
    assert "Welcome to your new Wagtail site" in bootstrapped.fresh_home

    home = bootstrapped.home  # fetched right after bootstrap_site, the welcome page cached

    assert home.status_code == 200
    assert "Welcome to your new Wagtail site" not in home.content.decode()
    assert "We build and activate cross-sector teams." in home.content.decode()
    for path in (
        "/about/",
        "/member-benefits/",
        "/blog/",
        "/library/",
        "/vitals/",
        "/contact/",
        "/privacy/",
        "/terms/",
    ):
        assert client.get(path).status_code == 200, path


def test_bootstrap_loads_the_real_city_vitals_data_and_the_plans(client, bootstrapped):
    assert Metro.objects.count() >= 50
    assert client.get("/vitals/metros/pittsburgh-pa/").status_code == 200
    assert set(Plan.objects.values_list("slug", flat=True)) >= {
        "individual-yearly",
        "organisation-monthly",
    }


def test_bootstrap_creates_no_logins_and_no_demo_posts(bootstrapped):
    from blog.models import BlogPage
    from library.models import ResourcePage

    assert get_user_model().objects.count() == 0
    assert BlogPage.objects.count() == 0
    assert ResourcePage.objects.count() == 0


def test_bootstrap_run_on_every_deploy_changes_nothing_the_second_time(bootstrapped):
    assert list(Page.objects.order_by("path").values_list("path", "title")) == (bootstrapped.pages)

    out = bootstrap()

    assert list(Page.objects.order_by("path").values_list("path", "title")) == (bootstrapped.pages)
    assert "City Vitals data already up to date." in out


def test_demo_content_loads_on_top_of_a_bootstrapped_site(client, bootstrapped):
    call_command("load_demo", force=True, stdout=io.StringIO())

    assert Page.objects.filter(slug="blog").count() == 1
    assert client.get("/blog/").status_code == 200
