import io
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from wagtail.models import Page

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
    assert client.login(username="staff", password="civicnet-staff-demo")
    assert client.get("/admin/").status_code == 200


def test_demo_home_page_is_served_at_the_root(demo, client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Prize Challenges" in response.content.decode()


def test_demo_loader_leaves_the_email_backend_as_it_found_it(demo):
    assert demo.email_backend_before == demo.email_backend_after
