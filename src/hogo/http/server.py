"""How uvicorn serves hogo: one set of options for `hogo serve` and the tests' real server.

uvicorn bounds the idle time between requests on a connection (keep-alive) but not the time a
client takes to send a request's headers: a client could open connections and send a header
byte now and then for ever. `HeaderDeadline` closes a connection whose request headers are not
complete within the header timeout. Bodies are timed by hogo.http.guard.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hogo.config import DEVELOPMENT_SECRET, Settings
from hogo.errors import HogoError

#: Seconds an idle keep-alive connection stays open between requests.
KEEP_ALIVE = 5
#: Seconds a `--workers N` process may take to answer the supervisor's health check. uvicorn's
#: default (5) counts a worker's start-up, importing hogo, which takes longer than that on a busy
#: host: every worker was then killed and started again, and the server never became ready.
WORKER_HEALTHCHECK = 60


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's headers."""

    #: Set from the settings by `configure` (a class attribute, so that `--workers N` processes,
    #: which import this class by name, pick it up when their app factory runs).
    timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def configure(settings: Settings) -> None:
    HeaderDeadline.timeout = float(settings.header_timeout)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options (besides the app, host, port and workers)."""
    configure(settings)
    return {
        "http": HeaderDeadline,
        "timeout_keep_alive": KEEP_ALIVE,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK,
        "log_level": "warning",
        "access_log": False,
        # The client address behind a trusted reverse proxy comes from X-Forwarded-For.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class UnsafeBind(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "開発用の組み込みシークレットのまま、ループバック以外のアドレスでは起動できません。"
            "HOGO_SECRET_KEY を32文字以上の乱数に設定してください。",
            "refusing to listen beyond loopback with the built-in development secret; "
            "set HOGO_SECRET_KEY to a random value of 32+ characters.",
        )


def check_bind(settings: Settings, host: str) -> None:
    """The built-in secret is published with the code: what it signs protects nothing on a server
    others can reach."""
    if settings.secret_key == DEVELOPMENT_SECRET and not is_loopback(host):
        raise UnsafeBind()
