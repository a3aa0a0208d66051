"""Where a page's time goes: render pages in-process under cProfile and print the top lines.

    DATABASE_URL=postgres://.../civicnet_bench REDIS_URL=redis://... \\
        uv run python bench/profile_pages.py [--member] [--runs 20] /path/ [/other/ ...]

Runs with DEBUG=0 and the page cache off against a database with the demo content (keep the
bench's with BENCH_KEEP_DB=1) and STATIC_ROOT holding collectstatic's output. Prints, per path, the queries of one render and the functions
with the most cumulative and own time over --runs renders. --member signs in the demo member.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")
os.environ.update(
    DEBUG="0",
    SECRET_KEY=os.environ.get("SECRET_KEY", "profile-" + "x" * 50),
    ALLOWED_HOSTS="testserver",
    PAGE_CACHE_SECONDS="0",
    LOG_LEVEL="WARNING",
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--member", action="store_true")
    parser.add_argument(
        "--staff", action="store_true", help="sign in the demo staff person (second factor done)"
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lines", type=int, default=25)
    parser.add_argument("--queries", action="store_true", help="print each query's SQL")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from members.demo import MEMBER_EMAIL, STAFF_EMAIL

    client = Client(headers={"X-Forwarded-Proto": "https"}, secure=True)
    if args.member:
        client.force_login(get_user_model().objects.get(email=MEMBER_EMAIL))
    if args.staff:
        _sign_in_staff(client, get_user_model().objects.get(email=STAFF_EMAIL))
    for path in args.paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries = []

        def note(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        # (CaptureQueriesContext would miss them: each request resets connection.queries.)
        with connection.execute_wrapper(note):
            client.get(path)
        # CPU time of this process without the profiler's own cost: what a render costs.
        cpu_started = time.process_time()
        for _ in range(args.runs):
            client.get(path)
        plain_cpu_ms = (time.process_time() - cpu_started) * 1000 / args.runs
        profile = cProfile.Profile()
        started, cpu_started = time.perf_counter(), time.process_time()
        profile.enable()
        for _ in range(args.runs):
            client.get(path)
        profile.disable()
        ms = (time.perf_counter() - started) * 1000 / args.runs
        # CPU time of this process: what other work on a busy machine disturbs least.
        cpu_ms = (time.process_time() - cpu_started) * 1000 / args.runs
        print(
            f"\n=== {path}: {plain_cpu_ms:.1f} ms of CPU a render ({cpu_ms:.1f} under the profiler, "
            f"{ms:.1f} ms wall), "
            f"{len(queries)} queries"
        )
        if args.queries:
            for sql in queries:
                print("   ", sql[:300])
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
            stats.print_stats(args.lines)
            print(f"--- by {order} time")
            print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


def _sign_in_staff(client, staff) -> None:
    """A session as allauth leaves it after a password and an authenticator code."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not staff.authenticator_set.filter(type="totp").exists():
        TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": staff.email},
        {"method": "mfa", "at": now, "id": 1, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()


if __name__ == "__main__":
    sys.exit(main())
