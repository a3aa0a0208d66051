"""Fuzz pass: every URL pattern the project resolves, hostile input, no 500.

The patterns are read from the URL resolver, so a new one is covered without touching this
file. Each path converter is filled with a real object from the fixtures below (found by
the view's model, or by the route it sits under), then with hostile values. Query strings
and form posts carry every parameter name the code reads (scanned from the source, the
forms and the templates) with wrong types, repeated values, unicode, overlong values and
NUL bytes. Requests are made as anonymous, member and staff, with DEBUG=0 behaviour: an
exception in a view is a 500 response, never raised into the test.

The public site (about a hundred patterns) gets every persona and every variant; the
Wagtail and Django admins (hundreds of patterns of third-party code) get a staff pass of
hostile paths and queries, enough to keep the whole pass well under a minute.
"""

import re
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = ["core", "civicnet", "members", "vitals", "events", "blog", "library"]
ADMIN_PREFIXES = ("admin/", "django-admin/")
# Wagtail's "failwhale" page raises on purpose, to test error reporting.
DELIBERATE_ERRORS = {"admin/failwhale/"}

# --- Hostile values -----------------------------------------------------------------------
OVERLONG = "a" * 2000
UNICODE = "Zürich 東京 🏙️ \u202emoc.live\u202c \u0301\ufeff ﷽"
WRONG_TYPES = ["-1", "not-a-number"]  # .get() sees the last one, .getlist() both
NUMBERS = ["99999999999999999999999999", "1e309"]
NUL = "bad\x00value"
# Path converters: each hostile kind, shaped for the converter ("long" and "odd").
PATH_HOSTILE = {
    "int": {"long": "99999999999999999999999", "odd": "0"},
    "slug": {"long": "a" * 600, "odd": "zürich-東京"},
    "str": {"long": "a" * 600, "odd": "Zürich 東京 🏙️ .."},
    "path": {"long": "a" * 600 + "/x", "odd": "../../etc/passwd"},
    "uuid": {"long": "00000000-0000-0000-0000-000000000000", "odd": "0" * 32},
}


def parameter_names() -> list[str]:
    """Every GET/POST parameter name the code reads: request.GET/POST lookups, form fields
    and the names of inputs in the templates."""
    names: set[str] = set()
    lookup = re.compile(r"""\.(?:GET|POST)(?:\.get|\.getlist|\.pop)?[\[(]\s*["']([\w-]+)["']""")
    field = re.compile(r"^\s+(\w+)\s*=\s*(?:forms\.|\w+Field\()", re.MULTILINE)
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            names.update(lookup.findall(text))
            if path.name in {"forms.py", "admin_forms.py"}:
                names.update(field.findall(text))
    for path in (ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'\bname="([\w-]+)"', path.read_text()))
    names.discard("csrfmiddlewaretoken")
    return sorted(names)


def query_variants(names: list[str]) -> list[list[tuple[str, str]]]:
    """Two query strings (as pairs) carrying every name. `.get()` reads a repeated
    parameter's last value and `.getlist()` all of them, so each value is seen either way:
    wrong types and huge numbers; unicode and overlong values (alternating which is last)."""
    mixed = [
        (name, value)
        for i, name in enumerate(names)
        for value in ([OVERLONG, UNICODE] if i % 2 else [UNICODE, OVERLONG])
    ]
    return [
        [(name, value) for name in names for value in [*NUMBERS, *WRONG_TYPES]],
        [*mixed, (f"x{'y' * 300}", UNICODE)],
    ]


# --- The URL patterns ---------------------------------------------------------------------
@dataclass
class Route:
    route: str  # the pattern as written, prefixes joined
    parts: tuple  # the pattern objects from the root down
    callback: object

    @property
    def is_admin(self) -> bool:
        return self.route.startswith(ADMIN_PREFIXES)


def all_routes() -> list[Route]:
    def walk(resolver, parts):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, (*parts, entry.pattern))
            elif isinstance(entry, URLPattern):
                joined = "".join(str(p) for p in (*parts, entry.pattern))
                yield Route(joined, (*parts, entry.pattern), entry.callback)

    return [r for r in walk(get_resolver(), ()) if r.route not in DELIBERATE_ERRORS]


def _top_level_groups(regex: str):
    """(start, end, name, body) of each top-level capturing group of a regex."""
    groups, depth, start, i = [], 0, None, 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = regex.index("]", i + 1) + 1
            continue
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                text = regex[start : i + 1]
                named = re.match(r"\(\?P<(\w+)>", text)
                if named:
                    groups.append((start, i + 1, named.group(1), text[named.end() : -1]))
                elif not text.startswith("(?"):
                    groups.append((start, i + 1, None, text[1:-1]))
        i += 1
    return groups


