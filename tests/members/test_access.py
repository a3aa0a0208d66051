"""Every members-only URL of `members`, walked as each persona, with the status each gets."""

import pytest

from members.services import cluster_join
from tests.members.factories import make_cluster, make_member, make_plan

pytestmark = pytest.mark.django_db

PERSONAS = ["visitor", "registered", "member", "lapsed", "staff"]
LOGIN = 302  # sent to the login page
JOIN = 403  # the join page, never the data

# (method, path, expected status for visitor, registered, member, lapsed, staff)
MATRIX = [
    ("get", "/account/", [LOGIN, 200, 200, 200, 200]),
    ("get", "/account/profile/", [LOGIN, 200, 200, 200, 200]),
    ("get", "/network/", [JOIN, JOIN, 200, JOIN, 200]),
    ("get", "/network/listed/", [JOIN, JOIN, 200, JOIN, 200]),
    ("get", "/network/no-such-person/", [JOIN, JOIN, 404, JOIN, 404]),
    ("post", "/clusters/greater-cleveland/join/", [JOIN, JOIN, 302, JOIN, JOIN]),
    # Members already paying are sent to their account instead of a second checkout.
    ("get", "/membership/checkout/individual-yearly/", [LOGIN, 200, 302, 200, 200]),
    ("get", "/membership/welcome/", [LOGIN, 200, 200, 200, 200]),
    ("get", "/admin/members/report/", [LOGIN, LOGIN, LOGIN, LOGIN, 200]),
    ("get", "/admin/members/report.csv", [LOGIN, LOGIN, LOGIN, LOGIN, 200]),
    ("get", "/admin/members/complimentary/", [LOGIN, LOGIN, LOGIN, LOGIN, 200]),
]
CASES = [
    pytest.param(method, path, persona, statuses[i], id=f"{persona}-{method}-{path}")
    for method, path, statuses in MATRIX
    for i, persona in enumerate(PERSONAS)
]


@pytest.fixture
def world(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_access"
    make_plan()
    make_cluster()
    make_member(email="listed@example.org", directory_opt_in=True, organisation="Listed Org")


@pytest.mark.parametrize(("method", "path", "persona", "expected"), CASES)
def test_members_only_urls_answer_each_persona_as_expected(
    request, client, world, method, path, persona, expected
):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))

    response = getattr(client, method)(path)

    assert response.status_code == expected
    if expected == JOIN:
        assert "Listed Org" not in response.content.decode()
    if persona != "visitor" or expected == JOIN:
        assert "private" in response.get("Cache-Control", "") or response.status_code in (302, 404)


@pytest.mark.parametrize(
    ("persona", "sees_roster"), zip(PERSONAS, [False, False, True, False, True], strict=True)
)
def test_cluster_roster_is_shown_only_to_members_and_staff(
    request, client, world, persona, sees_roster
):
    from members.models import Cluster

    cluster_join(
        cluster=Cluster.objects.get(),
        user=make_member(email="in@example.org", organisation="Roster Org", directory_opt_in=True),
    )
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))

    response = client.get("/clusters/greater-cleveland/")

    assert response.status_code == 200
    assert ("Roster Org" in response.content.decode()) is sees_roster


def test_public_pages_of_members_stay_cacheable_for_visitors(client, world):
    for path in ("/membership/", "/clusters/", "/clusters/greater-cleveland/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "private" not in response.get("Cache-Control", "")
