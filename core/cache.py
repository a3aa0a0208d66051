"""A Redis cache backend that degrades to "nothing is cached" when Redis is unreachable.

The cache Redis may be lost at any time (ARCHITECTURE: it degrades speed, never
correctness), yet Django's own backend raises on every call while it is down, so every page
that touches the cache (the page cache, rate limits, counters) answered 500. Here a failed
call is logged once, answers like an empty cache (`get` gives the default, `set` does
nothing, `incr` gives None) and the process stops trying for `RETRY_SECONDS`, so a dead
Redis costs no connect attempt per request. Combined with short socket timeouts
(`OPTIONS`), a hung Redis costs at most one timeout per process per `RETRY_SECONDS`.

Errors that say Redis answered (a wrong type, out of memory) are not outages: they are
logged and the call degrades the same way, without pausing the cache.
"""

import functools
import logging
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache

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


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache that answers as an empty cache while Redis is unreachable.

    Extra setting next to OPTIONS: `RETRY_SECONDS` (default 2), how long this process
    leaves a Redis it found unreachable alone.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._retry_seconds = float(params.get("RETRY_SECONDS", 2))

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

    # --- every call of the public API degrades the same way ------------------------------
    # True, as an empty cache would answer: code that uses add() as a lock or a "first
    # time?" test (allauth's rate limits) then carries on instead of waiting and refusing.
    # Rate limits therefore fail open while the cache is down.
    add = _degrade(True)(RedisCache.add)
    set = _degrade(None)(RedisCache.set)
    touch = _degrade(False)(RedisCache.touch)
    delete = _degrade(False)(RedisCache.delete)
    get_many = _degrade(dict)(RedisCache.get_many)
    has_key = _degrade(False)(RedisCache.has_key)
    set_many = _degrade(list)(RedisCache.set_many)
    delete_many = _degrade(None)(RedisCache.delete_many)
    clear = _degrade(False)(RedisCache.clear)
    # None rather than an exception: callers that count (rate limits, the page cache's
    # generation) see "unknown" and carry on.
    incr = _degrade(None)(RedisCache.incr)

    def get(self, key, default=None, version=None):
        # The caller's default must come back on an outage too, not a fixed one.
        value = self._get_or_none(key, version=version)
        return default if value is None else value

    @_degrade(None)
    def _get_or_none(self, key, version=None):
        return RedisCache.get(self, key, None, version=version)


def cache_is_paused(backend) -> bool:
    """True while `backend` is a FailSoftRedisCache that found its Redis unreachable."""
    return isinstance(backend, FailSoftRedisCache) and backend.is_paused()
