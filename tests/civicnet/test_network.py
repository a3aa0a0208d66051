"""The suite may talk to loopback services only: nothing can come to depend on the internet."""

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_outbound_connections_beyond_loopback_are_blocked():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.10", 80), timeout=1)  # TEST-NET-1, never routed


def test_loopback_services_stay_reachable():
    with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
        connection.sendall(b"PING\r\n")
        assert connection.recv(16).startswith(b"+PONG")
