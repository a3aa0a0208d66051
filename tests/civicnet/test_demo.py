import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Page

pytestmark = pytest.mark.django_db


def counts():
    return (Page.objects.count(), get_user_model().objects.count())


def test_demo_loader_run_twice_changes_nothing():
    out = io.StringIO()
    call_command("load_demo", force=True, stdout=out)
    first = counts()
    call_command("load_demo", force=True, stdout=io.StringIO())

    assert counts() == first
    assert "member@civicnet.example" in out.getvalue()
    assert "staff@civicnet.example" in out.getvalue()


def test_demo_member_is_an_active_member_and_staff_can_reach_the_admin(client):
    from members.selectors import membership_is_active

    call_command("load_demo", force=True, stdout=io.StringIO())
    user_model = get_user_model()

    assert membership_is_active(user_model.objects.get(email="member@civicnet.example"))
    assert client.login(username="staff", password="civicnet-staff-demo")
    assert client.get("/admin/").status_code == 200


def test_demo_home_page_is_served_at_the_root(client):
    call_command("load_demo", force=True, stdout=io.StringIO())

    response = client.get("/")

    assert response.status_code == 200
    assert "Prize Challenges" in response.content.decode()


def test_demo_loader_leaves_the_email_backend_as_it_found_it(settings):
    before = settings.EMAIL_BACKEND

    call_command("load_demo", force=True, stdout=io.StringIO())

    assert before == settings.EMAIL_BACKEND
