import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")
application = get_wsgi_application()

# The web process pays its one-off costs here, at start, instead of its first visitor.
from civicnet.warmup import warm_up  # noqa: E402  (needs the settings set up above)

warm_up()

# gunicorn preloads this module in its master (deploy/gunicorn.conf.py) and forks the workers
# from it: none of them may inherit a connection the warm-up opened, or two processes would
# talk over one socket.
from django.core.cache import caches  # noqa: E402
from django.db import connections  # noqa: E402

connections.close_all()
caches.close_all()
