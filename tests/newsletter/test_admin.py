import pytest
from django.core import mail
from django.urls import reverse

from newsletter import services
from newsletter.models import Edition

from .factories import make_edition, make_many_subscribers, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, staff):
    client.force_login(staff)
    return client


def test_edition_edit_page_shows_delivery_progress_and_the_send_link(editor):
    edition = make_edition()
    response = editor.get(reverse("wagtailsnippets_newsletter_edition:edit", args=[edition.pk]))
    assert response.status_code == 200
    assert reverse("newsletter_admin:delivery", args=[edition.pk]).encode() in response.content
    assert b"data-newsletter-progress" in response.content


def test_editions_listing_and_new_edition_form_render(editor):
    make_edition()
    assert editor.get(reverse("wagtailsnippets_newsletter_edition:list")).status_code == 200
    assert editor.get(reverse("wagtailsnippets_newsletter_edition:add")).status_code == 200


def test_staff_sends_a_test_then_sends_now_then_pauses_and_resumes(
    editor, staff, django_capture_on_commit_callbacks
):
    make_subscriber()
    edition = make_edition()
    url = reverse("newsletter_admin:delivery", args=[edition.pk])
    page = editor.get(url)
    assert page.status_code == 200 and b"1 confirmed subscriber" in page.content

    editor.post(url, {"action": "test", "email": staff.email})
    assert mail.outbox[-1].to == [staff.email]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        editor.post(url, {"action": "send"})
    assert len(callbacks) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING

    editor.post(url, {"action": "pause"})
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED
    with django_capture_on_commit_callbacks(execute=False):
        editor.post(url, {"action": "resume"})
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING

    response = editor.post(url, {"action": "send"}, follow=True)
    assert b"already sending or sent" in response.content


def test_staff_schedules_an_edition(editor):
    edition = make_edition()
    url = reverse("newsletter_admin:delivery", args=[edition.pk])
    editor.post(url, {"action": "schedule", "send_at": "2099-01-01T09:00"})
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SCHEDULED
    assert edition.scheduled_at.year == 2099
    editor.post(url, {"action": "unschedule"})
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


def test_progress_json_is_for_staff_only(client, member):
    edition = make_edition()
    url = reverse("newsletter_admin:progress", args=[edition.pk])
    assert client.get(url).status_code in {302, 403}
    client.force_login(member)
    assert client.get(url).status_code in {302, 403}


def test_progress_json_reports_counts_in_constant_queries(
    editor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    edition = make_edition()
    url = reverse("newsletter_admin:progress", args=[edition.pk])
    make_many_subscribers(40)
    with django_capture_on_commit_callbacks(execute=False):
        services.edition_send(edition=edition)
    with django_capture_on_commit_callbacks(execute=False):
        services.deliveries_prepare(edition_id=edition.pk)
    services.deliveries_send_batch(edition_id=edition.pk, low=0, high=10**12)
    with django_assert_max_num_queries(8):
        data = editor.get(url).json()
    assert data["sent"] == 40 and data["remaining"] == 0 and data["status"] == "sent"
    make_many_subscribers(200, prefix="more")
    with django_assert_max_num_queries(8):
        editor.get(url)


def test_staff_record_a_suppression_in_the_admin_and_it_is_stored_in_lower_case(editor):
    from newsletter.models import Suppression

    make_subscriber("complainer@example.org")
    assert editor.get(reverse("wagtailsnippets_newsletter_subscriber:list")).status_code == 200
    response = editor.post(
        reverse("wagtailsnippets_newsletter_suppression:add"),
        {"email": "Complainer@Example.org", "reason": "complaint", "note": "Phoned us"},
    )
    assert response.status_code == 302
    assert Suppression.objects.get().email == "complainer@example.org"
    assert editor.get(reverse("wagtailsnippets_newsletter_suppression:list")).status_code == 200
