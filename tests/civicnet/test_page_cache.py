import re
import secrets
import threading
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from civicnet.models import PageFeedback
from core.page_cache import (
    CSRF_PLACEHOLDER,
    ENTRY_KEY_PREFIX,
    PageCacheMiddleware,
    cacheable_query,
    entry_key,
    page_cache_clear,
)
from tests.civicnet.factories import make_standard_page

pytestmark = pytest.mark.django_db

TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


# Views that exist only for these tests, served by the site's own URLs plus these.
@cache_control(private=True)
def private_view(request):
    return HttpResponse("yours alone")


@never_cache
def never_cached_view(request):
    return HttpResponse("fresh every time")


def cookie_view(request):
    response = HttpResponse("sets a cookie")
    response.set_cookie("tracking", "1")
    return response


def nonce_view(request):
    return HttpResponse(f'<script nonce="{get_nonce(request)}" src="/static/x.js"></script>')


def public_view(request):
    return HttpResponse("the same for everyone")


def form_view(request):
    if request.method == "POST":
        return HttpResponse("posted")
    template = engines["django"].from_string(
        '<form method="post">{% csrf_token %}<button>Send</button></form>'
        '<form method="post">{% csrf_token %}<button>Send too</button></form>'
    )
    return HttpResponse(template.render(request=request))


def token_in_page_view(request):
    # A token from the view itself, not from a template's csrf_token.
    return HttpResponse(f'<script>const token = "{get_token(request)}";</script>')


def token_in_header_view(request):
    response = HttpResponse("the token is in a header")
    response["X-CSRFToken"] = get_token(request)
    return response


@ensure_csrf_cookie
def csrf_cookie_view(request):
    return HttpResponse("a page whose script reads the CSRF cookie")


urlpatterns = [
    path("test/form/", form_view),
    path("test/token-in-page/", token_in_page_view),
    path("test/token-in-header/", token_in_header_view),
    path("test/csrf-cookie/", csrf_cookie_view),
    path("test/private/", private_view),
    path("test/never-cached/", never_cached_view),
    path("test/cookie/", cookie_view),
    path("test/nonce/", nonce_view),
    path("test/public/", public_view),
    path("account/test/", public_view),
    path("", include("civicnet.urls")),
]


@pytest.fixture
def about(home_page):
    return make_standard_page(home_page)


def test_second_anonymous_visit_is_a_cache_hit_without_database_queries(
    visitor, home_page, django_assert_num_queries
):
    first = visitor.get("/")
    with django_assert_num_queries(0):
        second = visitor.get("/")

    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.status_code == 200
    assert second.content == first.content


def test_a_cached_page_keeps_its_security_headers(visitor, home_page):
    visitor.get("/")
    hit = visitor.get("/")

    assert hit["X-Page-Cache"] == "hit"
    assert "default-src 'self'" in hit["Content-Security-Policy"]
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert hit["Content-Type"].startswith("text/html")
    assert int(hit["Content-Length"]) == len(hit.content)


def test_head_requests_are_served_from_the_cache(visitor, home_page):
    visitor.get("/")

    assert visitor.head("/")["X-Page-Cache"] == "hit"


def test_signed_in_person_never_gets_a_cached_page(client, home_page, registered):
    Client().get("/")  # an anonymous visitor fills the cache
    client.force_login(registered)

    response = client.get("/")

    assert "X-Page-Cache" not in response
    assert "My account" in response.content.decode()


def test_signed_in_person_never_fills_the_cache(client, home_page, registered):
    client.force_login(registered)
    client.get("/")

    anonymous = Client().get("/")

    assert anonymous["X-Page-Cache"] == "miss"
    assert "My account" not in anonymous.content.decode()


def test_a_response_for_an_authenticated_user_is_never_stored(home_page, registered):
    # Even without a session cookie, e.g. a user set by some other authentication.
    request = RequestFactory().get("/test/public/")
    request.user = registered
    middleware = PageCacheMiddleware(lambda request: HttpResponse("hello"))

    assert middleware._entry_for(request, HttpResponse("hello"), generation=1) is None
    request.user = AnonymousUser()
    assert middleware._entry_for(request, HttpResponse("hello"), generation=1) is not None


