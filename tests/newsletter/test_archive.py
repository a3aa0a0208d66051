"""The public archive at /newsletter/ and its feeds."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from newsletter.models import Edition

from .factories import make_edition

pytestmark = pytest.mark.django_db


def _sent(subject, *, days_ago, **fields):
    edition = make_edition(subject=subject, **fields)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return edition


@pytest.fixture
def editions():
    return {
        "old": _sent("Spring issue", days_ago=60),
        "new": _sent("Autumn issue", days_ago=2),
        "middle": _sent("Summer issue", days_ago=30),
        "members": _sent("Members: the budget memo", days_ago=1, audience="members"),
        "topic": _sent("Events only", days_ago=3, topic="events"),
        "draft": make_edition(subject="Not sent yet"),
    }


def test_archive_lists_public_editions_newest_first_for_visitors(client, editions):
    html = client.get("/newsletter/").content.decode()
    positions = [html.index(subject) for subject in ("Autumn", "Summer", "Spring")]
    assert positions == sorted(positions)
    for hidden in ("Members: the budget memo", "Events only", "Not sent yet"):
        assert hidden not in html
    assert 'href="/newsletter/feed/"' in html


def test_archive_shows_members_editions_to_members_only(client, editions, member, registered):
    client.force_login(registered)
    assert "Members: the budget memo" not in client.get("/newsletter/").content.decode()
    client.force_login(member)
    html = client.get("/newsletter/").content.decode()
    assert html.index("Members: the budget memo") < html.index("Autumn issue")


def test_feeds_list_public_editions_newest_first_and_never_restricted_ones(
    client, editions, member, django_assert_max_num_queries
):
    client.force_login(member)  # a member's feed reader gets the public feed too
    for url, ns in (("/newsletter/feed/", ""), ("/newsletter/feed/atom/", "atom")):
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
        root = ElementTree.fromstring(response.content)  # noqa: S314 (our own feed)
        if ns:
            tag = "{http://www.w3.org/2005/Atom}"
            titles = [e.findtext(f"{tag}title") for e in root.iter(f"{tag}entry")]
        else:
            titles = [item.findtext("title") for item in root.iter("item")]
        assert titles == ["Autumn issue", "Summer issue", "Spring issue"], url
        assert f"/newsletter/editions/{editions['new'].pk}/".encode() in response.content
        assert b"budget memo" not in response.content
        assert "private" in response["Cache-Control"]
