"""Middleware every response passes through: bad input refused early, response headers
that hold for the whole site, and private caching for signed-in visitors."""

import re

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.template import loader
from django.utils.cache import patch_cache_control

# C0 controls and DEL. No browser puts them in a URL, and PostgreSQL cannot store NUL at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In a query string a form may carry tabs and line breaks (a textarea sent by GET).
_CONTROL_IN_QUERY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def bad_request(request, message: str):
    """A 400 page that says what was wrong, without the site layout (no session needed)."""
    body = loader.render_to_string("400.html", {"message": message})
    return HttpResponseBadRequest(body)


class RejectControlCharactersMiddleware:
    """Answer 400 to a request with control characters where none belong.

    One place for the whole class of fault: a NUL byte in a path or query parameter used to
    reach a database lookup and fail with a 500. Checked: the path, every query parameter
    name and value, cookies, and the fields of an urlencoded form post (NUL only: a text
    area may hold line breaks). Multipart form fields go through Django forms, whose
    CharField already refuses NUL; files may hold any byte.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request)
        if problem:
            return bad_request(request, problem)
        return self.get_response(request)

    @staticmethod
    def _problem(request) -> str:
        if _CONTROL.search(request.path_info):
            return "The address contains a control character (such as a NUL byte)."
        for key, values in request.GET.lists():
            if _CONTROL_IN_QUERY.search(key) or any(_CONTROL_IN_QUERY.search(v) for v in values):
                return "A search or filter value contains a control character (such as a NUL byte)."
        for key, value in request.COOKIES.items():
            if "\x00" in key or "\x00" in value:
                return "A cookie contains a NUL byte."
        if request.method == "POST" and request.content_type == FORM_CONTENT_TYPE:
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return "A form field contains a NUL byte."
        return ""


class PermissionsPolicyMiddleware:
    """Turn off the browser features the site never uses (camera, microphone, location,
    payment request…), so injected or embedded content cannot ask for them either."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.setdefault("Permissions-Policy", self.value)
        return response


class PrivateForSignedInMiddleware:
    """Every response to a signed-in visitor is `Cache-Control: private`.

    What a signed-in person sees is theirs (their name in the header, members-only text,
    their account): no shared cache, proxy or CDN may keep it. Directives a view already set
    stay (`no-store`, `no-cache`, `max-age`); `public` and `s-maxage` go.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "s-maxage" in response.get("Cache-Control", ""):
                directives = [
                    d
                    for d in response["Cache-Control"].split(",")
                    if not d.strip().lower().startswith("s-maxage")
                ]
                response["Cache-Control"] = ",".join(directives)
            patch_cache_control(response, private=True)
        return response
