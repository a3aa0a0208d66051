"""Web versions of editions: public ones for all, restricted ones only for their people."""

import re

import pytest
from django.core import mail

from members.services import cluster_join
from newsletter import services
from newsletter.models import Edition
from tests.members.factories import make_cluster, make_member

from .factories import make_edition, make_subscriber

pytestmark = pytest.mark.django_db


def _send(edition, capture):
    """Send the edition for real (render, deliveries, batch) and return the copies sent."""
    with capture(execute=False):
        services.edition_send(edition=edition)
    with capture(execute=False):
        services.deliveries_prepare(edition_id=edition.pk)
    mail.outbox.clear()
    services.deliveries_send_batch(edition_id=edition.pk, low=0, high=10**12)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    return {message.to[0]: message for message in mail.outbox}


def _web_link(message) -> str:
    html = message.alternatives[0][0]
    link = re.search(r'href="([^"]+)"[^>]*>Read this email in your browser', html).group(1)
    assert link in message.body  # the text part carries the same link
    return link.removeprefix("http://127.0.0.1:8000")


def _subscribed(person):
    services.subscription_set_for_user(user=person, topics=["research", "events"])
    return person


@pytest.fixture
def members_edition(member, lapsed, django_capture_on_commit_callbacks):
    _subscribed(member)
    _subscribed(lapsed)
    make_subscriber("public@example.org")
    edition = make_edition(subject="For members: the budget memo", audience="members")
    copies = _send(edition, django_capture_on_commit_callbacks)
    assert set(copies) == {member.email}
    return edition, copies


def test_members_only_edition_opens_for_members_and_staff_and_is_the_same_404_for_everyone_else(
    client, members_edition, member, lapsed, registered, staff
):
    edition, _ = members_edition
    url = f"/newsletter/editions/{edition.pk}/"
    missing = client.get(f"/newsletter/editions/{edition.pk + 1000}/")
    assert missing.status_code == 404

    for person, status in (
        (None, 404),
        (registered, 404),
        (lapsed, 404),
        (member, 200),
        (staff, 200),
    ):
        client.logout()
        if person:
            client.force_login(person)
        response = client.get(url)
        assert response.status_code == status, person
        if status == 200:
            assert edition.subject.encode() in response.content
            assert "private" in response["Cache-Control"]
        else:
            assert edition.subject.encode() not in response.content
            # Word for word what an id that does not exist gets: nothing to enumerate.
            assert response.content == missing.content if person is None else True
            assert "no-store" in response["Cache-Control"]


def test_sector_cluster_and_topic_editions_open_only_for_people_in_that_audience(
    client, django_capture_on_commit_callbacks
):
    planner = _subscribed(make_member(email="planner@example.org", sector="public"))
    founder = _subscribed(make_member(email="founder@example.org", sector="private"))
    cluster = make_cluster()
    cluster_join(cluster=cluster, user=founder)
    make_subscriber("events-only@example.org", topics=["events"])
    research_reader = make_subscriber("research@example.org", topics=["research"])
    assert research_reader.pk

    sector = make_edition(subject="Public sector only", audience="sector", sector="public")
    in_cluster = make_edition(subject="Cleveland only", audience="cluster", cluster=cluster)
    topical = make_edition(subject="Research only", topic="research")
    for edition in (sector, in_cluster, topical):
        _send(edition, django_capture_on_commit_callbacks)

    def status(person, edition):
        client.logout()
        if person:
            client.force_login(person)
        return client.get(f"/newsletter/editions/{edition.pk}/").status_code

    assert (status(planner, sector), status(founder, sector), status(None, sector)) == (
        200,
        404,
        404,
    )
    assert (status(founder, in_cluster), status(planner, in_cluster)) == (200, 404)
    assert (status(planner, topical), status(None, topical)) == (200, 404)


def test_view_in_browser_link_opens_the_edition_for_its_recipient_without_signing_in(
    client, django_capture_on_commit_callbacks
):
    one = _subscribed(make_member(email="one@example.org", sector="public"))
    two = _subscribed(make_member(email="two@example.org", sector="public"))
    edition = make_edition(subject="Sector memo", audience="sector", sector="public")
    other = make_edition(subject="Another sector memo", audience="sector", sector="public")
    copies = _send(edition, django_capture_on_commit_callbacks)
    _send(other, django_capture_on_commit_callbacks)
    link_one, link_two = _web_link(copies[one.email]), _web_link(copies[two.email])

    assert link_one != link_two  # each copy carries its own signed link
    assert link_one.startswith(f"/newsletter/editions/{edition.pk}/")
    page = client.get(link_one)  # anonymous, as from a mail app
    assert page.status_code == 200 and b"Sector memo" in page.content
    assert "private" in page["Cache-Control"] and page["Referrer-Policy"] == "no-referrer"

    token = link_one.rstrip("/").rsplit("/", 1)[1]
    forged = [
        f"/newsletter/editions/{other.pk}/{token}/",  # another edition with this token
        link_one.replace(":", ":x", 1),  # an altered signature
        f"/newsletter/editions/{edition.pk}/{edition.pk}.{two.pk + 7}:abc/",
    ]
    for url in forged:
        assert client.get(url).status_code == 404, url


