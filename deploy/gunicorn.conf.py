"""gunicorn settings for every deployment of civicnet (docker-compose.yml and the loopback
stack in scripts/loopback_stack.py). Knobs come from the environment:

  GUNICORN_BIND     where to listen (default 0.0.0.0:8000, a container's own address)
  WEB_CONCURRENCY   worker processes per replica (default 3)
  GUNICORN_THREADS  threads per worker (default 2)

gthread 3x2 served the most pages in `make bench` (see bench/run.py): it keeps the proxy's
connections alive, and one thread runs while another waits on Redis or PostgreSQL.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Several replicas on host networking share one port (docker-compose.loopback.yml with
# --scale web=N): the kernel spreads connections across them.
reuse_port = True
# Longer than nginx keeps an idle upstream connection (60 s), so gunicorn never closes one
# that nginx is about to reuse.
keepalive = 75
timeout = 60
graceful_timeout = 30
# The master imports the site and warms it up (civicnet/wsgi.py) once, then forks the
# workers: a worker starts ready, and so does each one recycled below, instead of paying the
# imports and the warm-up (seconds of CPU on a busy machine) while taking its share of
# requests. civicnet/wsgi.py closes the master's database and cache connections before the
# fork. A new release means restarting the container (as deploys do), not a HUP.
preload_app = True
# Recycle workers now and then so a slow leak never grows without bound; jitter keeps the
# workers of one replica from restarting together. Rarely: a recycled worker's threads empty
# their pool of connections and its page-local caches start cold (issue 18).
max_requests = 20000
max_requests_jitter = 2000
# No gunicornc control socket: nothing uses it, and its default path ($HOME) is read-only.
control_socket_disable = True
# The app logs one JSON line per request (civicnet.middleware.RequestLogMiddleware).
accesslog = None
errorlog = "-"