def fill(route: Route, values: dict[str, list[str]], hostile: str | None = None) -> str | None:
    """A concrete path for the route: real values, or the hostile kind for every parameter.
    None when no candidate fits (the route then gets only its hostile passes)."""
    path = ""
    for part in route.parts:
        if isinstance(part, RoutePattern):
            text = str(part)
            for match in re.finditer(r"<(?:(\w+):)?(\w+)>", text):
                kind = match.group(1) or "str"
                name = match.group(2)
                if hostile is not None:
                    shapes = PATH_HOSTILE.get(kind, PATH_HOSTILE["str"])
                    value = NUL if hostile == "nul" else shapes[hostile]
                else:
                    value = values.get(name, [None])[0]
                    if value is None:
                        value = "1" if kind == "int" else "x"
                text = text.replace(match.group(0), quote(str(value), safe="/"), 1)
            path += text
        else:  # RegexPattern
            regex = part.regex.pattern
            text, offset = regex, 0
            for start, end, name, body in _top_level_groups(regex):
                if hostile is not None:
                    value = NUL if hostile == "nul" else "a" * 600
                else:
                    candidates = [*values.get(name or "", []), *values["*"]]
                    value = next((c for c in candidates if re.fullmatch(body, c)), None)
                    if value is None:
                        return None
                text = text[: start + offset] + quote(value, safe="/") + text[end + offset :]
                offset += len(quote(value, safe="/")) - (end - start)
            text = re.sub(r"\\(.)", r"\1", text.lstrip("^").rstrip("$"))
            path += text
    return "/" + path


