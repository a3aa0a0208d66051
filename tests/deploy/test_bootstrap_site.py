"""bootstrap_site: how a new deployment gets its first content."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Page

from members.models import Plan
from vitals.models import Metro

pytestmark = pytest.mark.django_db


def bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap_site", stdout=out)
    return out.getvalue()


def test_a_fresh_database_serves_the_site_instead_of_the_wagtail_welcome_page(client):
    assert "Welcome to your new Wagtail site" in client.get("/").content.decode()

    bootstrap()
    home = client.get("/")

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


def test_bootstrap_loads_the_real_city_vitals_data_and_the_plans(client):
    bootstrap()

    assert Metro.objects.count() >= 50
    assert client.get("/vitals/metros/pittsburgh-pa/").status_code == 200
    assert set(Plan.objects.values_list("slug", flat=True)) >= {
        "individual-yearly",
        "organisation-monthly",
    }


def test_bootstrap_creates_no_logins_and_no_demo_posts():
    from blog.models import BlogPage
    from library.models import ResourcePage

    bootstrap()

    assert get_user_model().objects.count() == 0
    assert BlogPage.objects.count() == 0
    assert ResourcePage.objects.count() == 0


def test_bootstrap_run_on_every_deploy_changes_nothing_the_second_time():
    bootstrap()
    pages = list(Page.objects.order_by("path").values_list("path", "title"))

    out = bootstrap()

    assert list(Page.objects.order_by("path").values_list("path", "title")) == pages
    assert "City Vitals data already up to date." in out


def test_demo_content_loads_on_top_of_a_bootstrapped_site(client):
    bootstrap()

    call_command("load_demo", force=True, stdout=io.StringIO())

    assert Page.objects.filter(slug="blog").count() == 1
    assert client.get("/blog/").status_code == 200
