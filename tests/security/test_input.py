"""Bad input gets a 400 that says what was wrong (the audit's examples, one by one), and the
site-wide headers: Permissions-Policy everywhere, Cache-Control: private when signed in."""

import json
import time

import pytest

from members.models import Membership
from members.services import membership_set
from tests.members.factories import make_member, make_plan
from tests.members.fake_stripe import WEBHOOK_SECRET, FakeStripe, post_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # as in production: an exception is a 500 page
    return client


@pytest.fixture
def small_vitals(db):
    from tests.vitals.factories import import_files, observations

    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))


@pytest.fixture
def library(home_page):
    from tests.library.factories import make_library

    return make_library(home_page)


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=a%00b",
        "/vitals/compare/?metro=a%00b",
        "/vitals/indicators/college-attainment/?metro=%00",
        "/library/?topic=tr%00ansit",
        "/library/?city=%00",
        "/network/someone%00else/",
        "/vitals/?year=2019%01",
        "/events/%00/",
    ],
)
def test_nul_and_control_characters_in_paths_and_queries_are_a_clear_400(
    client, member, small_vitals, library, url
):
    client.force_login(member)

    response = client.get(url)

    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_nul_in_a_form_post_is_a_400_before_any_view_runs(client, home_page):
    response = client.post(
        "/newsletter/subscribe/",
        "email=a%00%40example.org",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_tabs_and_line_breaks_in_a_query_are_still_accepted(client, home_page):
    assert client.get("/search/?q=transit%0Aparks%09housing").status_code == 200


def test_a_non_numeric_seat_to_remove_is_a_400_and_frees_nothing(client):
    plan = make_plan(slug="org", kind="organisation", seats=3, stripe_price_id="price_org")
    admin = make_member(email="admin@org.example")
    membership_set(user=admin, status=Membership.Status.ACTIVE, current_period_end=None, plan=plan)
    client.force_login(admin)
    client.post("/account/seats/", {"email": "colleague@org.example"})

    for value in ("abc", "1e3", "-1", "", "９"):
        response = client.post("/account/seats/", {"remove": value})
        assert response.status_code == 400, value
        assert "“remove” must be a whole number" in response.content.decode()
    assert admin.membership.seats.count() == 1


def test_a_non_numeric_registration_on_the_attendee_list_is_a_400(client, staff):
    from tests.events.factories import EventFactory

    event = EventFactory(slug="fall-meeting")
    client.force_login(staff)

    response = client.post(f"/events/{event.slug}/attendees/", {"registration": "x"})

    assert response.status_code == 400
    assert "“registration” must be a whole number" in response.content.decode()


# --- Stripe webhook -----------------------------------------------------------------------
@pytest.fixture
def stripe_webhook(settings):
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_civicnet"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.mark.parametrize("missing", ["id", "type", "data"])
def test_a_signed_webhook_event_missing_its_id_type_or_data_is_a_400(
    client, stripe_webhook, missing
):
    event = stripe_webhook.event("customer.subscription.updated", {"id": "sub_1"})
    del event[missing]

    response = post_event(client, event)

    assert response.status_code == 400


def test_a_signed_webhook_payload_that_is_not_an_object_is_a_400(client, stripe_webhook):
    payload = b'["not", "an", "event"]'
    response = client.post(
        "/membership/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )

    assert response.status_code == 400


@pytest.mark.parametrize("offset", [60 * 60, 24 * 60 * 60, 10 * 365 * 24 * 60 * 60])
def test_a_webhook_signed_far_in_the_future_is_refused(client, stripe_webhook, offset):
    event = stripe_webhook.event("invoice.created", {"id": "in_1"})
    payload = json.dumps(event).encode()
    signature = sign(payload, timestamp=int(time.time()) + offset)

    response = post_event(client, event, signature=signature)

    assert response.status_code == 400


def test_a_webhook_signed_now_or_with_small_clock_skew_is_accepted(client, stripe_webhook):
    for skew in (0, 60, -60):
        event = stripe_webhook.event("invoice.created", {"id": "in_1"})
        payload = json.dumps(event).encode()
        signature = sign(payload, timestamp=int(time.time()) + skew)

        assert post_event(client, event, signature=signature).status_code == 200


# --- Headers ------------------------------------------------------------------------------
HEADER_URLS = [
    "/",
    "/about/",
    "/search/?q=x",
    "/vitals/",
    "/events/",
    "/membership/",
    "/account/",
    "/accounts/email/",
    "/accounts/login/",
    "/network/",
    "/library/",
    "/no-such-page/",
    "/healthz",
    "/robots.txt",
]


@pytest.fixture
def site(home_page, library):
    from tests.civicnet.factories import make_standard_page

    make_standard_page(home_page)
    return home_page


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_response_turns_off_browser_features_the_site_never_uses(
    client, member, site, signed_in
):
    if signed_in:
        client.force_login(member)
    for url in [*HEADER_URLS, "/search/?q=%00"]:
        policy = client.get(url)["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in policy, url


def test_a_cached_anonymous_page_carries_the_permissions_policy_too(client, site):
    client.get("/about/")
    hit = client.get("/about/")

    assert hit["X-Page-Cache"] == "hit"
    assert "camera=()" in hit["Permissions-Policy"]


@pytest.mark.parametrize("persona", ["registered", "member", "lapsed", "staff"])
def test_every_response_to_a_signed_in_visitor_is_private(client, site, request, persona):
    client.force_login(request.getfixturevalue(persona))

    for url in [*HEADER_URLS, "/vitals/rankings.csv", "/vitals/api/rankings.json"]:
        response = client.get(url)
        directives = [d.strip() for d in response.get("Cache-Control", "").split(",")]
        assert "private" in directives, (url, response.status_code, directives)
        assert "public" not in directives and not any(
            d.startswith("s-maxage") for d in directives
        ), url


def test_no_store_set_by_a_view_is_kept_for_signed_in_visitors(client, member):
    client.force_login(member)

    cache_control = client.get("/healthz")["Cache-Control"]

    assert "private" in cache_control and "no-store" in cache_control


def test_anonymous_public_pages_stay_cacheable(client, site):
    response = client.get("/about/")

    assert "private" not in response.get("Cache-Control", "")
    assert client.get("/about/")["X-Page-Cache"] == "hit"


# --- Signed webhooks with hostile bodies: what only a key holder could send ---------------
HOSTILE_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{}",
    b'{"type": [], "email": {}}',
    b'{"type": {"a": 1}, "id": ["x"], "data": []}',
    b'{"type": "bounce", "email": "a\\u0000@example.org"}',
    b'{"type": "bounce", "email": "' + b"a" * 400 + b'@example.org"}',
    b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": []}}',
    b'{"id": 7, "object": "event", "type": "invoice.paid", "data": {"object": {}}}',
    b"\xff\xfe not utf-8",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_correctly_signed_hostile_webhook_bodies_are_a_400_never_a_500(
    client, stripe_webhook, settings, body
):
    import hashlib
    import hmac

    settings.NEWSLETTER_WEBHOOK_SECRET = "newsletter-secret"
    stripe = client.post(
        "/membership/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body),
    )
    digest = hmac.new(b"newsletter-secret", body, hashlib.sha256).hexdigest()
    bounces = client.post(
        "/newsletter/webhook/bounces/",
        data=body,
        content_type="application/json",
        HTTP_X_CIVICNET_SIGNATURE=f"sha256={digest}",
    )

    assert stripe.status_code == 400
    assert bounces.status_code == 400
