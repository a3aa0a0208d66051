"""The year of demo history `make run` loads for the network dashboard."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from civicnet.demo_history import DOMAIN
from events.models import Registration
from members.models import MembershipEvent, Payment, Profile, Sector
from newsletter.models import Edition

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_year_of_history_across_metros_and_sectors(client):
    out = io.StringIO()
    call_command("load_demo", force=True, stdout=out)
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
    assert "Demo history: 4" in out.getvalue()
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
