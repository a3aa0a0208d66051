"""Engagement: opens and clicks per delivery, privacy-respecting, and the engaged audience."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsletter import selectors, services
from newsletter.models import Delivery, Edition, EditionLink, LinkClick, Subscriber
from newsletter.tokens import click_token, open_token

from .factories import make_edition, make_subscriber

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def _send(edition, capture):
    with capture(execute=False):
        services.edition_send(edition=edition)
    with capture(execute=False):
        services.deliveries_prepare(edition_id=edition.pk)
    mail.outbox.clear()
    services.deliveries_send_batch(edition_id=edition.pk, low=0, high=10**12)
    return {message.to[0]: message for message in mail.outbox}


def _html(message) -> str:
    return message.alternatives[0][0]


def _clicks(html: str) -> list[str]:
    return re.findall(r'href="http://127\.0\.0\.1:8000(/newsletter/click/[^"]+)"', html)


def _pixel(html: str) -> str:
    return re.search(r'<img src="http://127\.0\.0\.1:8000(/newsletter/open/[^"]+)"', html).group(1)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """One edition sent to a reader: (edition, their delivery, their copy)."""
    make_subscriber("reader@example.org")
    edition = make_edition(subject="Transit week")
    copies = _send(edition, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(edition=edition, email="reader@example.org")
    return edition, delivery, copies["reader@example.org"]


def test_a_tracked_copy_has_its_own_click_links_and_image_and_the_text_part_plain_links(sent):
    edition, delivery, message = sent
    html = _html(message)
    clicks = _clicks(html)
    links = dict(EditionLink.objects.filter(edition=edition).values_list("url", "pk"))
    assert set(links) == {f"{SITE}/vitals/", f"{SITE}/membership/", f"{SITE}/account/"}
    assert len(clicks) >= 3
    assert all(link.startswith(f"/newsletter/click/{delivery.pk}.") for link in clicks)
    assert f'href="{SITE}/vitals/"' not in html  # every content link goes through a redirect
    assert _pixel(html) == f"/newsletter/open/{open_token(delivery.pk)}.gif"
    # Unsubscribe and the web version stay direct; the text part keeps plain links.
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert f'href="{unsubscribe}"' in html
    assert f'href="{SITE}/newsletter/editions/{edition.pk}/"' in html
    assert f"City Vitals ({SITE}/vitals/)" in message.body
    assert "/newsletter/click/" not in message.body and "/newsletter/open/" not in message.body
    # The web version is the plain edition.
    edition.refresh_from_db()
    assert "/newsletter/click/" not in edition.rendered_html
    assert "/newsletter/open/" not in edition.rendered_html


def test_the_bytes_sent_over_smtp_carry_the_same_tracked_html_and_a_plain_text_part(
    django_capture_on_commit_callbacks,
):
    import email
    import email.policy

    make_subscriber("reader@example.org")
    edition = make_edition(subject="Over the wire")
    (message,) = _send(edition, django_capture_on_commit_callbacks).values()
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    html = parsed.get_body(preferencelist=("html",)).get_content()
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert _clicks(html) and _pixel(html)
    assert f"{SITE}/vitals/" in text and "/newsletter/click/" not in text


def test_opening_counts_every_load_but_keeps_the_first_time_and_is_never_cached(client, sent):
    _, delivery, message = sent
    pixel = _pixel(_html(message))
    first = client.get(pixel)
    assert first.status_code == 200 and first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a")
    assert "no-store" in first["Cache-Control"] and "private" in first["Cache-Control"]
    delivery.refresh_from_db()
    opened_at = delivery.first_opened_at
    assert delivery.opens == 1 and opened_at is not None

    second = client.get(pixel)
    assert second.get("X-Page-Cache") != "hit"
    client.head(pixel)  # a HEAD (a link checker) is not an open
    delivery.refresh_from_db()
    assert delivery.opens == 2 and delivery.first_opened_at == opened_at
    assert Delivery.objects.filter(pk=delivery.pk).count() == 1


def test_a_click_redirects_to_the_signed_link_and_is_counted_per_delivery_and_link(client, sent):
    edition, delivery, message = sent
    by_target = {}
    for link in _clicks(_html(message)):
        response = client.get(link)
        assert response.status_code == 302
        assert "no-store" in response["Cache-Control"]
        by_target.setdefault(response["Location"], link)
    assert set(by_target) == {f"{SITE}/vitals/", f"{SITE}/membership/", f"{SITE}/account/"}
    vitals = by_target[f"{SITE}/vitals/"]
    client.get(vitals)
    client.get(vitals)

    delivery.refresh_from_db()
    clicks_made = len(_clicks(_html(message))) + 2
    assert delivery.clicks == clicks_made
    assert delivery.first_clicked_at is not None and delivery.first_opened_at is not None
    assert delivery.opens == 0  # only the image counts opens
    vitals_link = EditionLink.objects.get(edition=edition, url=f"{SITE}/vitals/")
    assert LinkClick.objects.filter(delivery=delivery).count() == 3  # one row per link
    assert LinkClick.objects.get(delivery=delivery, link=vitals_link).clicks >= 3

    figures = selectors.edition_engagement(edition)
    assert figures["sent"] == 1 and figures["clicked"] == 1 and figures["opened"] == 1
    assert figures["click_rate"] == 100.0
    top = selectors.edition_link_figures(edition)[0]
    assert top.url == f"{SITE}/vitals/" and top.people == 1 and top.total >= 3


def test_altered_or_unsigned_click_links_are_refused_and_never_redirect(client, sent):
    edition, delivery, message = sent
    link = EditionLink.objects.get(edition=edition, url=f"{SITE}/vitals/")
    other = EditionLink.objects.exclude(pk=link.pk).filter(edition=edition).first()
    genuine = click_token(delivery.pk, link.pk, link.url)
    signature = genuine.rsplit(".", 1)[1]
    for token in (
        f"{delivery.pk}.{other.pk}.{signature}",  # the signature of another link
        f"{delivery.pk + 1}.{link.pk}.{signature}",  # another copy
        click_token(delivery.pk, link.pk, "https://evil.example/"),  # signed for elsewhere
        f"{delivery.pk}.{link.pk}.",
        f"{delivery.pk}.{link.pk}",
        "https:%2F%2Fevil.example",
        f"{delivery.pk}.{link.pk}.{signature}x",
        f"{delivery.pk}.99999999999999999999999.{signature}",
        "１.２.x",
    ):
        response = client.get(f"/newsletter/click/{token}/?next=https://evil.example/")
        assert response.status_code in (400, 404), token  # 404: slashes leave the route
        assert "Location" not in response, token
    delivery.refresh_from_db()
    assert delivery.clicks == 0 and not LinkClick.objects.exists()
    assert client.get(f"/newsletter/open/{delivery.pk}:forged.gif").status_code == 404
    assert client.get(f"/newsletter/open/{open_token(delivery.pk)}x.gif").status_code == 404
    delivery.refresh_from_db()
    assert delivery.opens == 0


def test_a_subscriber_who_opted_out_gets_plain_links_and_is_never_counted(
    client, django_capture_on_commit_callbacks
):
    make_subscriber("counted@example.org")
    private = make_subscriber("private@example.org")
    Subscriber.objects.filter(pk=private.pk).update(allows_tracking=False)
    edition = make_edition()
    copies = _send(edition, django_capture_on_commit_callbacks)

    plain = _html(copies["private@example.org"])
    assert not _clicks(plain) and "/newsletter/open/" not in plain
    assert f'href="{SITE}/vitals/"' in plain
    assert _clicks(_html(copies["counted@example.org"]))

    # Even a genuine token for their copy counts nothing (they may opt out after the send).
    delivery = Delivery.objects.get(edition=edition, email="private@example.org")
    link = EditionLink.objects.get(edition=edition, url=f"{SITE}/vitals/")
    client.get(f"/newsletter/open/{open_token(delivery.pk)}.gif")
    response = client.get(f"/newsletter/click/{click_token(delivery.pk, link.pk, link.url)}/")
    assert response.status_code == 302 and response["Location"] == link.url
    delivery.refresh_from_db()
    assert (delivery.opens, delivery.clicks, delivery.last_engaged_at) == (0, 0, None)


def test_with_tracking_off_site_wide_copies_are_plain_and_nothing_is_counted(
    client, settings, sent, django_capture_on_commit_callbacks
):
    _, delivery, message = sent
    settings.NEWSLETTER_TRACKING = False
    client.get(_pixel(_html(message)))
    link = _clicks(_html(message))[0]
    assert client.get(link).status_code == 302  # links already sent keep working
    delivery.refresh_from_db()
    assert (delivery.opens, delivery.clicks) == (0, 0)

    copies = _send(make_edition(subject="Untracked"), django_capture_on_commit_callbacks)
    html = _html(copies["reader@example.org"])
    assert not _clicks(html) and "/newsletter/open/" not in html
    assert f'href="{SITE}/vitals/"' in html


def test_people_opt_out_of_counting_where_they_choose_their_topics(client, member, settings):
    client.force_login(member)
    page = client.get("/newsletter/subscribe/").content.decode()
    box = re.search(r'<input[^>]*name="allows_tracking"[^>]*>', page).group(0)
    assert "checked" in box
    client.post("/newsletter/subscribe/", {"topics": ["research"]})  # box unticked
    subscriber = Subscriber.objects.get(email=member.email.lower())
    assert subscriber.allows_tracking is False
    client.post("/newsletter/subscribe/", {"topics": ["research"], "allows_tracking": "on"})
    subscriber.refresh_from_db()
    assert subscriber.allows_tracking is True

    settings.NEWSLETTER_TRACKING = False
    assert 'name="allows_tracking"' not in client.get("/newsletter/subscribe/").content.decode()
    client.post("/newsletter/subscribe/", {"topics": ["research"]})
    subscriber.refresh_from_db()
    assert subscriber.allows_tracking is True  # not offered, so not changed


def test_the_sign_up_form_records_the_choice(client):
    client.post(
        "/newsletter/subscribe/",
        {"email": "quiet@example.org", "topics": ["research"]},
        REMOTE_ADDR="10.1.2.3",
    )
    client.post(
        "/newsletter/subscribe/",
        {"email": "open@example.org", "topics": ["research"], "allows_tracking": "on"},
        REMOTE_ADDR="10.1.2.4",
    )
    assert Subscriber.objects.get(email="quiet@example.org").allows_tracking is False
    assert Subscriber.objects.get(email="open@example.org").allows_tracking is True


def test_engaged_audience_is_recent_openers_and_clickers_opt_outs_and_newcomers(
    django_capture_on_commit_callbacks,
):
    long_ago = timezone.now() - timedelta(days=200)
    people = {
        name: make_subscriber(f"{name}@example.org")
        for name in ("opened", "clicked", "stale", "silent", "private", "newcomer")
    }
    Subscriber.objects.exclude(pk=people["newcomer"].pk).update(confirmed_at=long_ago)
    Subscriber.objects.filter(pk=people["private"].pk).update(allows_tracking=False)
    old = make_edition(subject="Earlier")
    _send(old, django_capture_on_commit_callbacks)
    deliveries = {d.email.split("@")[0]: d for d in Delivery.objects.filter(edition=old)}
    Delivery.objects.filter(pk=deliveries["stale"].pk).update(
        opens=4, first_opened_at=long_ago, last_engaged_at=long_ago
    )
    services.delivery_record_open(delivery_id=deliveries["opened"].pk)
    link = EditionLink.objects.filter(edition=old).first()
    services.delivery_record_click(delivery_id=deliveries["clicked"].pk, link=link)

    edition = make_edition(subject="For the engaged", audience=Edition.Audience.ENGAGED)
    edition.full_clean()
    copies = _send(edition, django_capture_on_commit_callbacks)

    assert set(copies) == {
        f"{name}@example.org" for name in ("opened", "clicked", "private", "newcomer")
    }
    assert not edition.is_public


def test_engaged_audience_needs_tracking_on(settings):
    from django.core.exceptions import ValidationError

    settings.NEWSLETTER_TRACKING = False
    edition = make_edition(audience=Edition.Audience.ENGAGED)
    with pytest.raises(ValidationError):
        edition.full_clean()


def test_the_send_page_shows_opens_clicks_and_per_link_figures_in_fixed_queries(
    client, staff, sent
):
    edition, delivery, message = sent
    client.force_login(staff)
    url = reverse("newsletter_admin:delivery", args=[edition.pk])
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as before:
        client.get(url)

    client.get(_pixel(_html(message)))
    for link in _clicks(_html(message)):
        client.get(link)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()

    assert len(after) == len(before)
    assert 'data-figure="opened">1 (100.0%)' in page
    assert 'data-figure="clicked">1 (100.0%)' in page
    assert f"{SITE}/membership/" in page and "People who clicked" in page


def test_demo_edition_has_the_same_engagement_figures_on_every_run():
    import io

    from newsletter import demo

    demo.load(io.StringIO())
    edition = Edition.objects.get()
    first = selectors.edition_engagement(edition), LinkClick.objects.count()
    demo.load(io.StringIO())
    assert (selectors.edition_engagement(edition), LinkClick.objects.count()) == first
    assert first[0]["opened"] >= 2 and first[0]["clicked"] >= 1 and first[1] >= 2
