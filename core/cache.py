"""A Redis cache backend that degrades to "nothing is cached" when Redis is unreachable.

The cache Redis may be lost at any time (ARCHITECTURE: it degrades speed, never
correctness), yet Django's own Redis backend raises on every call while it is down, so every
page that touches the cache (the page cache, rate limits, counters) answered 500. Here a
failed call is logged once, answers like an empty cache (`get` gives the default, `set` does
nothing, `incr` gives None) and the process stops trying for `RETRY_SECONDS`, so a dead
Redis costs no connect attempt per request. Combined with short socket timeouts
(`OPTIONS`), a hung Redis costs at most one timeout per process per `RETRY_SECONDS`.

Errors that say Redis answered (a wrong type, out of memory) are not outages: they are
logged and the call degrades the same way, without pausing the cache.

An entry that no longer unpickles (it holds an object of a class a release renamed or moved:
a kept fragment, a cached page) is a miss too, for every caller: logged, deleted and left out.
"""

import functools
import logging
import pickle
import re
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# location -> time.monotonic() before which nobody in this process tries that Redis again.
# Module level: Django builds one backend object per thread, the outage is per server.
_paused_until: dict[str, float] = {}
_lock = threading.Lock()


def _degrade(default):
    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self.is_paused():
                return default() if callable(default) else default
            try:
                result = method(self, *args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                self._pause(error)
                return default() if callable(default) else default
            except redis.RedisError:
                logger.exception("Cache call %s failed; answering as a cache miss", method.__name__)
                return default() if callable(default) else default
            if self._location in _paused_until:
                self._resume()
            return result

        return wrapper

    return decorator


class FailSoftRedisCache(BaseCache):
    """A Redis cache that answers as an empty cache while Redis is unreachable.

    LOCATION is one Redis URL; OPTIONS go to redis-py's connection pool (socket timeouts).
    Extra setting next to OPTIONS: `RETRY_SECONDS` (default 2), how long this process
    leaves a Redis it found unreachable alone.

    Built on BaseCache and redis-py's public API rather than on Django's RedisCache, whose
    only ways to a client or its serializer are private. Django's backend also builds a new
    redis.Redis object for every call: about 60 µs of CPU, a quarter of a page-cache hit
    (core.page_cache). Here each backend object (Django makes one per thread) keeps its
    client. Values are stored as Django's RedisCache stores them (integers as they are, so
    INCR works on them; everything else pickled), and each call does what that backend's
    does, in as many round trips.
    """

    def __init__(self, server, params):
        super().__init__(params)
        if not isinstance(server, str) or re.search("[;,]", server):
            raise ImproperlyConfigured(f"{type(self).__name__} takes one Redis URL as LOCATION")
        self._location = server
        self._retry_seconds = float(params.get("RETRY_SECONDS", 2))
        self._connection_options = params.get("OPTIONS", {})

    @functools.cached_property
    def _redis(self):
        return redis.Redis.from_url(self._location, **self._connection_options)

    # --- the outage switch ---------------------------------------------------------------
    def is_paused(self) -> bool:
        until = _paused_until.get(self._location)
        return until is not None and time.monotonic() < until

    def _pause(self, error) -> None:
        with _lock:
            first = self._location not in _paused_until
            _paused_until[self._location] = time.monotonic() + self._retry_seconds
        if first:
            logger.warning("Cache Redis unreachable (%s): serving without the cache", error)

    def _resume(self) -> None:
        with _lock:
            if _paused_until.pop(self._location, None) is not None:
                logger.warning("Cache Redis reachable again")

    # --- the cache API; every call degrades as an empty cache would answer ---------------
    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        """Seconds for Redis' EX: None keeps the key for ever, 0 deletes it."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, int(timeout))

    # True, as an empty cache would answer: code that uses add() as a lock or a "first
    # time?" test (allauth's rate limits) then carries on instead of waiting and refusing.
    # Rate limits therefore fail open while the cache is down.
    @_degrade(True)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:  # added and expired at once, as Django's backend does it
            added = bool(self._redis.set(key, _dumps(value), nx=True))
            if added:
                self._redis.delete(key)
            return added
        return bool(self._redis.set(key, _dumps(value), ex=timeout, nx=True))

    def get(self, key, default=None, version=None):
        # The caller's default must come back on an outage too, not a fixed one.
        value = self._get_or_none(key, version=version)
        return default if value is None else value

    @_degrade(None)
    def _get_or_none(self, key, version=None):
        name = self.make_and_validate_key(key, version=version)
        return self._loaded({name: self._redis.get(name)}).get(name)

    @_degrade(None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            self._redis.delete(key)
        else:
            self._redis.set(key, _dumps(value), ex=timeout)

    @_degrade(False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            return bool(self._redis.persist(key))
        return bool(self._redis.expire(key, timeout))

    @_degrade(False)
    def delete(self, key, version=None):
        return bool(self._redis.delete(self.make_and_validate_key(key, version=version)))

    @_degrade(dict)
    def get_many(self, keys, version=None):
        """The values found, in one round trip (MGET)."""
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        found = self._loaded(dict(zip(names, self._redis.mget(list(names)), strict=True)))
        return {names[name]: value for name, value in found.items()}

    def _loaded(self, stored: dict) -> dict:
        """The values of the entries found (stored: Redis key -> bytes or None), by key.

        An entry that no longer loads (it holds an object of a class a release has renamed,
        moved or changed) is a miss: logged, left out, and deleted, so that nobody reads (and
        logs) it again before it is written afresh."""
        values, broken = {}, []
        for name, data in stored.items():
            if data is None:
                continue
            try:
                values[name] = _loads(data)
            except Exception as error:  # unpickling may raise anything a class's code raises
                logger.warning(
                    "Cache entry %s does not load (%r): answering as a miss", name, error
                )
                broken.append(name)
        if broken:
            self._redis.delete(*broken)
        return values

    @_degrade(False)
    def has_key(self, key, version=None):
        return bool(self._redis.exists(self.make_and_validate_key(key, version=version)))

    # None rather than an exception: callers that count (rate limits, the page cache's
    # generation) see "unknown" and carry on. A missing key raises ValueError, as in Django.
    @_degrade(None)
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        if not self._redis.exists(key):
            raise ValueError(f"Key '{key}' not found.")
        return self._redis.incr(key, delta)

    @_degrade(list)
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        timeout = self.get_backend_timeout(timeout)
        values = {
            self.make_and_validate_key(key, version=version): _dumps(value)
            for key, value in data.items()
        }
        pipeline = self._redis.pipeline()
        pipeline.mset(values)
        if timeout is not None:  # MSET takes no expiry; 0 expires them at once
            for key in values:
                pipeline.expire(key, timeout)
        pipeline.execute()
        return []

    @_degrade(None)
    def delete_many(self, keys, version=None):
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        if names:
            self._redis.delete(*names)

    @_degrade(False)
    def clear(self):
        return bool(self._redis.flushdb())


def _dumps(value):
    # type(), not isinstance(): True stays a pickled bool rather than becoming 1.
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data):
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)  # noqa: S301 (our own cache, written by _dumps)


def cache_is_paused(backend) -> bool:
    """True while `backend` is a FailSoftRedisCache that found its Redis unreachable."""
    return isinstance(backend, FailSoftRedisCache) and backend.is_paused()
