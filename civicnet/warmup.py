"""What a web process does once at start so that its first visitor does not wait for it.

Without it the first request each worker serves imports every app's views (through the
URLconf), builds the URL resolver and compiles the site's templates: over a second of CPU
on a small machine. gunicorn runs it once, in its master (preload_app in
deploy/gunicorn.conf.py), and every worker it forks, recycled ones too, starts warm."""

import contextlib
import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_resolver, reverse

logger = logging.getLogger(__name__)


def warm_up() -> None:
    resolver = get_resolver()  # its reverse_dict imports every view module
    # Reversing each argument-free name compiles the patterns the navigation reverses.
    names = [name for name in resolver.reverse_dict if isinstance(name, str)]
    for namespace, (_, sub_resolver) in resolver.namespace_dict.items():
        names += [f"{namespace}:{n}" for n in sub_resolver.reverse_dict if isinstance(n, str)]
    for name in names:
        with contextlib.suppress(NoReverseMatch):
            reverse(name)
    # The cached template loader keeps each compiled template: compile the site's own now.
    root = Path(settings.BASE_DIR) / "templates"
    for path in root.rglob("*.html"):
        try:
            get_template(str(path.relative_to(root)))
        except (TemplateDoesNotExist, TemplateSyntaxError):  # an email part, an odd include
            logger.debug("warm-up skipped %s", path)
