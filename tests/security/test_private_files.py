"""Private files: every traversal spelling, every kind of private file, as anonymous, through the
test client and through a real gunicorn (DEBUG=0) on loopback; members still get their files,
through Django or the proxy (X-Accel-Redirect); public uploads are served from MEDIA_ROOT."""

import os
import secrets
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.files import private_files_move_from_media
from events import services as event_services
from members import services as member_services
from tests.events.factories import make_challenge
from tests.library.factories import make_document, make_library, make_resource
from tests.members.factories import make_member
from tests.members.test_account_pages import image_upload
from vitals.services import import_stage

BASE_DIR = Path(__file__).resolve().parents[2]
# Ways to say "one folder up" and "folder separator" in a URL path, raw and encoded.
UPS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "..;", "..%00"]
SEPS = ["/", "%2f", "%2F", "%5c", "%5C", "\\", "%252f"]


# --- the private files ----------------------------------------------------------------------
def make_private_files(home_page) -> list[dict]:
    """One of each kind of private file, each with a marker no response may ever contain."""
    files = []
    marker = f"MARKER-document-{secrets.token_hex(6)}"
    document = make_document(title="Members' toolkit", content=f"%PDF-1.4 {marker}".encode())
    make_resource(make_library(home_page), documents=[document])
    files.append(
        {
            "kind": "document",
            "marker": marker,
            "name": document.file.name,
            "gated_url": f"/documents/{document.pk}/{document.filename}",
        }
    )

    marker = f"MARKER-attachment-{secrets.token_hex(6)}"
    owner = make_member(email="entrant@example.org")
    submission = event_services.submission_save(
        challenge=make_challenge(),
        user=owner,
        fields={"title": "Slow zones", "city": "Dayton, OH", "summary": "Schools.", "plan": ""},
        submit=False,
    )
    attachment = event_services.submission_attach(
        submission=submission,
        user=owner,
        upload=SimpleUploadedFile("plan.pdf", f"%PDF-1.7 {marker}".encode()),
    )
    files.append(
        {
            "kind": "attachment",
            "marker": marker,
            "name": attachment.file.name,
            "gated_url": f"/challenges/attachments/{attachment.pk}/",
        }
    )

    marker = f"MARKER-import-{secrets.token_hex(6)}"
    token = import_stage(files=[("observations.csv", f"metro,{marker}\n".encode())])
    files.append(
        {
            "kind": "import upload",
            "marker": marker,
            "name": f"vitals-imports/{token}/observations.csv",
            "gated_url": None,
        }
    )
    for file in files:
        file["absolute"] = str(Path(settings.PRIVATE_MEDIA_ROOT) / file["name"])
        assert Path(file["absolute"]).read_bytes().find(file["marker"].encode()) >= 0
    return files


def traversal_paths(file: dict) -> list[str]:
    """Every spelling of the file's old place under /media/, of its place in the private root
    (a sibling of MEDIA_ROOT here), and of its absolute path."""
    media = Path(settings.MEDIA_ROOT)
    name, absolute = file["name"], file["absolute"].lstrip("/")
    beside = os.path.relpath(file["absolute"], media.parent)  # "private/documents/..."
    depth = len(media.parts) - 1  # ups from MEDIA_ROOT to "/"
    paths = [
        f"/media/{name}",
        f"/media/./{name}",
        f"/media//{name}",
        f"/media/{quote(name, safe='')}",
        f"/media/{name}%00.png",
        f"/media/images/%00/../{name}",
        f"/media/images/x/../../{name}",
        f"/media/images/./../{name}",
        f"/media/profiles/../{name}",
        f"/media//{absolute}",
        f"/media/{absolute}",
        f"/media/%2F{quote(absolute, safe='')}",
        f"/media/images/{quote('/' + absolute, safe='')}",
        f"/media/images//{absolute}",
        f"/media/file:{quote('///' + absolute)}",
    ]
    for up in UPS:
        for sep in SEPS:
            step = up + sep
            paths += [
                f"/media/images{sep}{step}{name}",
                f"/media/original_images{sep}{step}{name.replace('/', sep)}",
                f"/media/{step}{beside}",
                f"/media/images{sep}{step * 2}{beside.replace('/', sep)}",
                f"/media/{step * depth}{absolute}",
                f"/static/{step * 2}{beside}",
            ]
    return paths


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def private_files(home_page):
    return make_private_files(home_page)