def test_restricted_web_versions_never_enter_the_page_cache(
    client, settings, members_edition, member
):
    settings.PAGE_CACHE_SECONDS = 300
    edition, copies = members_edition
    public = make_edition(subject="For everyone")
    Edition.objects.filter(pk=public.pk).update(status=Edition.Status.SENT)
    link = _web_link(copies[member.email])

    assert client.get(f"/newsletter/editions/{public.pk}/")["X-Page-Cache"] == "miss"
    assert client.get(f"/newsletter/editions/{public.pk}/")["X-Page-Cache"] == "hit"
    for _ in range(2):
        response = client.get(link)
        assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
        assert "private" in response["Cache-Control"]
    plain = client.get(f"/newsletter/editions/{edition.pk}/")
    assert plain.status_code == 404 and edition.subject.encode() not in plain.content


def test_public_edition_has_one_plain_address_for_everyone(
    client, django_capture_on_commit_callbacks
):
    make_subscriber("a@example.org")
    edition = make_edition(subject="Open to all")
    copies = _send(edition, django_capture_on_commit_callbacks)

    assert _web_link(copies["a@example.org"]) == f"/newsletter/editions/{edition.pk}/"
    page = client.get(f"/newsletter/editions/{edition.pk}/")
    assert page.status_code == 200 and "private" not in page.get("Cache-Control", "")


def test_a_finished_send_clears_the_cached_archive_for_visitors(
    client, django_capture_on_commit_callbacks
):
    make_subscriber("a@example.org")
    client.get("/newsletter/")
    assert client.get("/newsletter/").headers["X-Page-Cache"] == "hit"

    _send(make_edition(subject="Fresh off the press"), django_capture_on_commit_callbacks)

    archive = client.get("/newsletter/")
    assert archive.headers["X-Page-Cache"] == "miss"
    assert "Fresh off the press" in archive.content.decode()


def test_archive_lists_to_each_person_only_the_editions_they_may_read(
    client, members_edition, member, registered, staff, django_assert_max_num_queries
):
    restricted, _ = members_edition
    public = make_edition(subject="Open letter to all")
    Edition.objects.filter(pk=public.pk).update(status=Edition.Status.SENT)
    make_edition(subject="Draft not sent yet")

    def listing(person):
        client.logout()
        if person:
            client.force_login(person)
        return client.get("/newsletter/").content.decode()

    for person in (None, registered):
        html = listing(person)
        assert "Open letter to all" in html and restricted.subject not in html
    assert restricted.subject in listing(member) and "Open letter to all" in listing(member)
    assert restricted.subject in listing(staff)
    assert "Draft not sent yet" not in listing(staff)

    for n in range(5):
        extra = make_edition(subject=f"Extra {n}", audience="members")
        Edition.objects.filter(pk=extra.pk).update(status=Edition.Status.SENT)
    client.force_login(member)
    with django_assert_max_num_queries(12):
        html = client.get("/newsletter/").content.decode()
    assert "Extra 4" in html


def test_editions_are_not_in_the_sitemap_search_or_feeds(client, home_page, members_edition):
    edition, _ = members_edition
    word = "budget memo"
    for url in ("/sitemap.xml", f"/search/?q={word}", "/blog/feed/", "/blog/feed/atom/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert "For members:" not in response.content.decode(), url  # (search echoes the words)
        assert f"/newsletter/editions/{edition.pk}/" not in response.content.decode(), url


def test_bad_edition_addresses_and_tokens_are_a_404_not_an_error(client, members_edition):
    edition, _ = members_edition
    for url in (
        "/newsletter/editions/99999999999999999999999/",
        f"/newsletter/editions/{edition.pk}/{'x' * 2000}/",
        f"/newsletter/editions/{edition.pk}/{edition.pk}.sig/",
    ):
        assert client.get(url).status_code == 404, url
    # Control characters are refused before any lookup, in the path and the query.
    for url in (
        f"/newsletter/editions/{edition.pk}/%00/",
        f"/newsletter/editions/{edition.pk}/{edition.pk}.%00:sig/",
        "/newsletter/?page=%00",
    ):
        assert client.get(url).status_code == 400, url
    assert client.get("/newsletter/?page=zz").status_code == 200
