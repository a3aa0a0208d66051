import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")
application = get_wsgi_application()

# Each worker pays its one-off costs here, at start, instead of on its first visitor.
from civicnet.warmup import warm_up  # noqa: E402  (needs the settings set up above)

warm_up()