# --- through the test client ----------------------------------------------------------------
def test_anonymous_gets_no_private_file_by_any_traversal_spelling(client, private_files):
    tried = 0
    for file in private_files:
        for path in traversal_paths(file):
            response = client.get(path)
            assert response.status_code in (400, 404), (file["kind"], path, response.status_code)
            assert file["marker"].encode() not in body_of(response), (file["kind"], path)
            tried += 1
        if file["gated_url"]:
            response = client.get(file["gated_url"])
            assert response.status_code == 302, file["kind"]  # to the login page
            assert file["marker"].encode() not in body_of(response)
    assert tried > 1000


def test_private_files_are_stored_outside_the_public_root(private_files):
    media, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)

    for file in private_files:
        assert Path(file["absolute"]).is_file()
        assert private in Path(file["absolute"]).parents
        assert not (media / file["name"]).exists()
    assert not any(media.rglob("*.pdf")) and not any(media.rglob("*.csv"))


def test_public_uploads_are_stored_and_served_from_the_public_root(client, registered):
    from wagtail.images.models import Image

    profile = member_services.profile_update(user=registered, photo=image_upload())
    image = Image.objects.create(title="Skyline", file=image_upload(name="skyline.png"))
    rendition = image.get_rendition("fill-100x100")
    media = Path(settings.MEDIA_ROOT)

    for name in (profile.photo.name, image.file.name, rendition.file.name):
        assert (media / name).is_file()
        response = client.get(f"/media/{name}")
        assert response.status_code == 200, name
        assert body_of(response) == (media / name).read_bytes()
        assert response["X-Content-Type-Options"] == "nosniff"
    assert profile.photo.url.startswith("/media/profiles/")


def test_members_and_the_team_still_download_their_files(client, private_files):
    document, attachment = private_files[0], private_files[1]
    client.force_login(make_member(email="reader@example.org"))

    response = client.get(document["gated_url"])
    assert response.status_code == 200
    assert document["marker"].encode() in body_of(response)
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(email="entrant@example.org"))
    response = client.get(attachment["gated_url"])
    assert response.status_code == 200
    assert attachment["marker"].encode() in body_of(response)
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert "private" in response["Cache-Control"]


def test_behind_nginx_gated_views_hand_the_file_over_with_x_accel_redirect(
    client, settings, private_files
):
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/_private/"
    document, attachment = private_files[0], private_files[1]

    assert "X-Accel-Redirect" not in client.get(document["gated_url"])  # anonymous: login
    client.force_login(make_member(email="reader@example.org"))
    response = client.get(document["gated_url"])

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_private/{document['name']}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert "private" in response["Cache-Control"]

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(email="entrant@example.org"))
    response = client.get(attachment["gated_url"])
    assert response["X-Accel-Redirect"] == f"/_private/{quote(attachment['name'])}"
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert response.content == b""


def test_files_left_in_the_public_root_are_moved_to_the_private_root(settings, tmp_path):
    media, private = tmp_path / "media", tmp_path / "private"
    for name in ("documents/a.pdf", "challenges/1/x/b.pdf", "vitals-imports/t/c.csv"):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(name.encode())
    (media / "profiles").mkdir()
    (media / "profiles" / "me.png").write_bytes(b"png")

    assert private_files_move_from_media() == 3
    assert private_files_move_from_media() == 0  # safe to run again

    assert (private / "documents/a.pdf").read_bytes() == b"documents/a.pdf"
    assert (private / "vitals-imports/t/c.csv").is_file()
    assert sorted(p.name for p in media.iterdir()) == ["profiles"]


