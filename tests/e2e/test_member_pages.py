"""Browser journeys through the member pages of issue 14, on a phone (390 px) and a desktop
(1280 px): signing up lands on the welcome step, asking to join without Stripe, writing to a
member whose chosen fields alone show, a City Cluster page, and logging in with an emailed
code. One browser for all (the session's); one test per journey."""

import re

import pytest
from django.core import mail

from members.models import JoinRequest, MemberMessage, Sector
from members.services import cluster_join, cluster_update_post
from tests.e2e.conftest import serious_accessibility_violations
from tests.events.factories import EventFactory
from tests.members.factories import PASSWORD, make_cluster, make_member, make_plan
from tests.vitals.factories import import_files, observations
from vitals.models import Indicator, Metro

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def check_both_widths(page, artifacts, name: str) -> None:
    """The page fits a phone and a desktop without sideways scrolling, and has no serious
    accessibility finding; a screenshot at each width."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size['width']}px"
        page.screenshot(path=artifacts / f"member-pages-{name}-{label}.png", full_page=True)
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")


@pytest.fixture
def eager_tasks():
    """Emails that a task sends go out at once, in the live server's thread."""
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def no_stripe(settings, live_server):
    settings.STRIPE_SECRET_KEY = ""
    settings.SITE_URL = live_server.url
    make_plan()


@pytest.fixture
def ana(db):
    """A listed member who shows her organisation and city but keeps her title and bio."""
    person = make_member(
        email="ana@example.org",
        directory_opt_in=True,
        organisation="Lakefront Transit",
        title="Chief of Staff",
        bio="Bus lanes and the people who ride them.",
        home_city="Cleveland, OH",
        sector=Sector.PUBLIC,
        show_title=False,
        show_bio=False,
    )
    person.first_name, person.last_name = "Ana", "Okafor"
    person.save()
    return person


def test_sign_up_confirm_and_finish_the_welcome_step(page, no_stripe, artifacts):
    import_files(observations_csv=observations("10002,college_attainment,2019,2019,0.30,,acs1"))
    page.set_viewport_size(PHONE)
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "noor@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/confirm-email/")

    link = re.search(r"https?://\S+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/welcome/")
    check_both_widths(page, artifacts, "welcome")

    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_role("combobox", name="Sector").select_option(Sector.CIVIC)
    page.get_by_label("Home metro").select_option(label="Gamma, OH")
    page.get_by_label("List me in the National Network directory").check()
    page.get_by_role("checkbox", name="Bio").uncheck()
    page.get_by_role("button", name="Save and continue").click()

    page.goto("/account/profile/")
    assert page.get_by_label("First name").input_value() == "Noor"
    page.goto("/account/")
    assert "Noor Haddad" in page.content()
    assert "member-" not in page.locator("main").inner_text()  # never the generated username


def test_ask_to_join_without_online_payment(page, no_stripe, eager_tasks, artifacts):
    page.set_viewport_size(PHONE)
    page.goto("/membership/")
    page.get_by_role("link", name=re.compile("Ask to join with the individual")).click()
    page.wait_for_url("**/membership/join/**")
    check_both_widths(page, artifacts, "ask-to-join")

    page.get_by_label("Your name").fill("Jordan Lee")
    page.get_by_label("Email address").fill("jordan@example.org")
    page.get_by_role("button", name="Send my request").click()

    assert page.get_by_role("heading", name="Thank you, we have your request").is_visible()
    request = JoinRequest.objects.get()
    assert (request.email, request.plan.name) == ("jordan@example.org", "Individual")
    (answer,) = mail.outbox  # no staff can review here, so only the person is answered
    assert answer.to == ["jordan@example.org"] and "Dear Jordan Lee" in answer.body


def test_members_see_only_the_fields_a_member_shows_and_write_to_her(
    page, live_server, ana, eager_tasks, artifacts
):
    make_member(email="sam@example.org")
    log_in(page, "sam@example.org")
    page.set_viewport_size(PHONE)

    page.goto("/network/")
    card = page.locator("main").inner_text()
    assert "Ana Okafor" in card and "Lakefront Transit" in card
    assert "Chief of Staff" not in card and "Bus lanes" not in card
    check_both_widths(page, artifacts, "directory")

    page.get_by_role("link", name="Ana Okafor").first.click()
    page.wait_for_url(f"**/network/{ana.username}/")
    profile = page.locator("main").inner_text()
    assert "Lakefront Transit" in profile and "Cleveland, OH" in profile
    assert "Chief of Staff" not in profile and "Bus lanes" not in profile
    assert "ana@example.org" not in page.content()
    check_both_widths(page, artifacts, "profile")

    mail.outbox.clear()
    page.get_by_label("Subject").fill("Bus lanes in Gamma")
    page.get_by_label("Message").fill("Could we compare notes on the downtown corridor?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(f"**/network/{ana.username}/")

    assert MemberMessage.objects.count() == 1
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"] and message.reply_to == ["sam@example.org"]
    assert "compare notes" in message.body
    assert "ana@example.org" not in message.body + message.alternatives[0][0]


def test_a_cluster_page_shows_its_metro_events_and_the_leads_updates(
    page, live_server, ana, artifacts
):
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
        )
    )
    Indicator.objects.filter(code="college_attainment").update(is_headline=True)
    metro = Metro.objects.get(cbsa_code="10002")
    cluster = make_cluster(lead=ana, metro=metro)
    cluster_join(cluster=cluster, user=ana)
    cluster_update_post(cluster=cluster, author=ana, body="Transit working group meets Friday.")
    EventFactory(title="Cleveland walk", cluster=cluster)
    make_member(email="sam@example.org")
    log_in(page, "sam@example.org")
    page.set_viewport_size(PHONE)

    page.goto("/clusters/greater-cleveland/")

    main = page.locator("main")
    assert main.get_by_role("link", name="Gamma, OH").get_attribute("href") == (
        f"/vitals/metros/{metro.slug}/"
    )
    assert "30.0%" in main.inner_text()
    assert main.get_by_role("link", name=re.compile("Cleveland walk")).is_visible()
    assert "Transit working group meets Friday." in main.inner_text()
    check_both_widths(page, artifacts, "cluster")


def test_log_in_with_an_emailed_code(page, live_server, ana, artifacts):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Email me a sign-in code").click()
    page.get_by_label("Email").fill("ana@example.org")
    page.get_by_role("button", name="Email me a code").click()
    page.wait_for_url("**/accounts/login/code/confirm/")
    check_both_widths(page, artifacts, "login-code")

    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.M).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/account/")
    assert "Ana Okafor" in page.content()
