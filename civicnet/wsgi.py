import gc
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

# What the imports and the warm-up made lives as long as the process: out of the garbage
# collector's sight from now on (gc.freeze), so a full collection in a worker scans only what
# requests made. Unfrozen, each full collection walked the site's 330,000 objects for 100-350 ms
# with every thread of the worker stopped: the slowest requests in `make bench` (issue 18).
# The forked workers also stop writing to the memory pages they share with the master.
gc.freeze()
