"""Every page type of the demo site, at 390 px and 1280 px: axe finds no serious or critical
violation, nothing scrolls sideways, and a full-page screenshot of each is saved in
test-artifacts/pages/ (look at them after a change to the templates or CSS).

One browser, one loop of pages per width, over the content `make run` loads (load_demo), so
the pages are the ones a newcomer sees, at their real length."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tests.civicnet.factories import wagtail_root
from tests.e2e.conftest import serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC = [
    ("home", "/"),
    ("blog-index", "/blog/"),
    ("blog-post", "/blog/the-ten-minute-bus/"),
    ("blog-interview", "/blog/changemaker-a-librarian-who-rewired-a-neighbourhood/"),
    ("library-index", "/library/"),
    ("library-resource", "/library/talent-attraction-benchmarks-2026/"),
    ("library-framework", "/library/city-dividends-framework/"),
    ("library-reading-list", "/library/reading-list-november-2026/"),
    ("events-index", "/events/"),
    ("events-past", "/events/past/"),
    ("event", "/events/{next_meeting}/"),
    ("challenges-index", "/challenges/"),
    ("challenge", "/challenges/main-street-revival-prize/"),
    ("vitals-rankings", "/vitals/"),
    ("vitals-metro", "/vitals/metros/cleveland-oh/"),
    ("vitals-indicator", "/vitals/indicators/median-household-income/"),
    ("vitals-compare", "/vitals/compare/?metro=cleveland-oh&metro=denver-co&metro=pittsburgh-pa"),
    ("vitals-dividends", "/vitals/dividends/"),
    ("vitals-metro-dividends", "/vitals/metros/cleveland-oh/dividends/"),
    ("vitals-editions", "/vitals/editions/"),
    ("membership", "/membership/"),
    ("member-benefits", "/member-benefits/"),
    ("about", "/about/"),
    ("contact", "/contact/"),
    ("privacy", "/privacy/"),
    ("terms", "/terms/"),
    ("search", "/search/?q=housing"),
    ("newsletter-archive", "/newsletter/"),
    ("newsletter-web-version", "/newsletter/editions/{edition}/"),
    ("newsletter-subscribe", "/newsletter/subscribe/"),
    ("login", "/accounts/login/"),
    ("signup", "/accounts/signup/"),
]
MEMBER = [
    ("network-directory", "/network/"),
    ("network-profile", "/network/{profile}/"),
    ("clusters", "/clusters/"),
    ("cluster", "/clusters/greater-cleveland/"),
    ("account", "/account/"),
    ("account-profile", "/account/profile/"),
    ("account-learning", "/account/learning/"),
    ("challenge-entry", "/challenges/main-street-revival-prize/submit/"),
    ("my-metro", "/vitals/my-metro/"),
]
WIDTHS = [390, 1280]


@pytest.fixture
def demo_site():
    from django.contrib.auth import get_user_model

    from events.models import Event
    from newsletter.models import Edition

    wagtail_root()  # an earlier transactional test may have flushed Wagtail's own rows
    call_command("load_demo", force=True, stdout=io.StringIO())
    next_meeting = Event.objects.filter(kind=Event.Kind.NATIONAL_MEETING).latest("starts_at")
    edition = Edition.objects.filter(status="sent").earliest("pk")
    rosa = get_user_model().objects.get(email="rosa.delgado@demo.civicnet.example")
    return {"next_meeting": next_meeting.slug, "edition": edition.pk, "profile": rosa.username}


def member_cookie(live_server) -> dict:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(email="member@civicnet.example"))
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def demo_emails(mailoutbox) -> list[tuple[str, str]]:
    """The HTML of a registration confirmation (with its calendar link and join details) and
    of a newsletter edition, as the demo's people receive them."""
    from events.models import RegistrationEmail
    from events.services.emails import registration_email_send
    from newsletter.models import Edition

    confirmation = RegistrationEmail.objects.filter(kind="confirmed").earliest("pk")
    RegistrationEmail.objects.filter(pk=confirmation.pk).update(sent_at=None, skipped=False)
    assert registration_email_send(email_id=confirmation.pk)
    html = {
        "email-registration": mailoutbox[-1].alternatives[0][0],
        "email-newsletter": Edition.objects.filter(status="sent").latest("pk").rendered_html,
    }
    return list(html.items())


def test_every_page_type_at_both_widths(browser, live_server, demo_site, artifacts, mailoutbox):
    folder = artifacts / "pages"
    folder.mkdir(exist_ok=True)
    problems = []
    for width in WIDTHS:
        for pages, signed_in in [(PUBLIC, False), (MEMBER, True)]:
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": width, "height": 900}
            )
            if signed_in:
                context.add_cookies([member_cookie(live_server)])
            page = context.new_page()
            for name, path in pages:
                response = page.goto(path.format(**demo_site))
                if response.status != 200:
                    problems.append(f"{width} {path}: status {response.status}")
                    continue
                page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
                overflow = page.evaluate("document.documentElement.scrollWidth") - width
                if overflow > 0:
                    problems.append(f"{width} {path}: scrolls sideways by {overflow}px")
                problems += [f"{width} {path}: {v}" for v in serious_accessibility_violations(page)]
            context.close()
    # Every email at a phone's width: one column, nothing wider than the screen.
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    for name, html in demo_emails(mailoutbox):
        page.set_content(html)
        page.screenshot(path=folder / f"{name}-390.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth") - 390
        if overflow > 0:
            problems.append(f"390 {name}: scrolls sideways by {overflow}px")
    context.close()

    assert problems == []
