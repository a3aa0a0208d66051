"""The network dashboard alone: CPU time and queries of a render from the cache and of one that
works the figures out afresh, signed in as the demo staff person.

    DATABASE_URL=postgres://.../civicnet_bench REDIS_URL=redis://... STATIC_ROOT=... \\
        uv run python bench/dashboard.py [--runs 20] [/admin/reports/network/?days=365 ...]

Needs what bench/profile_pages.py needs (the demo content, collectstatic's output) and
PostgreSQL (the data version is a sequence). CPU time of this process, not wall-clock time: a
busy machine disturbs it least. "Afresh" moves the data version on before each render, as any
write to the figures' tables does.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_pages import _sign_in_staff  # noqa: E402 (sets up the environment first)

PATHS = ["/admin/reports/network/?days=365", "/admin/reports/network/?days=30", "/admin/"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=PATHS)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from civicnet.dashboard import DATA_VERSION_SEQUENCE
    from members.demo import STAFF_EMAIL

    client = Client(headers={"X-Forwarded-Proto": "https"}, secure=True)
    _sign_in_staff(client, get_user_model().objects.get(email=STAFF_EMAIL))

    def data_changed():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [DATA_VERSION_SEQUENCE])

    for path in args.paths:
        assert client.get(path).status_code == 200, path
        for label, before in (("from the cache", lambda: None), ("afresh", data_changed)):
            cpu, queries = 0.0, []

            def note(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            for _ in range(args.runs):
                before()
                queries.clear()
                started = time.process_time()
                with connection.execute_wrapper(note):
                    client.get(path)
                cpu += time.process_time() - started
            print(
                f"{path} {label}: {cpu * 1000 / args.runs:.1f} ms of CPU a render, "
                f"{len(queries)} queries"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
