"""hello-django: the baseline `make bench` compares every page with.

A view that touches no database and no template: the same ~30 KB of HTML on every request,
served by the same gunicorn settings and the same middleware as the site. Mounted at
/bench/hello/ only when BENCH_HELLO=1 (bench/run.py sets it); never in production URLs.
"""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache

_ROW = "<p>civicnet measures itself against this page: no database, no template.</p>\n"
PAGE = (
    "<!doctype html><html lang='en'><head><title>hello</title></head><body>\n"
    + _ROW * (30_000 // len(_ROW))
    + "</body></html>\n"
).encode()


@never_cache  # the page cache must not serve it: Django itself is what is measured
def hello(request):
    return HttpResponse(PAGE)
