"""Demo newsletter: a few subscribers and one edition already sent to them, with opens and
clicks. Safe to rerun."""

from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from . import services
from .models import Delivery, Edition, LinkClick, Subscriber
from .rendering import render_edition, trackable_urls

SUBSCRIBERS = [
    ("ana.planner@example.org", ["research", "events"]),
    ("deshawn.founder@example.org", ["challenges", "events"]),
    ("mei.data@example.org", ["research"]),
    ("member@civicnet.example", ["research", "events", "challenges", "member_news"]),
]

SUBJECT = "City news: where the next decade of growth is coming from"


def _body():
    body = [
        (
            "intro",
            "<p>Welcome to the first civicnet newsletter. This month: which metros are "
            "adding young, educated residents fastest, what our members are building, and "
            'the events worth a place in your calendar. <a href="/vitals/">Explore City '
            "Vitals</a> to see where your metro stands.</p>",
        ),
        (
            "vitals_highlight",
            {
                "heading": "City Vitals",
                "figure": "6",
                "caption": "indicators, one ranking: talent, innovation, connection, "
                "distinctiveness, equity and the economy, for every large U.S. metro.",
                "link_url": "/vitals/",
            },
        ),
        ("upcoming_events", {"heading": "Coming up", "how_many": 3}),
        (
            "call_to_action",
            {
                "heading": "Bring your city to the network",
                "text": "Members get the full resource library, the National Network and a "
                "free place at the National Meeting.",
                "button_label": "Become a member",
                "button_url": "/membership/",
            },
        ),
    ]
    # The edition features blog posts by page type, as its block does; the newsletter
    # imports nothing of the blog.
    blog_page = apps.get_model("blog", "BlogPage")
    posts = list(blog_page.objects.live().public().order_by("-date")[:3])
    if posts:
        body.insert(
            1,
            (
                "featured_posts",
                {"heading": "From the blog", "posts": posts},
            ),
        )
    return body


def load(stdout):
    now = timezone.now()
    for email, topics in SUBSCRIBERS:
        Subscriber.objects.get_or_create(
            email=email,
            defaults={
                "status": Subscriber.Status.SUBSCRIBED,
                "confirmed_at": now,
                "wants_research": "research" in topics,
                "wants_events": "events" in topics,
                "wants_challenges": "challenges" in topics,
                "wants_member_news": "member_news" in topics,
            },
        )
    edition, created = Edition.objects.get_or_create(
        subject=SUBJECT,
        defaults={
            "preheader": "Talent, transit and the metros on the move, plus what is on next.",
            "body": _body(),
        },
    )
    if created:
        edition.rendered_html, edition.rendered_text = render_edition(edition)
        edition.status = Edition.Status.SENT
        edition.started_at = edition.prepared_at = edition.finished_at = now
        edition.save()
        Delivery.objects.bulk_create(
            Delivery(
                edition=edition,
                subscriber=subscriber,
                email=subscriber.email,
                status=Delivery.Status.SENT,
                attempts=1,
                sent_at=now,
            )
            for subscriber in Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED)
        )
    _engagement(edition)
    stdout.write(
        f"Newsletter: {Subscriber.objects.count()} subscribers, edition "
        f"/newsletter/editions/{edition.pk}/ sent."
    )


# (opens, clicks per link in order) for the demo deliveries, in order: set, never added to.
ENGAGEMENT = [(3, [1, 1]), (1, []), (0, []), (2, [2, 0, 1])]


def _engagement(edition):
    """Figures for the demo edition's send page: the same on every run."""
    if edition.status != Edition.Status.SENT:
        return
    links = services.edition_links_ensure(
        edition_id=edition.pk, urls=trackable_urls(edition.rendered_html)
    )
    link_ids = list(links.values())
    sent_at = edition.finished_at or timezone.now()
    deliveries = Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT)
    for delivery, (opens, clicks) in zip(deliveries.order_by("pk"), ENGAGEMENT, strict=False):
        clicks = [(link_id, n) for link_id, n in zip(link_ids, clicks, strict=False) if n]
        engaged = sent_at + timedelta(hours=2) if opens or clicks else None
        delivery.opens = opens
        delivery.clicks = sum(n for _, n in clicks)
        delivery.first_opened_at = delivery.last_engaged_at = engaged
        delivery.first_clicked_at = engaged if clicks else None
        delivery.save(
            update_fields=[
                "opens",
                "clicks",
                "first_opened_at",
                "first_clicked_at",
                "last_engaged_at",
            ]
        )
        for link_id, n in clicks:
            LinkClick.objects.update_or_create(
                delivery=delivery,
                link_id=link_id,
                defaults={"clicks": n, "first_clicked_at": engaged},
            )
