"""core.throttle counts attempts per key in the shared cache, in clock or first-attempt windows."""

import time
import uuid
from types import SimpleNamespace

from core import throttle
from core.throttle import throttle_allow


def _attempt(key, **options):
    return throttle_allow(action="test", key=key, limit=1, seconds=3600, **options)


def test_clock_windows_reopen_at_the_boundary_for_every_key(monkeypatch):
    clock = SimpleNamespace(time=lambda: 7199.9)
    monkeypatch.setattr(throttle, "time", clock)
    key = uuid.uuid4().hex
    assert _attempt(key)
    assert not _attempt(key)
    clock.time = lambda: 7200.1
    assert _attempt(key)


def test_a_window_from_the_first_attempt_does_not_reopen_at_the_clock_boundary(monkeypatch):
    clock = SimpleNamespace(time=lambda: 7199.9)
    monkeypatch.setattr(throttle, "time", clock)
    key = uuid.uuid4().hex
    assert _attempt(key, window_from_first_attempt=True)
    clock.time = lambda: 7200.1
    assert not _attempt(key, window_from_first_attempt=True)


def test_a_window_from_the_first_attempt_reopens_when_it_has_lasted_its_seconds():
    key = uuid.uuid4().hex

    def attempt():
        return throttle_allow(
            action="test", key=key, limit=2, seconds=1, window_from_first_attempt=True
        )

    assert [attempt(), attempt(), attempt()] == [True, True, False]
    time.sleep(1.2)
    assert attempt()
