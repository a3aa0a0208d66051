"""Newsletter delivery benchmark: 100,000 recipients through a loopback SMTP sink.

    uv run python bench/newsletter.py [--recipients 100000] [--workers 4]

Uses its own PostgreSQL database (BENCH_NEWSLETTER_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/civicnet_bench_newsletter), dropped and rebuilt each run.
It builds the deliveries the way a send does (streamed, in batches), then runs the batch
service in `--workers` processes, each claiming rows with FOR UPDATE SKIP LOCKED, rendering
and handing every message to an SMTP sink in another process. Prints emails/s (target >= 500)
and the peak memory of the busiest process (target < 300 MB).
"""

import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicnet_bench_newsletter"
TARGET_RATE, TARGET_MB = 500, 300


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sink(port_value, count_value, stop_event):
    from tests.newsletter.smtp_sink import SMTPSink

    class CountingSink(SMTPSink):
        def record(self, recipients, data):
            with count_value.get_lock():
                count_value.value += 1

    sink = CountingSink(keep_messages=False).start()
    port_value.value = sink.port
    stop_event.wait()
    sink.stop()


def setup_django(database_url: str, email_url: str):
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "EMAIL_URL": email_url,
            "DJANGO_SETTINGS_MODULE": "civicnet.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def add_subscribers(count: int) -> None:
    """`count` subscribed readers in one INSERT ... SELECT, its columns taken from the model:
    a field added later gets its default (or stops the run, naming the field) instead of a
    NULL the database refuses."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    from newsletter.models import Subscriber

    own = {  # what makes each row a distinct, confirmed reader
        "email": ("'reader' || n || '@bench.example'", []),
        "status": ("%s", [Subscriber.Status.SUBSCRIBED]),
        "created_at": ("now()", []),
    }
    columns, values, params = [], [], []
    for field in Subscriber._meta.concrete_fields:
        if field.name in own:
            value, value_params = own[field.name]
        elif field.primary_key or field.null or field.db_default is not NOT_PROVIDED:
            continue  # the database fills it in
        elif (default := field.get_default()) is not None:
            value, value_params = "%s", [field.get_db_prep_save(default, connection)]
        else:
            raise SystemExit(f"Subscriber.{field.name} has no default: say what a reader has.")
        columns.append(connection.ops.quote_name(field.column))
        values.append(value)
        params += value_params
    table = connection.ops.quote_name(Subscriber._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)}"  # noqa: S608 (names from the model)
            " FROM generate_series(1, %s) AS n",
            [*params, count],
        )


def send_worker(database_url, email_url, edition_id, ranges, result_queue):
    setup_django(database_url, email_url)
    from newsletter import services

    sent = 0
    for low, high in ranges:
        sent += services.deliveries_send_batch(edition_id=edition_id, low=low, high=high)["sent"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result_queue.put((sent, peak_mb(), usage.ru_utime + usage.ru_stime))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4, help="sending processes")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_NEWSLETTER_DATABASE_URL", DEFAULT_DB)

    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    ctx = multiprocessing.get_context("spawn")
    port, count, stop = ctx.Value("i", 0), ctx.Value("q", 0), ctx.Event()
    sink = ctx.Process(target=run_sink, args=(port, count, stop), daemon=True)
    sink.start()
    while not port.value:
        time.sleep(0.05)
    email_url = f"smtp://127.0.0.1:{port.value}"
    setup_django(database_url, email_url)

    from django.core.management import call_command
    from django.db import connection

    from newsletter import services
    from newsletter.models import Subscriber
    from newsletter.services import deliveries
    from tests.newsletter.factories import make_edition

    print(f"Migrating {name} ...", flush=True)
    call_command("migrate", verbosity=0)
    print(f"Adding {args.recipients:,} subscribers ...", flush=True)
    add_subscribers(args.recipients)
    edition = make_edition(subject="Benchmark edition")
    ranges = []
    deliveries._enqueue_batch = lambda edition_id, low, high: ranges.append((low, high))
    services.edition_send(edition=edition)
    started = time.perf_counter()
    services.deliveries_prepare(edition_id=edition.pk)
    prepared = time.perf_counter() - started
    print(f"Deliveries built in {prepared:.1f} s ({len(ranges)} batches)", flush=True)
    connection.close()

    results = ctx.Queue()
    shares = [ranges[i :: args.workers] for i in range(args.workers)]
    workers = [
        ctx.Process(target=send_worker, args=(database_url, email_url, edition.pk, share, results))
        for share in shares
    ]
    started = time.perf_counter()
    for process in workers:
        process.start()
    outcomes = [results.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for process in workers:
        process.join()
    stop.set()
    sink.join(5)

    edition.refresh_from_db()
    sent = sum(outcome[0] for outcome in outcomes)
    worker_cpu = sum(outcome[2] for outcome in outcomes)
    rate = sent / elapsed
    memory = max([peak_mb(), *(outcome[1] for outcome in outcomes)])
    print(f"Sent {sent:,} emails in {elapsed:.1f} s with {args.workers} worker process(es)")
    print(f"Sink received {count.value:,}; edition status: {edition.status}")
    print(f"Throughput: {rate:,.0f} emails/s (target >= {TARGET_RATE})")
    print(f"Sending processes' CPU: {worker_cpu / max(sent, 1) * 1000:.2f} ms per email")
    print(f"Peak memory: {memory:.0f} MB in the busiest process (target < {TARGET_MB})")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Load average during the run: {load} on {os.cpu_count()} cores (others' work skews it)")
    ok = (
        rate >= TARGET_RATE
        and memory < TARGET_MB
        and count.value == sent == Subscriber.objects.count()
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
