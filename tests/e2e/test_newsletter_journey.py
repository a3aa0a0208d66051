import pytest

from newsletter.models import Edition, Subscriber
from newsletter.tokens import confirmation_token, unsubscribe_token
from tests.e2e.conftest import serious_accessibility_violations
from tests.newsletter.factories import make_edition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_subscribes_confirms_and_unsubscribes_in_one_click(page, home_page, artifacts):
    page.goto("/newsletter/subscribe/")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Email address").fill("walker@example.org")
    page.get_by_label("Prize Challenges").uncheck()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/newsletter/subscribe/sent/")
    assert page.get_by_role("heading", name="Check your inbox").is_visible()

    subscriber = Subscriber.objects.get(email="walker@example.org")
    assert "challenges" not in subscriber.topics
    page.goto(
        f"/newsletter/confirm/{confirmation_token(subscriber.pk, subscriber.confirmation_nonce)}/"
    )
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, subscribe me").click()
    assert page.get_by_role("heading", name="You are subscribed").is_visible()

    page.goto(f"/newsletter/unsubscribe/{unsubscribe_token(subscriber.pk)}/")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    page.screenshot(path=artifacts / "newsletter-unsubscribed.png", full_page=True)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_web_version_of_a_sent_edition_is_readable_and_accessible(page, home_page, artifacts):
    from newsletter.rendering import render_edition

    edition = make_edition(subject="Transit week")
    edition.rendered_html, edition.rendered_text = render_edition(edition)
    edition.status = Edition.Status.SENT
    edition.save()
    page.goto(f"/newsletter/editions/{edition.pk}/")
    assert page.title() == "Transit week"
    assert page.get_by_role("link", name="Become a member").is_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "newsletter-web-version.png", full_page=True)
    page.goto("/newsletter/")
    assert page.get_by_role("link", name="Transit week").is_visible()
    assert serious_accessibility_violations(page) == []
