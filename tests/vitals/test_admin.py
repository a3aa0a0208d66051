import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.vitals.factories import INDICATORS, METROS, SOURCES, import_files, observations
from vitals.models import ImportRun, Indicator, Metro, Observation, PeerGroup, Ranking, Source

pytestmark = pytest.mark.django_db


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def staff_client(client, staff, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client.force_login(staff)
    return client


def test_staff_upload_previews_then_confirms_an_import(
    staff_client, django_capture_on_commit_callbacks, monkeypatch
):
    from vitals import admin_views

    # The task itself runs here, in-process; the worker tests cover the broker round trip.
    monkeypatch.setattr(admin_views.import_staged_vitals, "delay", admin_views.import_staged_vitals)
    files = [
        upload("sources.csv", SOURCES),
        upload("indicators.csv", INDICATORS),
        upload("metros.csv", METROS),
        upload("observations.csv", observations("10001,college_attainment,2019,2019,0.4,,acs1")),
    ]
    response = staff_client.post("/admin/vitals-import/", {"files": files})

    assert response.status_code == 200
    assert b"What would change" in response.content
    assert Observation.objects.count() == 0  # the preview saved nothing
    token = response.context["token"]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/vitals-import/confirm/", {"token": token})
    assert response.status_code == 302
    assert Observation.objects.count() == 1
    status = staff_client.get(response["Location"])
    assert b"Imported." in status.content
    assert ImportRun.objects.get().imported_by == "staff"


def test_preview_lists_every_problem_and_offers_no_import(staff_client):
    text = observations("99999,college_attainment,2019,2019,7.3,,acs1")
    response = staff_client.post(
        "/admin/vitals-import/", {"files": [upload("observations.csv", text)]}
    )

    assert b"nothing can be imported" in response.content
    assert b"is not a known metro" in response.content
    assert b"Import these figures" not in response.content


def test_a_visitor_cannot_reach_the_import(client):
    assert client.get("/admin/vitals-import/").status_code == 302


def test_choosing_headline_indicators_in_the_admin(staff_client):
    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))
    indicator = Indicator.objects.get(code="transit_use")

    response = staff_client.get(f"/admin/snippets/vitals/indicator/edit/{indicator.pk}/")
    assert response.status_code == 200
    assert staff_client.get("/admin/snippets/vitals/metro/").status_code == 200


def test_editing_a_peer_group_rebuilds_its_ranks(staff_client):
    import_files(observations_csv=observations("10005,college_attainment,2019,2019,0.4,,acs1"))
    group = PeerGroup.objects.get(slug="1m-plus")
    assert not Ranking.objects.filter(peer_group=group).exists()

    response = staff_client.post(
        f"/admin/snippets/vitals/peergroup/edit/{group.pk}/",
        {
            "name": group.name,
            "slug": group.slug,
            "min_population": 100_000,
            "max_population": "",
            "is_default": "on",
            "order": 1,
        },
    )

    assert response.status_code == 302, response.content[:2000]
    assert Ranking.objects.filter(peer_group=group).count() == 1


def test_staff_can_open_every_city_vitals_admin_listing_and_form(staff_client):
    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))
    objects = {
        "indicator": Indicator.objects.first(),
        "metro": Metro.objects.first(),
        "peergroup": PeerGroup.objects.first(),
        "source": Source.objects.first(),
        "importrun": ImportRun.objects.first(),
    }
    for name, obj in objects.items():
        assert staff_client.get(f"/admin/snippets/vitals/{name}/").status_code == 200, name
        assert (
            staff_client.get(f"/admin/snippets/vitals/{name}/edit/{obj.pk}/").status_code == 200
        ), name
    assert (
        staff_client.get(
            f"/admin/snippets/vitals/importrun/inspect/{objects['importrun'].pk}/"
        ).status_code
        == 200
    )
    assert staff_client.get("/admin/vitals-import/").status_code == 200


def test_editing_a_source_shows_on_pages_the_cache_kept(
    staff_client, django_capture_on_commit_callbacks
):
    from django.test import Client

    import_files(observations_csv=observations("10001,college_attainment,2019,2019,0.4,,acs1"))
    source = Observation.objects.get().source
    visitor = Client()
    assert source.title in visitor.get("/vitals/methodology/").content.decode()
    assert visitor.get("/vitals/methodology/")["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/snippets/vitals/source/edit/{source.pk}/",
            {
                "title": "American Community Survey, revised title",
                "publisher": source.publisher,
                "url": source.url,
                "licence": source.licence,
                "obtained_via": source.obtained_via,
                "series": source.series,
            },
        )

    assert response.status_code == 302, response.content[:2000]
    page = visitor.get("/vitals/methodology/")
    assert page["X-Page-Cache"] == "miss"
    assert "American Community Survey, revised title" in page.content.decode()