# --- through a real server ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _exchange(port: int, head: str, body: bytes = b"", *, timeout: float = 20) -> bytes:
    """Send a request exactly as written (no normalising) and return the raw response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _get(port: int, path: str, cookie: str = "") -> tuple[int, bytes, bytes]:
    extra = f"Cookie: sessionid={cookie}\r\n" if cookie else ""
    raw = _exchange(
        port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


@pytest.fixture(scope="module")
def real_server(django_db_setup, django_db_blocker, tmp_path_factory, collected_static):
    """gunicorn as in production (DEBUG=0, collected static files) on a free loopback port,
    reading the test database and this module's own public and private roots."""
    from django.db import connection

    work = tmp_path_factory.mktemp("real-server")
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (
        ":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else ""
    )
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # sessions made here must be readable there
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(work / "media"),
        "PRIVATE_MEDIA_ROOT": str(work / "private"),
        "STATIC_ROOT": str(collected_static),
        "PRIVATE_FILES_ACCEL_PREFIX": "",
        "PAGE_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    port = _free_port()
    log = (work / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "civicnet.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--timeout", "60"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {(work / 'gunicorn.log').read_text()[-2000:]}")
            try:
                if _get(port, "/robots.txt")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer within 120 s")
            time.sleep(0.3)
        yield {"port": port, "media": work / "media", "private": work / "private"}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def served(real_server, settings, transactional_db):
    """This test writes its files where the real server reads them."""
    settings.MEDIA_ROOT = real_server["media"]
    settings.PRIVATE_MEDIA_ROOT = real_server["private"]
    return real_server


def test_real_server_gives_anonymous_no_private_file_by_any_traversal_spelling(served):
    from tests.civicnet.factories import make_home_page

    files = make_private_files(make_home_page())
    for file in files:
        for path in traversal_paths(file):
            status, _, body = _get(served["port"], path)
            assert status in (400, 404), (file["kind"], path, status)
            assert file["marker"].encode() not in body, (file["kind"], path)
        if file["gated_url"]:
            status, _, body = _get(served["port"], file["gated_url"])
            assert status == 302 and file["marker"].encode() not in body


def test_real_server_sends_members_their_documents_and_everyone_profile_photos(served, client):
    from tests.civicnet.factories import make_home_page

    document = make_private_files(make_home_page())[0]
    reader = make_member(email="reader@example.org")
    profile = member_services.profile_update(user=reader, photo=image_upload())
    client.force_login(reader)

    status, head, body = _get(
        served["port"], document["gated_url"], client.cookies["sessionid"].value
    )
    assert status == 200 and document["marker"].encode() in body
    assert b"Cache-Control: private" in head

    status, head, body = _get(served["port"], f"/media/{profile.photo.name}")  # DEBUG=0
    assert status == 200
    assert body == (served["media"] / profile.photo.name).read_bytes()


def test_real_server_refuses_an_oversized_upload_before_reading_it(served):
    """Only the headers are sent: a server that waited for the declared 60 MB would never answer."""
    head = (
        "POST /account/profile/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {60 * 1024 * 1024}\r\n\r\n"
    )

    raw = _exchange(served["port"], head, timeout=20)

    assert raw.startswith(b"HTTP/1.1 413 ")
    assert b"That upload is too large: at most 3 MB can be sent here." in raw
    assert not any(served["media"].rglob("*.png"))


def test_real_server_refuses_an_oversized_chunked_upload_after_the_limit(served):
    """A chunked body declares no length: the server has to stop reading once it passes the
    3 MB limit. 4 MB is sent, then nothing more: a server that waited for the body's end
    would never answer. (Counting what the client could send before the answer is no measure:
    loopback's kernel buffers take megabytes the server has not read.)"""
    port = served["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(
            b"POST /account/profile/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        try:
            for _ in range(4 * 16):  # 4 MB
                sock.sendall(chunk)
        except OSError:  # the server closed its side after answering
            pass
        answered = bool(select.select([sock], [], [], 15)[0])
        raw = b""
        try:
            while part := sock.recv(65536):
                raw += part
        except ConnectionResetError:
            pass

    assert answered
    assert raw.startswith(b"HTTP/1.1 413 ")


def test_an_image_whose_file_is_missing_gets_a_broken_image_not_an_error(db):
    """Wagtail shows an image whose file is gone (a restore without media, a deleted file)
    through a stand-in rendition named "not-found" and asks for its URL: the admin's image
    listing and every page showing the image used to answer 500 (private names have no URL)."""
    from wagtail.images.shortcuts import get_rendition_or_not_found

    from tests.blog.factories import make_image

    image = make_image()
    image.file.storage.delete(image.file.name)

    rendition = get_rendition_or_not_found(image, "max-165x165")

    assert rendition.url == settings.MEDIA_URL + "not-found"