def test_feedback_form_on_a_cached_page_posts_with_csrf_enforced(about):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    miss = first.get("/about/")
    hit = second.get("/about/")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")

    token = TOKEN_INPUT.search(hit.content.decode()).group(1)
    response = second.post(
        f"/feedback/{about.pk}/", {"helpful": "yes", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert PageFeedback.objects.get(page=about).helpful is True


def test_visitors_of_a_cached_page_get_their_own_csrf_tokens(about):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = first.get("/about/").content.decode()
    second_html = second.get("/about/").content.decode()

    first_token = TOKEN_INPUT.search(first_html).group(1)
    second_token = TOKEN_INPUT.search(second_html).group(1)
    assert first_token != second_token
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    stored = cache.get(entry_key(RequestFactory().get("/about/")))
    assert CSRF_PLACEHOLDER in stored[2]
    assert first_token.encode() not in stored[2]


def test_a_hit_keeps_the_visitors_existing_csrf_cookie(about):
    Client().get("/about/")
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = "a" * 32

    hit = browser.get("/about/")
    token = TOKEN_INPUT.search(hit.content.decode()).group(1)

    assert hit["X-Page-Cache"] == "hit"
    assert browser.cookies["csrftoken"].value == "a" * 32
    response = browser.post(
        f"/feedback/{about.pk}/", {"helpful": "no", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_post_without_the_token_is_still_refused(about):
    browser = Client(enforce_csrf_checks=True)
    Client().get("/about/")
    browser.get("/about/")

    response = browser.post(f"/feedback/{about.pk}/", {"helpful": "yes"})

    assert response.status_code == 403


def test_publishing_a_page_drops_cached_pages(visitor, about):
    visitor.get("/about/")
    assert visitor.get("/about/")["X-Page-Cache"] == "hit"

    about.title = "About the network"
    about.save_revision().publish()

    response = visitor.get("/about/")
    assert response["X-Page-Cache"] == "miss"
    assert "About the network" in response.content.decode()


def test_unpublishing_a_page_drops_cached_pages(visitor, about):
    visitor.get("/about/")

    about.unpublish()

    assert visitor.get("/about/").status_code == 404


def test_deleting_a_page_drops_cached_pages(visitor, about):
    visitor.get("/about/")

    about.delete()

    assert visitor.get("/about/").status_code == 404


def test_moving_a_page_drops_cached_pages(visitor, home_page, about):
    section = make_standard_page(home_page, title="Who we are", slug="who")
    visitor.get("/about/")

    about.move(section, pos="last-child")

    moved = visitor.get("/about/")
    assert moved["X-Page-Cache"] == "miss"
    assert moved.status_code != 200  # Wagtail redirects the old address to the new one
    assert visitor.get("/who/about/").status_code == 200


def test_page_cache_clear_drops_every_cached_page(visitor, home_page, about):
    visitor.get("/")
    visitor.get("/about/")

    page_cache_clear()

    assert visitor.get("/")["X-Page-Cache"] == "miss"
    assert visitor.get("/about/")["X-Page-Cache"] == "miss"


def test_query_parameters_a_view_reads_are_cached_separately(visitor, home_page):
    assert visitor.get("/search/?q=parks")["X-Page-Cache"] == "miss"
    assert visitor.get("/search/?q=housing")["X-Page-Cache"] == "miss"
    assert visitor.get("/search/")["X-Page-Cache"] == "miss"
    assert visitor.get("/search/?q=parks")["X-Page-Cache"] == "hit"


def test_a_visitor_with_a_messages_cookie_bypasses_the_cache(about):
    Client().get("/about/")
    browser = Client()

    # The thank-you message travels in a cookie to the page the form redirects back to.
    response = browser.post(f"/feedback/{about.pk}/", {"helpful": "yes"}, follow=True)

    assert "X-Page-Cache" not in response
    assert "Thank you" in response.content.decode()
    assert "Thank you" not in Client().get("/about/").content.decode()


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "url", ["/test/private/", "/test/never-cached/", "/test/cookie/", "/test/missing/"]
)
def test_private_uncacheable_and_unsuccessful_responses_are_not_stored(visitor, url):
    visitor.get(url)

    assert visitor.get(url)["X-Page-Cache"] == "miss"


@pytest.mark.urls(__name__)
def test_a_plain_public_response_is_stored(visitor):
    visitor.get("/test/public/")

    assert visitor.get("/test/public/")["X-Page-Cache"] == "hit"


@pytest.mark.urls(__name__)
def test_account_paths_and_posts_never_touch_the_cache(visitor):
    assert "X-Page-Cache" not in visitor.get("/account/test/")
    assert "X-Page-Cache" not in visitor.post("/test/public/")


@pytest.mark.urls(__name__)
def test_a_cached_page_gives_each_visitor_a_fresh_csp_nonce(visitor):
    miss = Client().get("/test/nonce/")
    hit = Client().get("/test/nonce/")

    nonces = []
    for response in (miss, hit):
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert hit["X-Page-Cache"] == "hit"
    assert nonces[0] != nonces[1]


def test_page_cache_off_when_seconds_is_zero(visitor, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    visitor.get("/")

    assert "X-Page-Cache" not in visitor.get("/")


# --- One round trip per hit, on Django's public cache API ---------------------------------
@contextmanager
def redis_commands():
    """The commands the cache's Redis database receives meanwhile, as Redis MONITOR saw them."""
    location = settings.CACHES["default"]["LOCATION"]
    client, signal = redis.Redis.from_url(location), redis.Redis.from_url(location)
    database = client.connection_pool.connection_kwargs.get("db", 0)
    done = f"end-of-watch-{secrets.token_hex(8)}"
    commands = []
    signal.ping()  # connected now, so its SELECT comes before the watch

    with client.monitor() as monitor:

        def watch():
            for seen in monitor.listen():
                if done in seen["command"]:
                    return
                if seen["db"] == database:
                    commands.append(seen["command"])

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        yield commands
        signal.echo(done)
        watcher.join(timeout=10)
    assert not watcher.is_alive(), "Redis MONITOR never showed the end of the watch"


@pytest.mark.parametrize("url", ["/", "/about/"])  # /about/ has a form: a CSRF token
def test_a_hit_costs_exactly_one_redis_round_trip(url, about):
    Client().get(url)
    visitor = Client()

    with redis_commands() as commands:
        hit = visitor.get(url)

    assert hit["X-Page-Cache"] == "hit"
    assert len(commands) == 1, commands
    assert commands[0].startswith("MGET ")
    assert commands[0].count(" ") == 3  # the generation, the section's, the page


# --- CSRF: each visitor gets a token of their own, and nobody's is stored -----------------
def _stored_entry(url):
    return cache.get(entry_key(RequestFactory().get(url)))


def _token_shaped_runs(entry) -> list[bytes]:
    _generation, headers, content, *_ = entry
    stored = content + "".join(value for _name, value in headers).encode()
    return re.findall(rb"[A-Za-z0-9]{32,}", stored)


@pytest.mark.urls(__name__)
def test_every_form_of_a_cached_page_posts_for_another_visitor():
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    miss = first.get("/test/form/")
    hit = second.get("/test/form/")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")

    tokens = TOKEN_INPUT.findall(hit.content.decode())
    assert len(tokens) == 2
    assert not set(tokens) & set(TOKEN_INPUT.findall(miss.content.decode()))
    for token in tokens:
        response = second.post("/test/form/", {"csrfmiddlewaretoken": token})
        assert response.status_code == 200
        assert response.content == b"posted"


def test_no_visitors_csrf_token_or_secret_is_stored(about):
    secret = "s" * 32
    first = Client(enforce_csrf_checks=True)
    first.cookies["csrftoken"] = secret

    page = first.get("/about/").content
    stored = _stored_entry("/about/")

    token = TOKEN_INPUT.search(page.decode()).group(1)
    assert stored[2].count(CSRF_PLACEHOLDER) == page.count(token.encode()) >= 1
    assert token.encode() not in stored[2]
    assert secret.encode() not in stored[2]
    assert _token_shaped_runs(stored) == []


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/test/token-in-page/", "/test/token-in-header/"])
def test_a_page_with_a_token_its_templates_were_not_handed_is_not_stored(url):
    # The cache cannot tell such a token from any other text, so it refuses the page.
    first = Client().get(url)

    assert first["X-Page-Cache"] == "miss"
    assert _stored_entry(url) is None
    assert Client().get(url)["X-Page-Cache"] == "miss"


@pytest.mark.urls(__name__)
def test_a_page_that_only_sets_the_csrf_cookie_is_cached_and_a_hit_sets_it_too():
    miss = Client().get("/test/csrf-cookie/")
    visitor = Client()
    hit = visitor.get("/test/csrf-cookie/")

    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert visitor.cookies["csrftoken"].value not in ("", miss.cookies["csrftoken"].value)
    assert "Cookie" in hit["Vary"]


# --- Bounded: junk query strings and greedy clients cannot fill the cache ----------------
def _stored_pages() -> int:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return len(client.keys(caches["default"].make_key(ENTRY_KEY_PREFIX) + "*"))


def test_query_parameters_no_view_reads_are_served_but_never_stored(visitor, home_page):
    responses = [visitor.get(f"/?junk={i}") for i in range(50)]
    responses += [visitor.get(f"/events/?utm_source=mail{i}") for i in range(50)]

    assert {r.status_code for r in responses} == {200}
    assert {r["X-Page-Cache"] for r in responses} == {"bypass"}
    assert _stored_pages() == 0


def test_parameter_order_does_not_make_another_copy(visitor, home_page):
    assert visitor.get("/search/?q=parks&type=blog")["X-Page-Cache"] == "miss"

    assert visitor.get("/search/?type=blog&q=parks")["X-Page-Cache"] == "hit"
    assert _stored_pages() == 1


def test_repeated_values_keep_their_order_in_the_key():
    factory = RequestFactory()

    first = cacheable_query(factory.get("/vitals/compare/?metro=austin&metro=boston"))
    second = cacheable_query(factory.get("/vitals/compare/?metro=boston&metro=austin"))

    assert first == "metro=austin&metro=boston"
    assert first != second


@pytest.mark.parametrize(
    "url",
    [
        "/?page=2",  # the home page reads no parameter
        "/search/?q=" + "x" * 300,  # overlong value
        "/search/?" + "&".join(f"q={i}" for i in range(20)),  # too many values
        "/vitals/compare/?metro=a&debug=1",  # one known, one unknown
    ],
)
def test_queries_outside_what_views_read_are_not_cacheable(url):
    assert cacheable_query(RequestFactory().get(url)) is None


def test_one_client_can_make_the_cache_store_only_its_budget_per_minute(
    home_page, settings, time_machine
):
    # One minute's budget: the clock held still (a minute turning mid-test gave a new one).
    time_machine.move_to(timezone.now().replace(second=1), tick=False)
    settings.PAGE_CACHE_STORES_PER_CLIENT = 5
    greedy = Client(REMOTE_ADDR="203.0.113.7")
    responses = [greedy.get(f"/search/?q=word{i}") for i in range(20)]

    assert {r.status_code for r in responses} == {200}
    assert _stored_pages() == 5
    other = Client(REMOTE_ADDR="203.0.113.8")
    other.get("/search/?q=parks")
    assert other.get("/search/?q=parks")["X-Page-Cache"] == "hit"
    assert _stored_pages() == 6


def test_behind_a_trusted_proxy_the_budget_counts_each_forwarded_client(
    home_page, settings, time_machine
):
    time_machine.move_to(timezone.now().replace(second=1), tick=False)
    settings.PAGE_CACHE_STORES_PER_CLIENT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(6):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").get(
            f"/search/?q=word{n}"
        )

    assert _stored_pages() == 6  # six clients through one proxy, one page each


# --- Freshness: what changes clears the pages that show it, and nothing else --------------
def test_registering_and_cancelling_clear_the_pages_showing_places_left(visitor, home_page, member):
    from events.services import registration_cancel, registration_create
    from tests.events.factories import EventFactory

    event = EventFactory(capacity=10, price=0)
    url = f"/events/{event.slug}/"
    visitor.get(url)
    visitor.get("/events/")
    assert visitor.get(url)["X-Page-Cache"] == "hit"

    registration = registration_create(event=event, user=member)

    page = visitor.get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "9 of 10 left" in page.content.decode()
    assert visitor.get("/events/")["X-Page-Cache"] == "miss"
    assert visitor.get("/")["X-Page-Cache"] == "miss"

    registration_cancel(registration=registration)

    assert "10 of 10 left" in visitor.get(url).content.decode()


def test_saving_a_draft_keeps_cached_pages(visitor, about):
    visitor.get("/about/")

    about.title = "Draft title nobody sees yet"
    about.save_revision()

    response = visitor.get("/about/")
    assert response["X-Page-Cache"] == "hit"
    assert "Draft title" not in response.content.decode()


def test_publishing_a_page_keeps_other_sections_cached(visitor, about):
    visitor.get("/events/")
    visitor.get("/about/")
    visitor.get("/")

    about.title = "About the network"
    about.save_revision().publish()

    assert visitor.get("/about/")["X-Page-Cache"] == "miss"
    assert visitor.get("/")["X-Page-Cache"] == "miss"  # the home page lists its children
    assert visitor.get("/events/")["X-Page-Cache"] == "hit"


@pytest.mark.django_db
def test_clearing_on_a_new_page_leaves_the_page_its_url(home_page):
    # The clear asks the new page for its URL before the Site points at it; the instance
    # must not keep that answer (it did: the home page then had no URL at all).
    assert home_page.url == "/"


def test_restricting_a_cached_page_drops_it_for_visitors(visitor, about):
    from wagtail.models import PageViewRestriction

    assert visitor.get("/about/")["X-Page-Cache"] == "miss"
    assert visitor.get("/about/")["X-Page-Cache"] == "hit"

    PageViewRestriction.objects.create(page=about, restriction_type=PageViewRestriction.LOGIN)

    response = visitor.get("/about/")
    assert response.status_code == 302  # to sign in, not the copy kept from before
    assert about.title not in response.content.decode()


def test_changing_a_restrictions_groups_drops_cached_pages(visitor, home_page, about):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.GROUPS
    )
    visitor.get("/")
    assert visitor.get("/")["X-Page-Cache"] == "hit"

    restriction.groups.add(Group.objects.create(name="Readers"))

    assert visitor.get("/")["X-Page-Cache"] == "miss"


def test_lifting_a_restriction_drops_cached_pages(visitor, home_page, about):
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.LOGIN
    )
    visitor.get("/")
    assert visitor.get("/")["X-Page-Cache"] == "hit"

    restriction.delete()

    assert visitor.get("/")["X-Page-Cache"] == "miss"
    assert visitor.get("/about/").status_code == 200
