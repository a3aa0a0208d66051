"""Say in one line, not a traceback, when PostgreSQL or Redis is not reachable for the tests."""

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis


def main() -> int:
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    db = urlsplit(database_url)
    try:
        psycopg.connect(
            host=db.hostname,
            port=db.port or 5432,
            user=db.username or "postgres",
            password=db.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0]
        print(
            f"PostgreSQL is not reachable at {db.hostname}:{db.port or 5432} ({first_line}). "
            "Start it, or set DATABASE_URL.",
            file=sys.stderr,
        )
        return 1
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        print(
            f"Redis is not reachable at {redis_url} ({error}). Start it, or set REDIS_URL.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
