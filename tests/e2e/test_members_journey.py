"""Browser journey: sign up, verify the email, join through (fake) Stripe, open the directory."""

import json
import re

import pytest
from django.core import mail

from members.models import Sector
from members.services import cluster_join
from tests.e2e.conftest import serious_accessibility_violations
from tests.members.factories import PASSWORD, make_cluster, make_member, make_plan
from tests.members.fake_stripe import WEBHOOK_SECRET, FakeStripe, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_world(settings, live_server):
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_browser"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        settings.SITE_URL = live_server.url
        # The CSP lets forms lead to Stripe's hosted pages; here the fake stands in for them.
        form_action = [*settings.SECURE_CSP["form-action"], fake.url]
        settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": form_action}
        make_plan()
        cluster = make_cluster()
        colleague = make_member(
            email="ana@example.org",
            directory_opt_in=True,
            organisation="Lakefront Transit",
            sector=Sector.PUBLIC,
            home_city="Cleveland, OH",
        )
        cluster_join(cluster=cluster, user=colleague)
        yield fake


def deliver(page, event: dict) -> int:
    """Post a signed event to the live site's webhook, as Stripe would."""
    payload = json.dumps(event).encode()
    response = page.request.post(
        "/membership/webhook/",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
    )
    return response.status


def test_sign_up_verify_join_and_see_the_directory(page, live_server, stripe_world, artifacts):
    page.goto("/accounts/signup/")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "members-signup.png", full_page=True)
    page.fill("input[name=email]", "newcomer@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/confirm-email/")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto("/accounts/" + link.split("/accounts/", 1)[1])
    page.get_by_role("button", name="Confirm").click()
    page.goto("/accounts/login/")
    if page.url.endswith("/accounts/login/"):
        page.fill("input[name=login]", "newcomer@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Log in").click()
    page.goto("/network/")
    assert "Lakefront Transit" not in page.content()  # not a member yet

    page.goto("/membership/")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "members-membership.png", full_page=True)
    page.get_by_role("link", name=re.compile("Join with the individual")).click()
    page.get_by_role("button", name="Continue to secure payment").click()
    page.wait_for_url(f"{stripe_world.url}/checkout/*")
    assert page.locator("h1").inner_text() == "Fake Stripe Checkout"

    session = stripe_world.complete_checkout(page.url.rsplit("/", 1)[1])
    assert deliver(page, stripe_world.event("checkout.session.completed", session)) == 200
    page.goto(f"{live_server.url}/membership/welcome/")
    assert "Your membership is active" in page.content()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Network").click()
    page.wait_for_url("**/network/")
    assert page.get_by_role("heading", name="Alex Rivera").is_visible()
    assert "Lakefront Transit" in page.content()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "members-network.png", full_page=True)

    page.goto("/clusters/greater-cleveland/")
    page.get_by_role("button", name="Join Greater Cleveland").click()
    assert page.get_by_role("button", name="Leave Greater Cleveland").is_visible()
    assert serious_accessibility_violations(page) == []

    page.goto("/account/")
    assert "Renews on" in page.content()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "members-account.png", full_page=True)


@pytest.mark.parametrize(
    "path",
    [
        "/clusters/",
        "/network/",
        "/accounts/password/reset/",
        "/account/profile/",
        "/accounts/2fa/",
    ],
)
def test_member_pages_have_no_serious_accessibility_violations(page, stripe_world, path, artifacts):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "ana@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")

    page.goto(path)

    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / f"members{path.replace('/', '-')[:-1]}.png", full_page=True)
