"""One world for the access matrix, built once per module: personas signed in, and one real
object behind every URL pattern (an event, a members-only library page and its file, a
challenge entry with an attachment, newsletter editions for each audience, a cluster, a
profile, a metro...). Each test then runs in its own transaction inside this one, so what a
request changes is rolled back before the next."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests.security.personas import make_personas, sign_in_all

# Strings that stand for members-only (or staff-only) content: a denied persona's response
# must never contain them, an allowed one's must (so the check is never vacuous).
LIBRARY_BODY = "Marker-library-body-7Q2"
LIBRARY_FILE = b"%PDF-1.4 Marker-library-file-4K8"
PUBLIC_FILE = b"%PDF-1.4 Marker-public-file-2B5"
ATTACHMENT = b"%PDF-1.4 Marker-attachment-9F3"
OTHER_ATTACHMENT = b"%PDF-1.4 Marker-other-attachment-5D1"
MEMBERS_EDITION = "Marker-members-edition-3H6"
CLUSTER_EDITION = "Marker-cluster-edition-8J4"
DRAFT_EDITION = "Marker-draft-edition-1L9"
PUBLIC_EDITION = "Marker-public-edition-6N2"
CLICK_TARGET = "https://vitals.example.org/rankings/"
LISTED_ORG = "Marker-listed-org-5P7"
OPTED_OUT_ORG = "Marker-opted-out-org-2R3"
LAPSED_IN_CLUSTER_ORG = "Marker-lapsed-cluster-org-4S8"
ENTRY_SUMMARY = "Marker-entry-summary-6T1"
OTHER_ENTRY_SUMMARY = "Marker-other-entry-summary-3V5"
ATTENDED_EVENT = "Marker-attended-event-7W2"


def _build(tmp_media):
    from django.contrib.auth.models import Group

    from events import services as event_services
    from events.models import Registration
    from events.services.offer_tokens import offer_token
    from library.demo import _library_editors
    from members.models import Membership
    from members.services import cluster_join, profile_update
    from newsletter import services as newsletter_services
    from newsletter.models import Delivery, Edition
    from newsletter.tokens import (
        click_token,
        confirmation_token,
        open_token,
        unsubscribe_token,
        web_version_token,
    )
    from tests.blog.factories import (
        AuthorFactory,
        CategoryFactory,
        make_blog_index,
        make_image,
        make_post,
    )
    from tests.civicnet.factories import make_home_page, make_standard_page
    from tests.events.factories import EventFactory, make_challenge, make_series
    from tests.library.factories import make_document, make_library, make_resource
    from tests.members.factories import make_cluster, make_member, make_plan
    from tests.newsletter.factories import make_edition, make_subscriber
    from tests.vitals.factories import import_files, observations
    from vitals.editions import edition_create, edition_publish
    from vitals.models import Indicator, Metro

    # --- the page tree: home, a standard page, the blog, the library -----------------------
    home = make_home_page()
    about = make_standard_page(home)
    blog = make_blog_index(home)
    category = CategoryFactory(name="Transit", slug="transit")
    author = AuthorFactory(name="Ada Writer", slug="ada-writer")
    post = make_post(blog, authors=[author], categories=[category], tags=["streets"])
    image = make_image()
    rendition = image.get_rendition("fill-32x32")
    library = make_library(home)
    _library_editors(library)
    library_file = make_document(title="Members toolkit", content=LIBRARY_FILE)
    loose_library_file = make_document(title="Members dataset", content=LIBRARY_FILE)
    public_file = make_document(title="Public flyer", in_library=False, content=PUBLIC_FILE)
    resource = make_resource(
        library,
        title="Members-only playbook",
        slug="playbook",
        body=[("paragraph", f"<p>{LIBRARY_BODY}</p>")],
        documents=[library_file],
    )
    draft_resource = make_resource(
        library, title="Unpublished playbook", slug="unpublished", publish=False
    )

    users = make_personas(library_editors=Group.objects.get(name="Library editors"))
    member, member2 = users["member"], users["member2"]

    # --- members: plans, a cluster and its people, directory profiles ----------------------
    make_plan()
    profile_update(user=member, directory_opt_in=True, organisation=LISTED_ORG)
    profile_update(user=member2, directory_opt_in=False, organisation=OPTED_OUT_ORG)
    cluster = make_cluster()
    other_cluster = make_cluster(name="Erie Lakeshore", slug="erie-lakeshore", region="Erie, PA")
    lapsed_in_cluster = make_member(
        email="lapsed-in-cluster@example.org",
        status=Membership.Status.EXPIRED,
        directory_opt_in=True,
        organisation=LAPSED_IN_CLUSTER_ORG,
    )
    for person in (member, member2, lapsed_in_cluster):
        cluster_join(cluster=cluster, user=person)
    # The cluster edition's audience: only the first member is in this one.
    cluster_join(cluster=other_cluster, user=member)

    # --- City Vitals -----------------------------------------------------------------------
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.20,,acs1",
        )
    )
    Indicator.objects.filter(code="college_attainment").update(is_headline=True)
    metro = Metro.objects.order_by("name").first()
    other_metro = Metro.objects.order_by("name").last()
    indicator = Indicator.objects.get(code="college_attainment")
    # A published City Vitals edition and a draft one (drafts are not found by anyone).
    edition_publish(edition=edition_create(title="City Vitals Matrix", slug="matrix"))
    edition_create(title="City Vitals Draft", slug="matrix-draft")

    # --- events and Prize Challenges -------------------------------------------------------
    event = EventFactory(slug="webinar", title="Streets webinar")
    EventFactory(slug="draft-event", is_published=False)
    event_services.registration_create(event=event, user=member)
    # The member attended a past meeting: a learning record, a certificate, a transcript.
    attended_at = timezone.now() - timezone.timedelta(days=30)
    attended_event = EventFactory(
        slug="attended-meeting",
        title=ATTENDED_EVENT,
        starts_at=attended_at,
        ends_at=attended_at + timezone.timedelta(hours=2),
        recording_url="https://video.example.org/attended-meeting",
    )
    Registration.objects.create(
        event=attended_event, user=member, status="confirmed", checked_in_at=attended_at
    )
    certificate = event_services.certificate_issue(user=member, event=attended_event)
    calendar_feed = event_services.calendar_feed_renew(user=member)
    # A full event where a freed place is offered to the member (waiting first in line).
    full_event = EventFactory(slug="full-event", title="Full workshop", capacity=1)
    holder = event_services.registration_create(
        event=full_event, user=make_member(email="holder@example.org")
    )
    offered = event_services.registration_create(event=full_event, user=member)
    event_services.registration_cancel(registration=holder)
    offered.refresh_from_db()
    # A webinar series with its dates made.
    tomorrow = timezone.localdate() + timedelta(days=1)  # today's 14:00 may be over
    series = make_series(slug="matrix-series", starts_on=tomorrow, ends_on=None, count=2)
    event_services.series_occurrences_create(series=series)
    challenge = make_challenge()
    entry = event_services.submission_save(
        challenge=challenge,
        user=member,
        fields={"title": "Erie entry", "city": "Erie, PA", "summary": ENTRY_SUMMARY, "plan": "P"},
        submit=True,
    )
    attachment = event_services.submission_attach(
        submission=entry, user=member, upload=SimpleUploadedFile("plan.pdf", ATTACHMENT)
    )
    other_challenge = make_challenge(title="Clean Air Prize", slug="clean-air")
    other_entry = event_services.submission_save(
        challenge=other_challenge,
        user=member2,
        fields={
            "title": "Akron entry",
            "city": "Akron, OH",
            "summary": OTHER_ENTRY_SUMMARY,
            "plan": "P",
        },
        submit=True,
    )
    other_attachment = event_services.submission_attach(
        submission=other_entry,
        user=member2,
        upload=SimpleUploadedFile("air.pdf", OTHER_ATTACHMENT),
    )
    assignment = event_services.judge_assign(submission=entry, judge=users["judge"])
    other_assignment = event_services.judge_assign(submission=other_entry, judge=users["staff"])

    # --- newsletter: a public edition, one for members, one for a cluster, a draft ---------
    def sent(**fields):
        edition = make_edition(**fields)
        edition = newsletter_services.edition_send(edition=edition)
        Edition.objects.filter(pk=edition.pk).update(
            status=Edition.Status.SENT, finished_at=timezone.now()
        )
        return edition

    public_edition = sent(subject=PUBLIC_EDITION, body=[("intro", f"<p>{PUBLIC_EDITION}</p>")])
    members_edition = sent(
        subject="For members",
        audience=Edition.Audience.MEMBERS,
        body=[("intro", f"<p>{MEMBERS_EDITION}</p>")],
    )
    cluster_edition = sent(
        subject="For the cluster",
        audience=Edition.Audience.CLUSTER,
        cluster=other_cluster,
        body=[("intro", f"<p>{CLUSTER_EDITION}</p>")],
    )
    draft_edition = make_edition(subject="Draft", body=[("intro", f"<p>{DRAFT_EDITION}</p>")])
    subscriber = make_subscriber("reader@example.org")
    # The members' edition reached this reader: their own link in it opens it for them.
    delivery = Delivery.objects.create(
        edition=members_edition,
        subscriber=subscriber,
        email=subscriber.email,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
    )
    # Their copy's engagement links: the tracking image, and one link through its redirect.
    (link_id,) = newsletter_services.edition_links_ensure(
        edition_id=members_edition.pk, urls=[CLICK_TARGET]
    ).values()
    # The entrant invited member2 (an active member on another challenge) to their team.
    (invitation,) = event_services.team_invite(
        submission=entry, user=member, emails=["member2@example.org"]
    )
    pending = newsletter_services.subscriber_request(email="pending@example.org", topics=[])

    return SimpleNamespace(
        users=users,
        home=home,
        about=about,
        blog=blog,
        post=post,
        category=category,
        author=author,
        image=image,
        rendition=rendition,
        library=library,
        resource=resource,
        draft_resource=draft_resource,
        library_file=library_file,
        loose_library_file=loose_library_file,
        public_file=public_file,
        cluster=cluster,
        other_cluster=other_cluster,
        metro=metro,
        other_metro=other_metro,
        indicator=indicator,
        event=event,
        attended_event=attended_event,
        certificate=certificate,
        calendar_feed=calendar_feed,
        full_event=full_event,
        offer_token=offer_token(offered),
        series=series,
        challenge=challenge,
        entry=entry,
        attachment=attachment,
        other_challenge=other_challenge,
        other_attachment=other_attachment,
        assignment=assignment,
        other_assignment=other_assignment,
        public_edition=public_edition,
        members_edition=members_edition,
        cluster_edition=cluster_edition,
        draft_edition=draft_edition,
        invitation=invitation,
        unsubscribe_token=unsubscribe_token(subscriber.pk),
        web_version_token=web_version_token(members_edition.pk, subscriber.pk),
        open_token=open_token(delivery.pk),
        click_token=click_token(delivery.pk, link_id, CLICK_TARGET),
        # The same token pointed at another address: the signature no longer matches.
        forged_click_token=click_token(delivery.pk, link_id, "https://evil.example/"),
        confirmation_token=confirmation_token(pending.pk, pending.confirmation_nonce),
        tmp_media=tmp_media,
    )


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once per module inside a transaction that is rolled back at the end.
    Its files live in its own public and private roots (a test module using it must keep
    them: see `_files_in_tmp` in test_access_matrix.py)."""
    tmp_media = tmp_path_factory.mktemp("matrix-media")
    tmp_private = tmp_path_factory.mktemp("matrix-private")
    overrides = override_settings(
        MEDIA_ROOT=tmp_media,
        PRIVATE_MEDIA_ROOT=tmp_private,
        # Production's rule: staff (and admin users) need a second factor.
        STAFF_REQUIRE_2FA=True,
        # Checkout shows its page rather than "not configured" (nothing calls Stripe on GET).
        STRIPE_SECRET_KEY="sk_test_matrix",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    overrides.enable()
    try:
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                # Built before the per-test cache clearing: rate limits left by earlier tests
                # (sign-up per address) would refuse the world's own sign-ups.
                cache.clear()
                world = _build(tmp_media)
                world.tmp_private = tmp_private
                world.sessions = sign_in_all(world.users)
                yield world
            finally:
                _delete_files(world_or_none=locals().get("world"))
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
    finally:
        overrides.disable()


def _delete_files(world_or_none):
    """Private files may live in another storage than MEDIA_ROOT: delete them through it."""
    if world_or_none is None:
        return
    for field in (
        world_or_none.library_file.file,
        world_or_none.loose_library_file.file,
        world_or_none.public_file.file,
        world_or_none.attachment.file,
        world_or_none.other_attachment.file,
        world_or_none.image.file,
        world_or_none.rendition.file,
    ):
        field.storage.delete(field.name)
