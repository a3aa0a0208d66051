"""Container healthcheck for a web replica: GET /healthz on its own gunicorn, exit 0 on 200.

Sends the Host and scheme of SITE_URL, so ALLOWED_HOSTS and the https redirect answer as
they do for visitors. Standard library only: it runs every few seconds.
"""

import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

site = urlsplit(os.environ.get("SITE_URL") or "http://localhost")
bind_host, port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)  # noqa: S104
host = "127.0.0.1" if bind_host == "0.0.0.0" else bind_host  # noqa: S104 (a comparison)
request = urllib.request.Request(
    f"http://{host}:{port}/healthz",
    headers={"Host": site.netloc, "X-Forwarded-Proto": site.scheme},
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (our own address)
        sys.exit(0 if response.status == 200 else 1)
except urllib.error.HTTPError as error:  # say why in `docker inspect`
    print(f"healthz answered {error.code}: {error.read()[:300]!r}", file=sys.stderr)
    sys.exit(1)
except Exception as error:  # any failure means "not healthy"
    print(f"healthz failed: {error}", file=sys.stderr)
    sys.exit(1)
