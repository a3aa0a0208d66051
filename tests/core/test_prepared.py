"""core.prepared: a queryset compiled once answers every later run with that run's values,
exactly as the queryset built afresh would."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Exists, OuterRef

from core.prepared import PreparedQuery
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _people(email, joined_after):
    return (
        User.objects.annotate(
            in_a_group=Exists(Group.objects.filter(user=OuterRef("pk"))),
        )
        .select_related("membership")
        .filter(email=email, date_joined__gt=joined_after)
    )


class _Counting:
    """`build`, counting how often it is called."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, **values):
        self.calls += 1
        return self.build(**values)


def _fields(person) -> dict:
    return {name: value for name, value in vars(person).items() if name != "_state"}


def test_it_compiles_once_and_answers_each_run_with_its_own_values(
    member, django_assert_num_queries
):
    other = UserFactory(email="other@example.org")
    other.groups.add(Group.objects.create(name="Readers"))
    build = _Counting(_people)
    prepared = PreparedQuery(
        build, email="marker@example.invalid", joined_after=datetime(1901, 1, 1, tzinfo=UTC)
    )
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)

    with django_assert_num_queries(1):
        [found_member] = prepared.run(email=member.email, joined_after=long_ago)
    [found_other] = prepared.run(email=other.email, joined_after=long_ago)
    assert prepared.run(email=member.email, joined_after=datetime(2999, 1, 1, tzinfo=UTC)) == []

    assert build.calls == 1  # the marker build only
    for found, person in ((found_member, member), (found_other, other)):
        [expected] = _people(person.email, long_ago)
        assert _fields(found) == _fields(expected)  # annotations included
    assert found_member.in_a_group is False and found_other.in_a_group is True
    with django_assert_num_queries(0):  # select_related came with the row
        assert found_member.membership.is_active()


def test_a_marker_that_compiling_changes_falls_back_to_building_every_time(member):
    # `contains` puts the value inside "%...%": its place in the SQL cannot be found.
    build = _Counting(lambda part: User.objects.filter(email__contains=part))
    prepared = PreparedQuery(build, part="marker-part")

    assert prepared.run(part="member@") == [member]
    assert prepared.run(part="nobody@") == []
    assert build.calls == 3  # the marker build, then one per run


def test_the_signed_in_persons_query_is_prepared(member, rf, client):
    """core.auth's query keeps its compiled form: a marker that stopped being found (a change
    to the query) would quietly cost every signed-in request its compiling again."""
    from core import auth

    client.force_login(member)
    request = rf.get("/")
    request.session = client.session

    assert auth.get_user(request) == member
    assert auth._PERSON._prepared  # not False: every marker was found


def test_postgresql_plans_the_person_s_query_once_per_connection(client, member):
    """Server-side binding (settings): after a few signed-in requests on one connection the
    person's query runs as a prepared statement, so PostgreSQL no longer plans it each time."""
    client.force_login(member)
    for _ in range(7):
        assert client.get("/account/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "django_session"%'],
        )
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
