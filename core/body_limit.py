"""Refuse oversized request bodies before they are read.

Django reads a body only when something asks for request.POST, FILES or body (CSRF does, in
process_view). This middleware runs before that, so a body over its limit is answered with a
413 page while it is still unread on the socket: nothing is spooled to disk or memory.

Every request may send REQUEST_BODY_MAX_BYTES. A signed-in person may send more to an upload
view: one decorated with `request_body_limit`, or in a namespace listed in
REQUEST_BODY_MAX_BYTES_BY_NAMESPACE (Wagtail's admin uploads).

A chunked body has no Content-Length. A server that decodes chunking for the application
(gunicorn sets wsgi.input_terminated) gives it to us: we read at most the limit plus one byte
and refuse the rest. Other servers hand Django no chunked body at all, so we answer 411.
Under ASGI Django buffers the whole body before any middleware runs: the site is served over
WSGI (gunicorn), and the front proxy's client_max_body_size caps bodies too.
"""

from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.shortcuts import render
from django.urls import Resolver404, resolve

READ_CHUNK = 64 * 1024


def request_body_limit(max_bytes: int):
    """Let a view receive bodies up to max_bytes from signed-in people (its uploads)."""

    def decorator(view):
        view.request_body_max_bytes = max_bytes
        return view

    return decorator


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request):
        meta = request.META
        declared = meta.get("CONTENT_LENGTH", "")
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return _page(request, 400, "The request's Content-Length is not a size.")
            if length <= settings.REQUEST_BODY_MAX_BYTES:
                return None
            limit = self.limit_for(request)
            return _too_large(request, limit) if length > limit else None
        if not chunked:
            return None
        limit = self.limit_for(request)
        if not meta.get("wsgi.input_terminated"):
            return _page(
                request,
                411,
                "This server needs a Content-Length with the request's body. "
                "Send the file again from the site's form.",
            )
        # Not a context manager: it becomes the request's body (an anonymous file, removed
        # when the request is gone).
        body = SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        while body.tell() <= limit:
            chunk = meta["wsgi.input"].read(min(READ_CHUNK, limit + 1 - body.tell()))
            if not chunk:
                break
            body.write(chunk)
        if body.tell() > limit:
            return _too_large(request, limit)
        # Hand Django the body as if it had come with a Content-Length.
        size = body.tell()
        body.seek(0)
        meta["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(body, size)
        return None

    @staticmethod
    def limit_for(request) -> int:
        """The largest body this request may send (only resolved for large bodies)."""
        base = settings.REQUEST_BODY_MAX_BYTES
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return base
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return base
        allowed = getattr(match.func, "request_body_max_bytes", None)
        if allowed is None:
            allowed = settings.REQUEST_BODY_MAX_BYTES_BY_NAMESPACE.get(match.namespace, base)
        return max(base, allowed)


def _too_large(request, limit: int):
    megabytes = limit / (1024 * 1024)
    size = f"{megabytes:.0f} MB" if megabytes >= 1 else f"{limit // 1024} KB"
    return _page(
        request,
        413,
        f"That upload is too large: at most {size} can be sent here. "
        "Make the file smaller (or send fewer files at once) and try again.",
    )


def _page(request, status: int, message: str):
    titles = {400: "Bad request", 411: "Length required", 413: "Upload too large"}
    return render(
        request,
        "request_refused.html",
        {"status": status, "title": titles[status], "message": message},
        status=status,
    )
