import itertools

from newsletter import services
from newsletter.models import Edition, Subscriber

_counter = itertools.count(1)


def make_subscriber(email: str | None = None, *, topics=("research", "events")) -> Subscriber:
    """A confirmed subscriber, made through sign-up and confirmation like a real one."""
    from newsletter.tokens import confirmation_token

    email = email or f"reader{next(_counter)}@example.org"
    subscriber = services.subscriber_request(email=email, topics=topics)
    services.subscriber_confirm(
        token=confirmation_token(subscriber.pk, subscriber.confirmation_nonce)
    )
    subscriber.refresh_from_db()
    return subscriber


def make_many_subscribers(count: int, *, prefix: str = "bulk") -> list[int]:
    """Many confirmed subscribers at once (bulk insert: sign-up one by one would take minutes)."""
    start = next(_counter) * 1_000_000
    Subscriber.objects.bulk_create(
        Subscriber(
            email=f"{prefix}{start + n}@example.org",
            status=Subscriber.Status.SUBSCRIBED,
        )
        for n in range(count)
    )
    return list(Subscriber.objects.filter(email__startswith=prefix).values_list("pk", flat=True))


def make_edition(**fields) -> Edition:
    defaults = {
        "subject": f"City news no. {next(_counter)}",
        "preheader": "Transit, housing and the metros moving fastest.",
        "body": [
            ("intro", '<p>Hello from <a href="/vitals/">City Vitals</a> &amp; friends.</p>'),
            (
                "vitals_highlight",
                {
                    "heading": "City Vitals",
                    "figure": "#3",
                    "caption": "Denver climbed three places in new-business formation.",
                    "link_url": "/vitals/",
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Join the network",
                    "text": "Members get the library and the National Meeting.",
                    "button_label": "Become a member",
                    "button_url": "/membership/",
                },
            ),
        ],
    }
    defaults.update(fields)
    return Edition.objects.create(**defaults)
