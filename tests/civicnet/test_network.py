"""The suite may talk to loopback services only: nothing can come to depend on the internet."""

import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from pytest_socket import SocketConnectBlockedError


def test_outbound_connections_beyond_loopback_are_blocked():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.10", 80), timeout=1)  # TEST-NET-1, never routed


def test_loopback_services_stay_reachable():
    redis = urlsplit(settings.REDIS_URL)  # this run's own Redis, not a fixed port
    assert redis.hostname in {"127.0.0.1", "localhost"}
    with socket.create_connection((redis.hostname, redis.port or 6379), timeout=1) as connection:
        connection.sendall(b"PING\r\n")
        assert connection.recv(16).startswith(b"+PONG")
