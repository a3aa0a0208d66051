from django.core.exceptions import BadRequest

from .middleware import bad_request as render_bad_request


def bad_request(request, exception=None):
    """The site's handler400. A `BadRequest` raised by a view carries a message written for
    the visitor ("… must be a number"); other 400s (SuspiciousOperation and the like) may
    describe internals, so they get the general text."""
    message = str(exception) if type(exception) is BadRequest else ""
    return render_bad_request(request, message)
