"""The demo content `make run` loads (load_demo), loaded once for the whole module: the loader
itself, the year of history the network dashboard shows (civicnet/demo_history.py) and the
demo member's My metro. Loading it is the slow part, so every test about it is here."""

import io
import re
import zoneinfo
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from wagtail.models import Page

from civicnet.demo_history import DOMAIN
from events.models import Registration
from members.demo import MEMBER_EMAIL
from members.models import MembershipEvent, Payment, Profile, Sector
from newsletter.models import Edition
from vitals.models import DividendScenario, PeerChoice

pytestmark = pytest.mark.django_db


def counts():
    return (Page.objects.count(), get_user_model().objects.count())


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module inside a transaction rolled back at its end (each
    test runs in a savepoint inside it). Its files live in the module's own roots."""
    roots = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
        PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("demo-private"),
    )
    with roots, django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            email_backend_before = settings.EMAIL_BACKEND
            out = io.StringIO()
            call_command("load_demo", force=True, stdout=out)
            yield SimpleNamespace(
                output=out.getvalue(),
                counts=counts(),
                email_backend_before=email_backend_before,
                email_backend_after=settings.EMAIL_BACKEND,
                media_root=settings.MEDIA_ROOT,
                private_media_root=settings.PRIVATE_MEDIA_ROOT,
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _files_in_tmp(demo, settings):
    """The demo's file roots (tests/conftest.py would give each test empty ones)."""
    settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = demo.media_root, demo.private_media_root


def test_demo_loader_run_twice_changes_nothing(demo):
    call_command("load_demo", force=True, stdout=io.StringIO())

    assert counts() == demo.counts
    assert "member@civicnet.example" in demo.output
    assert "staff@civicnet.example" in demo.output


def test_demo_member_is_an_active_member_and_staff_can_reach_the_admin(demo, client):
    from members.selectors import membership_is_active

    user_model = get_user_model()

    assert membership_is_active(user_model.objects.get(email="member@civicnet.example"))
    assert client.login(email="staff@civicnet.example", password="civicnet-staff-demo")
    assert client.get("/admin/").status_code == 200


def test_demo_home_page_is_served_at_the_root(demo, client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Prize Challenges" in response.content.decode()


def test_demo_loader_leaves_the_email_backend_as_it_found_it(demo):
    assert demo.email_backend_before == demo.email_backend_after


def test_demo_events_fall_on_working_days_in_the_season_their_names_give(demo):
    from events.demo_dates import federal_holidays, is_working_day, season_matches
    from events.models import Event

    events = list(Event.objects.all())
    assert len(events) >= 20
    for event in events:
        day = event.starts_at.astimezone(zoneinfo.ZoneInfo(event.time_zone)).date()
        assert is_working_day(day), (event.title, day)
        assert day not in federal_holidays(day.year), (event.title, day)
        assert season_matches(event.title, day), (event.title, day)
    meetings = [event for event in events if event.kind == Event.Kind.NATIONAL_MEETING]
    assert {meeting.title.split()[0] for meeting in meetings} == {"Spring", "Fall"}


def test_the_home_page_counts_the_network_at_its_real_size(demo, client):
    page = client.get("/").content.decode()
    counters = {
        label: int(number.replace(",", ""))
        for label, number in re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", page)
    }
    assert counters["Members in the national network"] >= 300
    assert counters["Cities represented by members"] >= 24
    assert counters["National Meeting attendees"] >= 200


def test_the_changemaker_interview_names_its_interviewee_and_takes_minutes(demo, client):
    from blog.models import BlogPage

    post = BlogPage.objects.get(slug="changemaker-a-librarian-who-rewired-a-neighbourhood")
    assert "Denise Whitfield" in post.title
    assert post.word_count > 600 and post.reading_minutes >= 3
    assert f"{post.reading_minutes} min read" in client.get(post.url).content.decode()


def test_a_blog_post_s_first_view_makes_no_image_renditions(demo, client):
    from wagtail.images.models import Rendition

    from blog.models import BlogPage

    before = Rendition.objects.count()
    for post in BlogPage.objects.live():
        assert client.get(post.url).status_code == 200
    assert client.get("/blog/").status_code == 200
    assert Rendition.objects.count() == before


def test_library_files_are_multi_page_pdfs_and_distinct_datasets(demo):
    from library.models import ResourcePage

    pdfs, csvs = [], []
    for resource in ResourcePage.objects.all():
        for attached in resource.documents.all():
            with attached.document.file.open("rb") as handle:
                content = handle.read()
            (pdfs if attached.document.file.name.endswith(".pdf") else csvs).append(content)
    assert len(pdfs) >= 5 and len(csvs) >= 2
    assert all(content.startswith(b"%PDF") for content in pdfs)
    assert len(set(pdfs)) == len(pdfs)
    assert len(set(csvs)) == len(csvs)
    assert all(len(content.splitlines()) > 20 for content in csvs)


def test_every_demo_page_is_linked_from_another_page(demo, client):
    from wagtail.models import Page

    pages = Page.objects.live().filter(depth__gt=2).specific()
    linked = set()
    for source in ["/", "/membership/", "/about/", "/blog/", "/library/", "/events/"]:
        linked |= set(re.findall(r'href="(/[^"#?]*)', client.get(source).content.decode()))
    for page in pages.filter(depth=3):
        assert page.url in linked, page.url


def test_the_demo_has_several_clusters_and_a_challenge_with_entries(demo, client):
    from events.models import Challenge
    from members.models import Cluster

    assert Cluster.objects.count() >= 5
    assert all(cluster.memberships.count() >= 2 for cluster in Cluster.objects.all())
    challenge = Challenge.objects.get(slug="main-street-revival-prize")
    assert challenge.submissions.filter(status="submitted").count() >= 6


def test_the_library_pdfs_have_several_pages():
    from core.pdf import pdf_document
    from library.demo import FRAMEWORK, RESOURCES
    from library.demo_documents import _pdf_spec

    for spec in [*RESOURCES, FRAMEWORK]:
        for title, kind in spec.get("files", [("Dividend worksheet", "pdf")]):
            if kind == "pdf":
                context = {**_pdf_spec(title, spec["summary"]), "published": spec["date"]}
                document = pdf_document("library/demo_document_pdf.html", context)
                assert len(document.pages) >= 4, title


# --- The year of demo history the network dashboard shows ------------------------------------
def test_the_demo_has_a_year_of_history_across_metros_and_sectors(demo, client):
    people = get_user_model().objects.filter(email__endswith=f"@{DOMAIN}")
    profiles = Profile.objects.filter(user__in=people)

    assert people.count() >= 300
    assert set(profiles.values_list("sector", flat=True)) == set(Sector.values)
    assert profiles.values("home_metro").distinct().count() >= 24
    assert MembershipEvent.objects.filter(to_status="expired").exists()
    assert MembershipEvent.objects.filter(stripe_event_id__startswith="evt_history_").count() > 500
    assert Registration.objects.filter(
        event__slug__startswith="history-", checked_in_at__isnull=False
    ).exists()
    assert Edition.objects.filter(status="sent", subject__startswith="City news, ").count() == 12
    assert "Demo history: 4" in demo.output
    payments = Payment.objects.filter(membership__user__in=people)
    paid_invoices = MembershipEvent.objects.filter(
        stripe_event_id__startswith="evt_history_", note__startswith="invoice.paid"
    )
    assert payments.filter(kind="payment").count() == paid_invoices.count()
    assert payments.filter(kind="refund").count() >= 5
    assert payments.filter(kind="payment", first=True).count() < people.count()
    recorded = payments.count()

    call_command("load_demo", force=True, stdout=io.StringIO())
    assert get_user_model().objects.filter(email__endswith=f"@{DOMAIN}").count() == people.count()
    assert payments.count() == recorded

    assert client.login(email="staff@civicnet.example", password="civicnet-staff-demo")
    page = client.get("/admin/reports/network/?days=365").content.decode()
    assert "Churn rate" in page and "National Meeting" in page
    assert "Why members cancelled" in page


# --- The demo member finds My metro working on first sign-in: Cleveland against saved peers --
def test_demo_member_sees_cleveland_against_their_saved_peers(demo, client):
    client.force_login(get_user_model().objects.get(email=MEMBER_EMAIL))

    html = client.get("/vitals/my-metro/").content.decode()

    assert "My metro: Cleveland, OH" in html
    assert "the 7 metros you chose" in html
    assert "Pittsburgh, PA" in html
    assert " of 8" in html  # ranked among its seven peers and itself
    brief = client.get("/vitals/my-metro/brief.pdf")
    assert brief.status_code == 200 and brief.content.startswith(b"%PDF")


def test_loading_the_demo_again_keeps_the_one_saved_choice(demo):
    choice = PeerChoice.objects.get(user__email=MEMBER_EMAIL)
    call_command("load_demo", force=True, stdout=io.StringIO())

    assert PeerChoice.objects.get() == choice
    assert choice.peer_metros.count() == 7


def test_demo_member_has_a_saved_dividend_scenario_once(demo, client):
    member = get_user_model().objects.get(email=MEMBER_EMAIL)
    scenario = DividendScenario.objects.get(user=member)
    client.force_login(member)

    html = client.get("/vitals/my-metro/").content.decode()
    assert "Two points more graduates" in html and "Live figures; constants version 1" in html
    brief = client.get(f"/vitals/my-metro/scenarios/{scenario.pk}/brief.pdf")
    assert brief.status_code == 200 and brief.content.startswith(b"%PDF")

    call_command("load_demo", force=True, stdout=io.StringIO())
    assert list(DividendScenario.objects.values_list("pk", flat=True)) == [scenario.pk]
