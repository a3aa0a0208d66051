"""Request bodies over their limit are refused with a 413 before anything reads them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from core.body_limit import RequestBodyLimitMiddleware
from members.models import Profile
from tests.events.factories import make_challenge

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size=-1):
        pytest.fail("the body was read")

    readline = read


def run(path: str, *, user=None, length: int | None = None, chunked=False, terminated=False):
    extra = {"CONTENT_TYPE": "multipart/form-data; boundary=x"}
    if chunked:
        extra["HTTP_TRANSFER_ENCODING"] = "chunked"
    if terminated:
        extra["wsgi.input_terminated"] = True
    request = RequestFactory().generic("POST", path, **extra)
    request.META["CONTENT_LENGTH"] = "" if length is None else str(length)
    request.META["wsgi.input"] = UnreadableBody()
    request._stream = UnreadableBody()
    if user is not None:
        request.user = user
    passed = []
    response = RequestBodyLimitMiddleware(lambda r: passed.append(r) or "passed on")(request)
    return response if not passed else "passed on"


def test_an_oversized_body_is_refused_with_413_without_being_read(registered):
    response = run("/account/profile/", user=registered, length=60 * MB)

    assert response.status_code == 413
    assert "at most 4 MB can be sent here" in response.content.decode()


def test_anonymous_visitors_get_the_base_limit_even_on_upload_views():
    from django.contrib.auth.models import AnonymousUser

    assert run("/account/profile/", user=AnonymousUser(), length=4 * MB).status_code == 413
    assert run("/account/profile/", user=AnonymousUser(), length=2 * MB) == "passed on"


def test_upload_views_allow_their_own_limit_to_signed_in_people(member, staff):
    make_challenge()

    assert run("/challenges/safer-streets/submit/", user=member, length=10 * MB) == "passed on"
    assert run("/challenges/safer-streets/submit/", user=member, length=12 * MB).status_code == 413
    assert run("/admin/vitals-import/", user=staff, length=50 * MB) == "passed on"
    assert run("/admin/documents/multiple/add/", user=staff, length=90 * MB) == "passed on"
    assert run("/admin/documents/multiple/add/", user=staff, length=200 * MB).status_code == 413
    assert run("/admin/images/multiple/add/", user=staff, length=20 * MB).status_code == 413
    # Ordinary forms keep the base limit, signed in or not.
    assert run("/account/seats/", user=member, length=4 * MB).status_code == 413


def test_a_chunked_body_is_read_only_up_to_the_limit(registered):
    from django.core.handlers.wsgi import WSGIRequest

    small = b"a" * 1000
    request = WSGIRequest(
        {
            **RequestFactory()._base_environ(
                PATH_INFO="/account/profile/",
                REQUEST_METHOD="POST",
                CONTENT_TYPE="application/octet-stream",
                HTTP_TRANSFER_ENCODING="chunked",
            ),
            "wsgi.input": io.BytesIO(small),
            "wsgi.input_terminated": True,
        }
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.user = registered
    seen = []
    RequestBodyLimitMiddleware(lambda r: seen.append(r.body))(request)
    assert seen == [small]  # a small chunked body reaches the view whole

    big = io.BytesIO(b"a" * (10 * MB))
    request = WSGIRequest({**request.environ, "wsgi.input": big, "wsgi.input_terminated": True})
    request.META.pop("CONTENT_LENGTH", None)
    request.user = registered
    response = RequestBodyLimitMiddleware(lambda r: pytest.fail("passed on"))(request)
    assert response.status_code == 413
    assert big.tell() <= 4 * MB + 64 * 1024  # read up to the limit, not to the end


def test_a_chunked_body_the_server_does_not_decode_gets_411():
    response = run("/account/profile/", chunked=True)

    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()


def test_a_malformed_content_length_gets_400():
    assert run("/account/profile/", length=-5).status_code == 400


def test_too_large_profile_photo_gets_the_413_page_and_nothing_is_stored(client, registered):
    client.force_login(registered)
    big = SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * (6 * MB), content_type="image/png")

    response = client.post("/account/profile/", {"first_name": "A", "photo": big})

    assert response.status_code == 413
    html = response.content.decode()
    assert "Upload too large" in html and "at most 4 MB can be sent here" in html
    assert not Profile.objects.filter(user=registered).exclude(photo="").exists()


def test_signed_in_member_can_still_send_a_large_attachment(client, member, settings):
    from events.models import SubmissionAttachment

    make_challenge()
    client.force_login(member)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n" + b"0" * (5 * MB))

    client.post(
        "/challenges/safer-streets/submit/",
        {
            "title": "Slow zones",
            "city": "Dayton, OH",
            "summary": "Schools.",
            "plan": "",
            "draft": "1",
            "attachment": pdf,
        },
    )

    assert SubmissionAttachment.objects.get().size == pdf.size


def test_ordinary_posts_are_untouched(client):
    response = client.post("/newsletter/subscribe/", {"email": "x@example.org"})

    assert response.status_code != 413
