"""A web process warms up at start (civicnet.wsgi): its first visitor does not pay for
importing the views, building the URL resolver or compiling the templates."""

import subprocess
import sys

from django.template import engines

from civicnet.warmup import warm_up


def test_warm_up_compiles_the_site_templates_and_builds_the_url_resolver():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()

    warm_up()

    assert "base.html" in loader.get_template_cache
    assert "blog/blog_page.html" in loader.get_template_cache
    assert "members.views" in sys.modules


def test_pdf_rendering_is_imported_with_the_first_pdf_not_with_the_site():
    # A fresh process: this one may have made a PDF already.
    code = (
        "import sys, django; django.setup(); from civicnet.warmup import warm_up; warm_up(); "
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert result.stdout.strip().splitlines()[-1] == "False"


def test_what_the_web_process_loads_at_start_is_out_of_the_collector_s_sight():
    """A full garbage collection in a worker would otherwise walk every object of the site
    (hundreds of milliseconds with the worker's threads stopped: issue 18's slowest requests)."""
    code = "import gc, civicnet.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    frozen, tracked = map(int, result.stdout.strip().splitlines()[-1].split())
    assert frozen > 100_000
    assert tracked < frozen / 10