# --- Real objects -------------------------------------------------------------------------
@pytest.fixture
def world(home_page, member, staff, tmp_path, settings):
    """One real object of each kind a URL can name, and the values that name them."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events import services as event_services
    from events.models import JudgeAssignment, Submission
    from members.models import JoinRequest
    from newsletter.tokens import confirmation_token, unsubscribe_token
    from tests.blog.factories import CategoryFactory, make_blog_index, make_image, make_post
    from tests.civicnet.factories import make_standard_page
    from tests.events.factories import EventFactory, make_challenge
    from tests.library.factories import make_document, make_library, make_resource, topic
    from tests.members.factories import UserFactory, make_cluster, make_plan
    from tests.newsletter.factories import make_edition, make_subscriber
    from tests.vitals.factories import import_files, observations
    from vitals.dividend_scenarios import dividend_scenario_create
    from vitals.dividends import Steps
    from vitals.models import Indicator, Metro

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))
    about = make_standard_page(home_page)
    # Staff posts to the admin may delete what they name: these are theirs to lose.
    victim_page = make_standard_page(home_page, title="Fuzz target", slug="fuzz-target")
    victim_user = UserFactory(email="victim@example.org")
    blog = make_blog_index(home_page)
    category = CategoryFactory()
    post = make_post(blog, categories=[category])
    library = make_library(home_page)
    document = make_document()
    resource = make_resource(library, topics=[topic("Transit")], documents=[document])
    image = make_image()
    event = EventFactory()
    challenge = make_challenge()
    submission = Submission.objects.create(
        challenge=challenge,
        owner=member,
        title="Entry",
        city="Tulsa, OK",
        summary="A plan.",
        status=Submission.Status.SUBMITTED,
    )
    attachment = event_services.submission_attach(
        submission=submission,
        user=member,
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4 fuzz", content_type="application/pdf"),
    )
    assignment = JudgeAssignment.objects.create(submission=submission, judge=staff)
    cluster = make_cluster()
    plan = make_plan()
    join_request = JoinRequest.objects.create(name="Fuzz", email="fuzz@example.org", plan=plan)
    edition = make_edition()
    subscriber = make_subscriber("reader@example.org")
    revision = victim_page.save_revision()
    metro = Metro.objects.first()
    indicator = Indicator.objects.first()
    scenario = dividend_scenario_create(
        user=member,
        metro=metro,
        steps=Steps(attainment_points=Decimal(2), miles=Decimal(1), poverty_points=Decimal(1)),
    )

    by_model = {
        "page": victim_page.pk,
        get_user_model()._meta.label_lower: victim_user.pk,
        "wagtailimages.image": image.pk,
        "wagtaildocs.document": document.pk,
    }
    by_route = {  # the project's own routes, by the prefix before the parameter
        "feedback/": about.pk,
        "membership/checkout/": plan.slug,
        "members/join-requests/": join_request.pk,
        "network/": member.username,
        "clusters/": cluster.slug,
        "vitals/metros/": metro.slug,
        "vitals/my-metro/scenarios/": scenario.pk,
        "vitals/indicators/": indicator.slug,
        "events/": event.slug,
        "challenges/judging/": assignment.pk,
        "challenges/attachments/": attachment.pk,
        "challenges/": challenge.slug,
        "submit/attachments/": attachment.pk,
        "blog/category/": category.slug,
        "newsletter/confirm/": confirmation_token(subscriber.pk, subscriber.confirmation_nonce),
        "newsletter/unsubscribe/": unsubscribe_token(subscriber.pk),
        "newsletter/editions/": edition.pk,
        "documents/": document.pk,
    }
    by_name = {
        "page_id": [victim_page.pk],
        "parent_page_id": [home_page.pk],
        "page_to_move_id": [victim_page.pk],
        "destination_id": [home_page.pk],
        "page_pk": [victim_page.pk],
        "image_id": [image.pk],
        "document_id": [document.pk],
        "doc_id": [document.pk],
        "document_filename": [document.filename],
        "revision_id": [revision.pk],
        "username": [member.username],
        "app_label": ["library", "members"],
        "model_name": ["resourcetopic"],
        "app_name": ["library"],
        "content_type_app_name": ["library"],
        "content_type_model_name": ["resourcepage"],
        "filter_spec": ["fill-100x100"],
        "path": ["images/x.png"],
        "url": [""],
        "key": ["x"],
        "*": ["", "1", "x", "library", "live", "latest", f"{about.slug}/"],
    }
    return {
        "by_model": by_model,
        "by_route": by_route,
        "by_name": by_name,
        "member": member,
        "staff": staff,
        "pages": [home_page, about, post, resource, library, blog],
    }


def real_values(route: Route, world) -> dict[str, list[str]]:
    values = {name: [str(v) for v in options] for name, options in world["by_name"].items()}
    model = getattr(getattr(route.callback, "view_class", None), "model", None) or getattr(
        getattr(route.callback, "model_admin", None), "model", None
    )
    if hasattr(model, "_meta"):  # a model class (some views compute it per request)
        label = model._meta.label_lower
        found = world["by_model"].get(label) or world["by_model"].get(
            "page" if hasattr(model, "get_url_parts") else ""
        )
        if found is None:
            first = model._default_manager.order_by("pk").first()
            found = first.pk if first is not None else None
        if found is not None:
            for name in ("pk", "object_id", "id"):
                values[name] = [str(found)]
    if not route.is_admin:
        for match in re.finditer(r"<(?:\w+:)?(\w+)>", route.route):
            before = route.route[: match.start()]
            for prefix, found in world["by_route"].items():
                if before.endswith(prefix):
                    values[match.group(1)] = [str(found)]
                    break
    return values


# --- The pass -----------------------------------------------------------------------------
class Fuzzer:
    def __init__(self, names):
        self.names = names
        self.queries = query_variants(names)
        self.form = {name: [WRONG_TYPES[-1], UNICODE] for name in names} | dict.fromkeys(
            names[:20], OVERLONG
        )
        self.failures: list[str] = []
        self.requests = 0

    def send(self, client, method, path, *, query=None, data=None, persona=""):
        url = path + ("?" + urlencode(query) if query else "")
        self.requests += 1
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        if response.status_code >= 500:
            self.failures.append(f"{persona} {method} {url[:160]} -> {response.status_code}")
        return response


def personas(world):
    anonymous = Client()
    member = Client()
    member.force_login(world["member"])
    staff = Client()
    staff.force_login(world["staff"])
    clients = {"anonymous": anonymous, "member": member, "staff": staff}
    for client in clients.values():
        client.raise_request_exception = False  # DEBUG=0: an exception is a 500 page
    return clients


def _resolves_elsewhere(path: str, route: Route) -> bool:
    try:
        return resolve(path).func is not route.callback
    except Resolver404:
        return True


def _relogin(client, user):
    if user is not None and client.session.get("_auth_user_id") != str(user.pk):
        client.force_login(user)


def fuzz_routes(routes: list[Route], world, clients, users) -> tuple["Fuzzer", list[str]]:
    """Send every hostile variant to every route; returns the fuzzer (its failures) and
    the routes no real value could be found for."""
    fuzzer = Fuzzer(parameter_names())
    unfilled = []
    for route in routes:
        values = real_values(route, world)
        real = fill(route, values)
        if real is None:
            unfilled.append(route.route)
        elif not route.is_admin and "<" in route.route and _resolves_elsewhere(real, route):
            # A filled path must reach the view it was built for, or the pass tests 404s.
            unfilled.append(f"{route.route} (filled as {real})")
        has_parameters = "<" in route.route or isinstance(route.parts[-1], RegexPattern)
        hostile = [fill(route, values, hostile=kind) for kind in ("long", "odd")]
        chosen = ["staff"] if route.is_admin else list(clients)
        for persona in chosen:
            client = clients[persona]
            if route.is_admin:
                # Third-party admin views: one hostile path (or query) each, as staff.
                if has_parameters:
                    fuzzer.send(client, "GET", hostile[0], persona=persona)
                elif real is not None:
                    fuzzer.send(client, "GET", real, query=fuzzer.queries[0], persona=persona)
                continue
            if real is not None:
                for query in fuzzer.queries:
                    fuzzer.send(client, "GET", real, query=query, persona=persona)
                fuzzer.send(client, "POST", real, data=fuzzer.form, persona=persona)
                _relogin(client, users[persona])
                nul = fuzzer.send(client, "GET", real, query=[("q", NUL)], persona=persona)
                if nul.status_code != 400:
                    fuzzer.failures.append(
                        f"{persona} NUL in the query of {real}: {nul.status_code}"
                    )
            # Hostile paths mostly end in the resolver or a 404: the extremes suffice.
            if has_parameters and persona != "member":
                for path in hostile:
                    fuzzer.send(client, "GET", path, persona=persona)
                nul_path = fill(route, values, hostile="nul")
                response = fuzzer.send(client, "GET", nul_path, persona=persona)
                if response.status_code != 400:
                    fuzzer.failures.append(f"{persona} NUL in {nul_path!r}: {response.status_code}")
    return fuzzer, unfilled


def test_every_url_pattern_answers_hostile_input_without_a_server_error(world):
    started = time.monotonic()
    clients = personas(world)
    users = {"anonymous": None, "member": world["member"], "staff": world["staff"]}
    routes = all_routes()

    # Read before the admin routes are fuzzed as staff (they may move or delete a page).
    page_urls = [page.url for page in world["pages"]]
    assert None not in page_urls
    fuzzer, unfilled = fuzz_routes(routes, world, clients, users)
    # Wagtail serves the page tree through one pattern: fuzz each kind of page too.
    for url in page_urls:
        for persona, client in clients.items():
            for query in fuzzer.queries:
                fuzzer.send(client, "GET", url, query=query, persona=persona)
            fuzzer.send(client, "POST", url, data=fuzzer.form, persona=persona)
            _relogin(client, users[persona])

    elapsed = time.monotonic() - started
    assert len(routes) > 300 and fuzzer.requests > 1000, (len(routes), fuzzer.requests)
    assert not unfilled, f"no real value for: {unfilled}"
    assert not fuzzer.failures, (
        f"{len(fuzzer.failures)} server errors in {fuzzer.requests} requests "
        f"({elapsed:.0f}s):\n" + "\n".join(fuzzer.failures[:60])
    )


def _fragile_view(request, name):
    """What the audit found, in miniature: a parameter trusted to be a number."""
    from django.http import HttpResponse

    return HttpResponse(str(int(request.GET.get("page", "1")) + len(name)))


urlpatterns = []  # this module doubles as the URLconf of the test below


def test_a_new_url_pattern_is_fuzzed_without_registering_it(settings, db):
    """Add a route (here: this module as the URLconf) and the pass reaches it and finds
    the fault, with no list to update."""
    from django.urls import clear_url_caches, path

    urlpatterns[:] = [path("probe/<str:name>/", _fragile_view)]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    anonymous = Client()
    anonymous.raise_request_exception = False
    world = {"by_model": {}, "by_route": {}, "by_name": {"*": ["x"]}}

    fuzzer, unfilled = fuzz_routes(
        all_routes(), world, {"anonymous": anonymous}, {"anonymous": None}
    )

    assert not unfilled
    assert any("/probe/x/?" in failure and "-> 500" in failure for failure in fuzzer.failures)


def test_the_fuzzer_sees_new_url_patterns_and_every_parameter_name():
    """The pass reads the resolver and the source: nothing to register by hand."""
    routes = {route.route for route in all_routes()}
    names = parameter_names()

    assert {"search/", "vitals/compare/", "account/seats/", "network/<str:username>/"} <= routes
    assert {"q", "metro", "topic", "city", "remove", "registration", "page"} <= set(names)
