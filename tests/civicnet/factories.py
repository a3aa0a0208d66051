from wagtail.models import Collection, Locale, Page, Site

from civicnet.models import HomePage, StandardPage


def wagtail_root() -> Page:
    """The page tree's root, with the locale and root collection Wagtail's migrations make:
    transactional tests flush them, so tests that build a site from nothing restore them."""
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))


def make_home_page(**fields) -> HomePage:
    """The site's home page at the root of the default site, as the demo loader makes it."""
    Page.objects.filter(depth=2, content_type__model="page").delete()
    root = wagtail_root()
    defaults = {
        "title": "Home",
        "slug": "home",
        "hero_heading": "We build and activate cross-sector teams.",
        "hero_intro": "A national, cross-sector city-learning network.",
        "tools": [
            (
                "tool",
                {"title": "City Vitals research", "text": "Benchmarks.", "link_url": "/vitals/"},
            )
        ],
    }
    home = root.add_child(instance=HomePage(**{**defaults, **fields}))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "site_name": "civicnet", "root_page": home},
    )
    return home


def make_standard_page(parent: Page, **fields) -> StandardPage:
    defaults = {
        "title": "About civicnet",
        "slug": "about",
        "intro": "Who we are.",
        "show_in_menus": True,
    }
    page = parent.add_child(instance=StandardPage(**{**defaults, **fields}))
    page.save_revision().publish()
    return page
