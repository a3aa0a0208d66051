"""Joining without online payment ("Ask to join") and Checkout's promotion codes and trials."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone

from members import joining
from members.models import JoinRequest, Membership, MembershipEvent
from members.selectors import membership_is_active
from tests.members.factories import PASSWORD, UserFactory, make_member, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def no_stripe(settings):
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def reviewer(db):
    """Staff who may review join requests (not a superuser: the permission is what counts)."""
    group, _ = Group.objects.get_or_create(name="Membership desk")
    group.permissions.add(
        Permission.objects.get(codename="review_joinrequest"),
        Permission.objects.get(codename="access_admin"),
    )
    user = UserFactory(email="desk@civicnet.example", first_name="Dana", last_name="Desk")
    user.groups.add(group)
    return user


def ask(client, **fields):
    data = {"name": "Jordan Lee", "email": "jordan@example.org", "plan": "", "message": ""}
    data.update(fields)
    return client.post("/membership/join/", data)


def test_membership_page_offers_ask_to_join_on_every_plan_without_stripe(client, no_stripe):
    make_plan()
    make_plan(slug="individual-monthly", interval="month", price_cents=1200)

    html = client.get("/membership/").content.decode()

    assert 'href="/membership/join/?plan=individual-yearly"' in html
    assert 'href="/membership/join/?plan=individual-monthly"' in html
    assert 'href="/membership/join/"' in html  # the notice says where to write
    assert html.count("Online payments are not configured") == 1


def test_checkout_without_stripe_goes_to_the_ask_to_join_form_for_that_plan(
    client, registered, no_stripe
):
    plan = make_plan()
    client.force_login(registered)

    response = client.get("/membership/checkout/individual-yearly/", follow=True)

    assert response.redirect_chain == [("/membership/join/?plan=individual-yearly", 302)]
    assert response.context["form"]["plan"].value() == plan.pk
    assert response.context["form"]["email"].value() == "registered@example.org"
    assert "not configured" not in response.content.decode()  # no bounce, no repeated notice


def test_a_plan_without_a_stripe_price_also_asks_to_join(client, registered, fake_stripe):
    make_plan(slug="partner", stripe_price_id="")
    client.force_login(registered)

    response = client.post("/membership/checkout/partner/")

    assert response["Location"] == "/membership/join/?plan=partner"
    assert not fake_stripe.sessions


def test_asking_to_join_records_it_emails_staff_and_answers_the_person(
    client, no_stripe, reviewer, eager_tasks, django_capture_on_commit_callbacks
):
    plan = make_plan()
    UserFactory(email="nobody-reviews@example.org")  # no permission: never emailed

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(
            client,
            plan=plan.pk,
            organisation="Akron Land Bank",
            message="Could you invoice the land bank?",
        )

    assert response.status_code == 302
    assert response["Location"] == "/membership/join/sent/"
    join_request = JoinRequest.objects.get()
    assert (join_request.name, join_request.email, join_request.plan) == (
        "Jordan Lee",
        "jordan@example.org",
        plan,
    )
    assert join_request.status == JoinRequest.Status.PENDING and join_request.emails_sent_at
    staff_email, answer = sorted(mail.outbox, key=lambda message: message.to != [reviewer.email])
    assert staff_email.to == ["desk@civicnet.example"]
    assert staff_email.reply_to == ["jordan@example.org"]
    assert staff_email.subject == "civicnet: Jordan Lee asks to join"
    assert "Could you invoice the land bank?" in staff_email.body
    assert f"/admin/members/join-requests/{join_request.pk}/" in staff_email.body
    html, mimetype = staff_email.alternatives[0]
    assert mimetype == "text/html" and "Review the request" in html and "civicnet" in html
    assert answer.to == ["jordan@example.org"]
    assert "Individual plan ($120 a year)" in answer.body
    assert "/accounts/signup/" in answer.body
    assert "Dear Jordan Lee" in answer.alternatives[0][0]
    page = client.get("/membership/join/sent/").content.decode()
    assert "we have your request" in page


def test_the_emails_go_once_however_often_the_task_runs(client, no_stripe, reviewer):
    ask(client)  # the task is queued on commit; run it by hand, twice
    join_request = JoinRequest.objects.get()

    assert joining.join_request_send_emails(join_request_id=join_request.pk) is True
    assert joining.join_request_send_emails(join_request_id=join_request.pk) is False

    assert len(mail.outbox) == 2


def test_a_signed_in_person_asks_as_their_account(client, registered, no_stripe):
    client.force_login(registered)
    form = client.get("/membership/join/").context["form"]
    assert form["name"].value() == "Alex Rivera"

    ask(client, email="registered@example.org")

    assert JoinRequest.objects.get().user == registered


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"plan": "999999"}, "Select a valid choice."),
        ({"website": "http://spam.example"}, "it is there to stop robots"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_records_nothing(client, no_stripe, fields, error):
    response = ask(client, **fields)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_asking_to_join_is_rate_limited_per_client(client, no_stripe):
    for number in range(joining.JOIN_REQUESTS_PER_HOUR):
        assert ask(client, email=f"p{number}@example.org").status_code == 302

    refused = ask(client, email="one-more@example.org")
    other_client = client.post(
        "/membership/join/",
        {"name": "Other", "email": "other@example.org"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert JoinRequest.objects.count() == joining.JOIN_REQUESTS_PER_HOUR + 1
    assert other_client.status_code == 302


def review_url(join_request) -> str:
    return f"/admin/members/join-requests/{join_request.pk}/"


def test_staff_approve_a_request_into_an_invoiced_membership_and_the_person_is_welcomed(
    client, registered, reviewer, no_stripe, django_capture_on_commit_callbacks
):
    plan = make_plan()
    ask(client, email="Registered@Example.org", plan=plan.pk)
    join_request = JoinRequest.objects.get()
    client.force_login(reviewer)
    listing = client.get("/admin/members/join-requests/")
    assert listing.status_code == 200 and "Jordan Lee" in listing.content.decode()
    assert (
        "Alex Rivera (registered@example.org)"
        in client.get(review_url(join_request)).content.decode()
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            review_url(join_request), {"decision": "invoiced", "note": "Invoice 2031-014"}
        )

    assert response.status_code == 302
    membership = Membership.objects.get(user=registered)
    assert membership_is_active(type(registered).objects.get(pk=registered.pk))
    assert membership.plan == plan and not membership.is_complimentary
    assert timezone.now() + timedelta(days=364) < membership.current_period_end
    event = membership.history.get()
    assert event.source == MembershipEvent.Source.STAFF and event.actor == reviewer
    assert "Invoice 2031-014" in event.note
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert (join_request.user, join_request.decided_by) == (registered, reviewer)
    (welcome,) = mail.outbox
    assert welcome.to == ["registered@example.org"]
    assert "your Individual membership is active until" in welcome.body
    assert "Complete your profile" in welcome.alternatives[0][0]


def test_staff_approve_a_complimentary_membership_without_an_end(
    client, registered, reviewer, no_stripe
):
    client.force_login(registered)
    ask(client, email="registered@example.org")
    client.force_login(reviewer)

    client.post(review_url(JoinRequest.objects.get()), {"decision": "complimentary"})

    membership = Membership.objects.get(user=registered)
    assert membership.is_complimentary and membership.current_period_end is None
    assert membership.is_active()


def test_approving_a_request_without_an_account_creates_it_and_emails_a_set_password_link(
    client, reviewer, no_stripe, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress

    ask(client, name="Noor Haddad", email="Newcomer@Example.org")
    join_request = JoinRequest.objects.get()
    client.force_login(reviewer)
    assert "approving creates one" in client.get(review_url(join_request)).content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_url(join_request), {"decision": "invoiced"})

    assert response.status_code == 302
    user = Membership.objects.get().user
    assert (user.email, user.get_full_name()) == ("newcomer@example.org", "Noor Haddad")
    assert user.username.startswith("member-") and not user.has_usable_password()
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).count() == 1
    assert membership_is_active(user)
    assert JoinRequest.objects.get().user == user

    (welcome,) = mail.outbox
    assert welcome.to == ["newcomer@example.org"]
    assert "We have made your account" in welcome.body
    assert "/accounts/login/code/" in welcome.body
    html = welcome.alternatives[0][0]
    assert "Choose your password" in html and "Contact us" in html  # the site's layout
    link = re.search(r"http://\S+(/accounts/password/reset/key/\S+/)", welcome.body).group(1)

    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": PASSWORD, "password2": PASSWORD},
    )
    assert client.login(username="newcomer@example.org", password=PASSWORD)


def test_a_declined_request_cannot_then_be_approved(client, registered, reviewer, no_stripe):
    ask(client, email="registered@example.org")
    join_request = JoinRequest.objects.get()
    client.force_login(reviewer)
    client.post(review_url(join_request), {"decision": "decline", "note": "Duplicate"})

    response = client.post(review_url(join_request), {"decision": "invoiced"})

    assert response.status_code == 400
    assert "already decided" in response.content.decode()
    assert JoinRequest.objects.get().status == JoinRequest.Status.DECLINED
    assert not Membership.objects.filter(user=registered).exists()


def test_people_without_the_permission_cannot_review_requests(client, no_stripe):
    ask(client)
    join_request = JoinRequest.objects.get()
    member = make_member(email="member@example.org")
    editor = UserFactory(email="editor@example.org", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))

    for person in (member, editor):
        client.force_login(person)
        assert client.get("/admin/members/join-requests/").status_code in (302, 403)
        client.post(review_url(join_request), {"decision": "complimentary"})

    assert JoinRequest.objects.get().status == JoinRequest.Status.PENDING


# --- With Stripe: promotion codes and trials ----------------------------------------------
def test_checkout_allows_promotion_codes_and_no_trial_by_default(
    client, fake_stripe, registered, plan
):
    client.force_login(registered)

    client.post("/membership/checkout/individual-yearly/")

    (session,) = fake_stripe.sessions.values()
    assert session["allow_promotion_codes"] == "true"
    assert "subscription_data[trial_period_days]" not in session


def test_a_plan_with_trial_days_starts_checkout_with_a_trial_and_says_so(
    client, fake_stripe, registered
):
    make_plan(trial_days=14)
    client.force_login(registered)

    page = client.get("/membership/checkout/individual-yearly/").content.decode()
    client.post("/membership/checkout/individual-yearly/")

    assert "The first 14 days are free" in page
    (session,) = fake_stripe.sessions.values()
    assert session["subscription_data[trial_period_days]"] == "14"
    assert "Free for the first 14 days" in client.get("/membership/").content.decode()
