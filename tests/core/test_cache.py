"""core.cache.FailSoftRedisCache answers as Django's RedisCache does, on public APIs only."""

import ast
import logging
import pickle
import sys
import time
import types
from pathlib import Path

import django.middleware.csrf as csrf
import pytest
import redis
from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import CsrfViewMiddleware

import core.cache
from core.cache import FailSoftRedisCache

PREFIX = "test-cache-backend"


@pytest.fixture
def backend():
    return FailSoftRedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": PREFIX})


@pytest.fixture
def djangos():
    """Django's own Redis backend on the same database and prefix."""
    return RedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": PREFIX})


def test_values_round_trip(backend):
    backend.set("page", (1, [("Content-Type", "text/html")], b"<html>", True))
    backend.set("count", 41)
    backend.set("flag", True)

    assert backend.get("page") == (1, [("Content-Type", "text/html")], b"<html>", True)
    assert backend.get("flag") is True
    assert backend.get("missing", "fallback") == "fallback"
    assert backend.incr("count") == 42
    assert backend.incr("count", 8) == 50
    assert backend.decr("count") == 49


def test_get_many_answers_only_the_keys_found(backend):
    backend.set_many({"a": 1, "b": "two"})

    assert backend.get_many(["a", "b", "c"]) == {"a": 1, "b": "two"}
    assert backend.get_many([]) == {}


def test_incr_of_a_missing_key_raises_as_djangos_does(backend, djangos):
    with pytest.raises(ValueError):
        backend.incr("nothing")
    with pytest.raises(ValueError):
        djangos.incr("nothing")


def test_add_only_adds_what_is_missing(backend):
    assert backend.add("lock", 1) is True
    assert backend.add("lock", 2) is False
    assert backend.get("lock") == 1
    assert backend.add("gone", 1, timeout=0) is True
    assert backend.has_key("gone") is False


def test_timeouts(backend):
    backend.set("forever", 1, timeout=None)
    backend.set("soon", 1, timeout=60)
    backend.set("never", 1, timeout=0)
    backend.set_many({"many": 1}, timeout=60)

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert client.ttl(backend.make_key("forever")) == -1
    assert 0 < client.ttl(backend.make_key("soon")) <= 60
    assert 0 < client.ttl(backend.make_key("many")) <= 60
    assert backend.has_key("never") is False
    assert backend.touch("soon", None) is True
    assert client.ttl(backend.make_key("soon")) == -1
    assert backend.touch("missing", 10) is False


def test_delete_and_clear(backend):
    backend.set_many({"a": 1, "b": 2, "c": 3})

    assert backend.delete("a") is True
    assert backend.delete("a") is False
    backend.delete_many(["b"])
    assert backend.get_many(["a", "b", "c"]) == {"c": 3}
    assert backend.clear() is True
    assert backend.get("c") is None


def test_what_djangos_backend_wrote_reads_back_and_the_other_way(backend, djangos):
    # A rolling deploy from Django's RedisCache keeps its cached values, and the reverse.
    djangos.set("theirs", {"pages": [1, 2]})
    djangos.set("their-count", 7)
    backend.set("ours", {"pages": [3]})
    backend.set("our-count", 8)

    assert backend.get_many(["theirs", "their-count"]) == {
        "theirs": {"pages": [1, 2]},
        "their-count": 7,
    }
    assert djangos.get_many(["ours", "our-count"]) == {"ours": {"pages": [3]}, "our-count": 8}
    assert djangos.incr("our-count") == 9


def pickle_of_a_moved_class() -> bytes:
    """An entry a release before wrote: an object of a class no longer where it was."""
    module = types.ModuleType("civicnet_release_before")
    moved = type("Moved", (), {"__module__": module.__name__})
    module.Moved = moved
    sys.modules[module.__name__] = module
    try:
        return pickle.dumps(((1, 2), moved()), pickle.HIGHEST_PROTOCOL)
    finally:
        del sys.modules[module.__name__]


def _redis():
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


def _store_raw(backend, key: str, data: bytes) -> None:
    _redis().set(backend.make_key(key), data)


def _is_stored(backend, key: str) -> bool:
    return bool(_redis().exists(backend.make_key(key)))


def test_an_entry_that_no_longer_loads_is_a_miss_and_is_dropped(backend, caplog):
    _store_raw(backend, "moved", pickle_of_a_moved_class())

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert backend.get("moved", "fallback") == "fallback"
        assert backend.get("moved", "fallback") == "fallback"
    assert not _is_stored(backend, "moved")
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # once: it is gone
    assert "moved" in caplog.text and "civicnet_release_before" in caplog.text
    assert backend.get_or_set("moved", "fresh") == "fresh"
    assert backend.get("moved") == "fresh"


def test_get_many_leaves_out_only_the_entries_that_no_longer_load(backend, caplog):
    backend.set_many({"a": 1, "b": {"pages": [1]}})
    _store_raw(backend, "moved", pickle_of_a_moved_class())
    _store_raw(backend, "garbled", b"\x80\x05not a pickle")

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        found = backend.get_many(["a", "moved", "b", "garbled", "missing"])

    assert found == {"a": 1, "b": {"pages": [1]}}
    assert not _is_stored(backend, "moved") and not _is_stored(backend, "garbled")
    assert _is_stored(backend, "a") and _is_stored(backend, "b")
    assert len(caplog.records) == 2


def test_one_redis_url_only():
    with pytest.raises(ImproperlyConfigured):
        FailSoftRedisCache("redis://127.0.0.1:6379/0,redis://127.0.0.1:6380/0", {})


def test_an_outage_answers_as_an_empty_cache(monkeypatch):
    monkeypatch.setattr(core.cache, "_paused_until", {})
    dead = FailSoftRedisCache("redis://127.0.0.1:1/0", {"RETRY_SECONDS": 60})

    assert dead.get("key", "fallback") == "fallback"
    assert dead.get_many(["a", "b"]) == {}
    assert dead.add("key", 1) is True
    assert dead.incr("key") is None
    assert dead.set_many({"a": 1}) == []
    assert dead.is_paused()
    assert core.cache._paused_until["redis://127.0.0.1:1/0"] > time.monotonic()


def _djangos_private_names() -> set[str]:
    """Names Django's cache and CSRF code keep to themselves: an upgrade may change them."""
    location = settings.CACHES["default"]["LOCATION"]
    owners = [
        csrf,
        CsrfViewMiddleware,
        BaseCache,
        RedisCache(location, {}),
        RedisCacheClient([location]),
    ]
    return {
        name
        for owner in owners
        for name in dir(owner)
        if name.startswith("_") and not name.startswith("__")
    }


@pytest.mark.parametrize(
    "module", ["core/cache.py", "core/page_cache.py", "core/context_processors.py"]
)
def test_the_page_cache_uses_no_private_name_of_djangos(module):
    tree = ast.parse((Path(settings.BASE_DIR) / module).read_text())
    private = _djangos_private_names()
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django"):
            used |= {alias.name for alias in node.names if alias.name.startswith("_")}
        if isinstance(node, ast.Attribute) and node.attr in private:
            used.add(node.attr)

    assert "_unmask_cipher_token" in private and "_cache" in private  # the check sees them
    assert not used
