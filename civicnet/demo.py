"""Demo content for `make run`: the home page and the general pages beside it."""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Page, Site

from .models import HomePage, StandardPage

TOOLS = [
    (
        "City Vitals research",
        "We benchmark the largest U.S. metros on six indicators of city "
        "success, from public data. See where yours ranks and who its peers are.",
        "/vitals/",
    ),
    (
        "National Meetings",
        "Twice a year, hundreds of leaders from every sector trade the ideas "
        "that are working in their cities, and leave with partners to try them.",
        "/events/",
    ),
    (
        "City Dividends framework",
        "Small, well-chosen changes can pay large economic dividends. "
        "The framework shows where, and how to measure them.",
        "/library/",
    ),
    (
        "National Network",
        "Planners, mayors, founders, advocates, coders and academics: the "
        "people you should know, searchable by city and sector.",
        "/network/",
    ),
    (
        "Prize Challenges",
        "Competition sharpens ideas. Teams implement real strategies in their "
        "cities and publish the how-to for everyone else.",
        "/challenges/",
    ),
    (
        "Continuing Education",
        "Hands-on workshops, monthly webinars and a reading list chosen "
        "each month keep members current on what works.",
        "/events/",
    ),
]

HERO_INTRO = (
    "civicnet is a national, cross-sector city-learning network. We gather the smartest ideas, "
    "measure how cities are doing, and connect the people ready to act on both."
)

WHY_BODY = (
    "Leadership in a city is not reserved for the people with titles. The ones who move things "
    "are planners, council members, college presidents, founders, organisers and the engineer "
    "who fixes the bus map on a weekend.\n\n"
    "None of them can do it alone. civicnet puts them on the same team, in their own city and "
    "across the country, with the data and the playbooks to make progress visible."
)

PAGES = [
    (
        "about",
        "About civicnet",
        "Who we are, what we believe about cities, and how we work.",
        [
            ("heading", "A network for people who change cities"),
            (
                "paragraph",
                "<p>civicnet started from a simple observation: the people improving "
                "American cities rarely sit in the same room. A transit planner in Denver and a "
                "community banker in Cleveland are solving the same problem with different tools. "
                "We bring them together, with evidence, so good ideas travel faster.</p>",
            ),
            ("heading", "How we work"),
            (
                "paragraph",
                "<ul><li><b>Measure</b>: City Vitals benchmarks metros on public data."
                "</li><li><b>Connect</b>: the National Network and City Clusters link leaders across "
                "sectors.</li><li><b>Act</b>: Prize Challenges and the City Dividends framework turn "
                "ideas into results.</li></ul>",
            ),
        ],
    ),
    (
        "member-benefits",
        "Member benefits",
        "What membership gives you, and your city.",
        [
            (
                "paragraph",
                "<p>Members get the full resource library, free registration for "
                "National Meetings, a place in the National Network directory, their City Cluster, "
                "and the right to enter Prize Challenges.</p>",
            ),
            (
                "call_to_action",
                {
                    "heading": "Ready to join?",
                    "text": "Individual and organisation plans, billed monthly or yearly.",
                    "link_url": "/membership/",
                    "link_text": "See membership plans",
                },
            ),
        ],
    ),
]


def load(stdout) -> None:
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's first migration leaves a bare placeholder page as the site root.
        Page.objects.filter(depth=2, content_type__model="page", numchild=0).delete()
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(
                title="Home",
                slug="home",
                hero_heading="We build and activate cross-sector teams.",
                hero_intro=HERO_INTRO,
                why_body=WHY_BODY,
                tools=[
                    ("tool", {"title": t, "text": text, "link_url": url}) for t, text, url in TOOLS
                ],
            )
        )
        home.save_revision().publish()
        address = urlsplit(settings.SITE_URL)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                "hostname": address.hostname or "localhost",
                "port": address.port or (443 if address.scheme == "https" else 80),
                "site_name": "civicnet",
                "root_page": home,
            },
        )
    for slug, title, intro, body in PAGES:
        if not StandardPage.objects.filter(slug=slug).exists():
            page = home.add_child(
                instance=StandardPage(
                    title=title, slug=slug, intro=intro, body=body, show_in_menus=slug == "about"
                )
            )
            page.save_revision().publish()
    stdout.write(f"Home page and {len(PAGES)} standard pages are in place.")
