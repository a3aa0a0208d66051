"""Where uploaded files live, and how a view that has checked access hands a private one out.

Two roots, neither inside the other:

- MEDIA_ROOT holds public uploads only: the folders in PUBLIC_MEDIA_FOLDERS (Wagtail's
  original images and renditions, profile photos, admin avatars). It is served at /media/
  (by the front proxy, or by `public_media_serve` when nothing is in front).
- PRIVATE_MEDIA_ROOT holds everything else: Wagtail documents, challenge attachments, City
  Vitals import uploads. No URL maps onto it. A gated view streams a file from it with
  `private_file_response`, or hands it to nginx with X-Accel-Redirect.

The default storage (`MediaStorage`) decides by the first folder of a file's name, and fails
closed: a new upload folder is private until it is added to PUBLIC_MEDIA_FOLDERS. That is how
Wagtail's own Document model, whose file field always uses the default storage, stays private.
"""

import mimetypes
import posixpath
import shutil
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.views.static import serve

PUBLIC_MEDIA_FOLDERS = frozenset({"original_images", "images", "profiles", "avatar_images"})
# wagtail.images.shortcuts names the rendition of an image whose source file is missing so.
WAGTAIL_MISSING_IMAGE = "not-found"
# A private file opened inline (HTML, SVG, PDF) must not run script or load anything.
FILE_CSP = "default-src 'none'"


def is_public_name(name: str) -> bool:
    """Whether a storage name belongs under MEDIA_ROOT (its first folder is a public one)."""
    normal = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    return normal.split("/", 1)[0] in PUBLIC_MEDIA_FOLDERS


@deconstructible(path="core.files.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT. They have no URL: ask `private_file_response`."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        # NotImplementedError is the Storage API's "no URL" (Wagtail catches it).
        raise NotImplementedError("Private files have no URL; serve them from a gated view.")


@deconstructible(path="core.files.MediaStorage")
class MediaStorage(FileSystemStorage):
    """The default storage: public folders under MEDIA_ROOT, every other name private."""

    def path(self, name):
        if is_public_name(name):
            return super().path(name)
        return private_storage().path(name)

    def _save(self, name, content):
        # FileSystemStorage names a saved file relative to its own root: let the owner save.
        if is_public_name(name):
            return super()._save(name, content)
        return private_storage()._save(name, content)

    def url(self, name):
        # Wagtail names the stand-in for an image whose file is missing "not-found" and asks
        # for its URL: a broken image (404 at /media/), not an error page.
        if is_public_name(name) or name == WAGTAIL_MISSING_IMAGE:
            return super().url(name)
        raise NotImplementedError("Private files have no URL; serve them from a gated view.")


def private_storage() -> PrivateStorage:
    """The private storage (STORAGES["private"]); callable, so a FileField can name it."""
    return storages["private"]


def private_file_response(
    request, name: str, *, filename: str, as_attachment: bool = True
) -> HttpResponse:
    """Hand out the private file `name` (relative to PRIVATE_MEDIA_ROOT) to someone the calling
    view has already let through. Streams it, or, with PRIVATE_FILES_ACCEL_PREFIX set, answers
    with an empty body and X-Accel-Redirect so that nginx sends it from its internal location.
    """
    storage = private_storage()
    try:
        path = Path(storage.path(name))
        found = path.is_file()
    except (SuspiciousFileOperation, ValueError, OSError):
        found = False
    if not found:
        raise Http404("This file is no longer available.")
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    prefix = settings.PRIVATE_FILES_ACCEL_PREFIX
    if prefix:
        relative = path.relative_to(Path(storage.location)).as_posix()
        response = HttpResponse(content_type=content_type)
        # nginx decodes the percent-encoding; quoting keeps "?", "%" and spaces literal.
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative)
        response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    else:
        response = FileResponse(
            path.open("rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    patch_cache_control(response, private=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


def public_media_serve(request, path: str):
    """/media/<path> from MEDIA_ROOT, for when no front proxy serves it: public folders only,
    and only plain paths (no "..", ".", "//", backslash or NUL in any spelling)."""
    if (
        not path
        or "\x00" in path
        or "\\" in path
        or path.startswith("/")
        or posixpath.normpath(path) != path
        or not is_public_name(path)
    ):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


def private_files_move_from_media(stdout=None) -> int:
    """Move every non-public top-level folder of MEDIA_ROOT into PRIVATE_MEDIA_ROOT, keeping
    the names the database holds. Safe to run again; returns how many files moved."""
    media = Path(settings.MEDIA_ROOT)
    private = Path(settings.PRIVATE_MEDIA_ROOT)
    if not media.is_dir():
        return 0
    moved = 0
    for folder in sorted(media.iterdir()):
        if folder.name in PUBLIC_MEDIA_FOLDERS or not folder.is_dir():
            continue
        for source in sorted(p for p in folder.rglob("*") if p.is_file()):
            target = private / source.relative_to(media)
            if target.exists():
                # Already moved once and copied back (e.g. from a backup): keep the private copy.
                source.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
            moved += 1
        shutil.rmtree(folder, ignore_errors=True)
    if stdout is not None and moved:
        stdout.write(f"Moved {moved} private file(s) from {media} to {private}.\n")
    return moved
