import pytest

from civicnet.models import PageFeedback
from tests.civicnet.factories import make_standard_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def about(home_page):
    return make_standard_page(home_page)


def test_anonymous_vote_is_recorded_and_redirects_back_with_thanks(visitor, about):
    response = visitor.post(
        f"/feedback/{about.pk}/", {"helpful": "yes", "next": "/about/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/about/#feedback"
    assert "Thank you" in response.content.decode()
    assert PageFeedback.objects.get(page=about).helpful is True


def test_a_visitor_has_one_vote_per_page_and_can_change_it(visitor, about):
    visitor.post(f"/feedback/{about.pk}/", {"helpful": "yes"})
    visitor.post(f"/feedback/{about.pk}/", {"helpful": "no"})

    assert PageFeedback.objects.filter(page=about).count() == 1
    assert PageFeedback.objects.get(page=about).helpful is False


def test_two_visitors_each_get_a_vote(client, about):
    from django.test import Client

    client.post(f"/feedback/{about.pk}/", {"helpful": "yes"})
    Client().post(f"/feedback/{about.pk}/", {"helpful": "no"})

    assert PageFeedback.objects.filter(page=about).count() == 2


def test_signed_in_vote_is_keyed_to_the_person(client, about, member):
    client.force_login(member)
    client.post(f"/feedback/{about.pk}/", {"helpful": "yes"})
    client.cookies.clear()
    client.force_login(member)
    client.post(f"/feedback/{about.pk}/", {"helpful": "no"})

    vote = PageFeedback.objects.get(page=about)
    assert vote.user == member and vote.visitor_key == f"user:{member.pk}"


def test_missing_answer_records_nothing_and_says_why(visitor, about):
    response = visitor.post(f"/feedback/{about.pk}/", {}, follow=True)

    assert "Please choose Yes or No." in response.content.decode()
    assert not PageFeedback.objects.exists()


def test_feedback_rejects_an_offsite_next_url(visitor, about):
    response = visitor.post(
        f"/feedback/{about.pk}/", {"helpful": "yes", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/about/#feedback"


def test_feedback_form_needs_csrf_token(about):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"/feedback/{about.pk}/", {"helpful": "yes"})

    assert response.status_code == 403
    assert not PageFeedback.objects.exists()


def test_staff_see_counts_in_the_admin_report(client, about, staff):
    PageFeedback.objects.create(page=about, visitor_key="anon:1", helpful=True)
    PageFeedback.objects.create(page=about, visitor_key="anon:2", helpful=False)
    PageFeedback.objects.create(page=about, visitor_key="anon:3", helpful=False)
    client.force_login(staff)

    response = client.get("/admin/reports/page-feedback/")

    assert response.status_code == 200
    row = response.context["pages"][0]
    assert (row.title, row.yes, row.no) == ("About civicnet", 1, 2)


def test_the_feedback_report_is_for_staff_only(client, about, member):
    client.force_login(member)

    response = client.get("/admin/reports/page-feedback/")

    assert response.status_code == 302


# --- Stuffing: one vote per person, only from people who can read the page ----------------
@pytest.fixture
def resource(home_page):
    from tests.library.factories import make_library, make_resource

    return make_resource(make_library(home_page))


def test_twenty_cookieless_posts_from_one_address_cast_only_a_few_votes(about, settings):
    from django.test import Client

    for _ in range(20):
        Client().post(f"/feedback/{about.pk}/", {"helpful": "yes"})

    assert PageFeedback.objects.filter(page=about).count() == (
        settings.FEEDBACK_ANONYMOUS_VOTES_PER_HOUR
    )


def test_the_cookieless_limit_is_per_client_address(about, settings):
    from django.test import Client

    settings.FEEDBACK_ANONYMOUS_VOTES_PER_HOUR = 1
    for address in ("203.0.113.1", "203.0.113.1", "198.51.100.2"):
        Client(REMOTE_ADDR=address).post(f"/feedback/{about.pk}/", {"helpful": "yes"})

    assert PageFeedback.objects.filter(page=about).count() == 2


def test_a_returning_visitor_with_the_cookie_changes_their_vote_past_the_limit(
    visitor, about, settings
):
    settings.FEEDBACK_ANONYMOUS_VOTES_PER_HOUR = 1
    for answer in ("yes", "no", "yes", "no"):
        visitor.post(f"/feedback/{about.pk}/", {"helpful": answer})

    assert PageFeedback.objects.get(page=about).helpful is False


def test_anonymous_and_lapsed_visitors_cannot_vote_on_a_members_only_resource(
    client, resource, lapsed
):
    from django.test import Client

    anonymous = Client().post(f"/feedback/{resource.pk}/", {"helpful": "yes"})
    client.force_login(lapsed)
    former = client.post(f"/feedback/{resource.pk}/", {"helpful": "yes"})

    assert anonymous.status_code == former.status_code == 403
    assert not PageFeedback.objects.exists()


def test_a_member_votes_once_on_a_resource_however_often_they_post(client, resource, member):
    from library.models import annotate_usefulness

    client.force_login(member)
    for _ in range(20):
        client.cookies.pop("civicnet_visitor", None)
        client.post(f"/feedback/{resource.pk}/", {"helpful": "yes"})

    assert PageFeedback.objects.filter(page=resource).count() == 1
    ranked = annotate_usefulness(type(resource).objects.filter(pk=resource.pk)).get()
    assert ranked.helpful_votes == 1


def test_a_page_that_does_not_ask_for_feedback_takes_none(visitor, home_page):
    from tests.civicnet.factories import make_standard_page

    quiet = make_standard_page(home_page, slug="quiet", show_feedback=False)

    response = visitor.post(f"/feedback/{quiet.pk}/", {"helpful": "yes"})

    assert response.status_code == 404
    assert not PageFeedback.objects.exists()


@pytest.mark.parametrize(
    "next_url", ["about", "a" * 2000, "javascript:alert(1)", "//evil.example/"]
)
def test_a_next_value_that_is_not_a_path_on_this_site_sends_back_to_the_page(
    visitor, about, next_url
):
    visitor.raise_request_exception = False

    response = visitor.post(f"/feedback/{about.pk}/", {"helpful": "yes", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/about/#feedback"


def test_the_thanks_is_shown_in_the_feedback_section_not_at_the_page_top(visitor, about):
    response = visitor.post(
        f"/feedback/{about.pk}/", {"helpful": "yes", "next": "/about/"}, follow=True
    )
    html = response.content.decode()

    section = html[html.index('id="feedback"') :]
    assert "Thank you" in section
    assert html.count("Thank you") == 1
    assert "data-feedback-form hidden" in section  # answered: the buttons make way


def test_a_missing_answer_keeps_the_buttons_beside_the_error(visitor, about):
    response = visitor.post(f"/feedback/{about.pk}/", {"next": "/about/"}, follow=True)
    section = response.content.decode().split('id="feedback"')[1]

    assert "Please choose Yes or No." in section
    assert "data-feedback-form hidden" not in section


def test_a_script_gets_the_answer_as_json_and_no_message_is_left_for_later(visitor, about):
    response = visitor.post(
        f"/feedback/{about.pk}/", {"helpful": "no"}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "level": "success",
        "message": "Thank you: your answer helps us improve this page.",
    }
    assert PageFeedback.objects.get(page=about).helpful is False
    assert response.cookies["civicnet_visitor"].value  # the vote can be changed later
    assert "Thank you" not in visitor.get("/about/").content.decode()


def test_a_script_posting_no_answer_gets_a_400_with_the_reason(visitor, about):
    response = visitor.post(f"/feedback/{about.pk}/", {}, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.json()["message"] == "Please choose Yes or No."
    assert not PageFeedback.objects.exists()
