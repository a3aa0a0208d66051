"""Every Wagtail page names its canonical address; other views name none."""

import re

import pytest

from tests.civicnet.factories import make_standard_page

pytestmark = pytest.mark.django_db


def _canonical(html: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]*)">', html)


def test_a_wagtail_page_names_its_full_address(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    about = make_standard_page(home_page)

    assert _canonical(client.get(about.url).content.decode()) == [about.full_url]
    assert _canonical(client.get("/").content.decode()) == [home_page.full_url]
    assert about.full_url.startswith("http") and about.full_url.endswith(about.url)


def test_a_view_that_is_not_a_page_names_none(client, home_page):
    assert _canonical(client.get("/events/").content.decode()) == []
