"""A real server on loopback: anonymous and slow clients get bounded work (issue 10.2).

Raw sockets stand for the hostile clients: they declare a body and send only part of it, or
send headers a byte at a time, and never finish. The server must answer others meanwhile,
refuse anonymous bodies before reading them, and cut slow senders off.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.http.app import IN_FLIGHT, create_app
from tests.api.env import SECRET, Env, build_env
from tests.browser.conftest import serving

#: How long a test waits for an answer that must come; far above what a healthy server needs.
PATIENCE = 15


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Env]]:
    env = build_env(Path(tmp_path_factory.mktemp("limits")), subjects=20)
    settings = Settings(database_url=env.database_url, secret_key=SECRET, body_timeout=2, header_timeout=2)
    env = replace(env, app=create_app(settings, db=env.db))
    with serving(env) as base:
        yield int(base.rsplit(":", 1)[1]), env


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def _start_body(port: int, path: str, declared: int, sent: bytes, headers: str = "") -> socket.socket:
    s = _connect(port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n{headers}\r\n"
    )
    s.sendall(head.encode() + sent)
    return s


def _status(s: socket.socket) -> int:
    """The status of the answer on `s` (the test fails if none comes within PATIENCE)."""
    first = s.recv(65536).split(b"\r\n", 1)[0]
    assert first.startswith(b"HTTP/1.1 "), first
    return int(first.split()[1])


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_login_answers_while_many_slow_bodies_are_open(server: tuple[int, Env]) -> None:
    port, env = server
    auth = f"Authorization: Bearer {env.tokens[Role.operator]}\r\n"
    slow = [_start_body(port, "/login", 4000, b"username=a") for _ in range(IN_FLIGHT + 8)]
    slow += [_start_body(port, "/api/v1/consents", 4000, b"{", auth) for _ in range(IN_FLIGHT + 8)]
    try:
        assert _get(port, "/login") == 200
        assert _get(port, "/healthz") == 200
        # The slow senders are cut off after the body timeout with a 408.
        assert _status(slow[0]) == 408
        assert _status(slow[-1]) == 408
    finally:
        for s in slow:
            s.close()


def test_a_huge_anonymous_body_is_refused_before_it_is_sent(server: tuple[int, Env]) -> None:
    port, _ = server
    # 200 MB declared, 1 KiB sent: the answer comes while the client has sent almost nothing.
    for path in ("/api/v1/consents", "/consents"):
        s = _start_body(port, path, 200_000_000, b"{" + b" " * 1023)
        try:
            assert _status(s) == 401
        finally:
            s.close()


def test_an_authenticated_body_over_the_cap_is_refused_before_it_is_sent(server: tuple[int, Env]) -> None:
    port, env = server
    auth = f"Authorization: Bearer {env.tokens[Role.operator]}\r\n"
    s = _start_body(port, "/api/v1/consents", 200_000_000, b"{", auth)
    try:
        assert _status(s) == 413
    finally:
        s.close()
    # A made-up token is no better than none.
    s = _start_body(port, "/api/v1/consents", 200_000_000, b"{", "Authorization: Bearer hogo_forged\r\n")
    try:
        assert _status(s) == 401
    finally:
        s.close()


def test_slow_headers_are_cut_off(server: tuple[int, Env]) -> None:
    port, _ = server
    s = _connect(port)
    try:
        s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and nothing more
        assert s.recv(1024) == b""  # closed by the server after the header timeout
    finally:
        s.close()
