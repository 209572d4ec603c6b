"""Settings from the environment (HOGO_*), refusing unsafe defaults outside local development."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The built-in secret: good enough to sign cookies on a developer's laptop, refused anywhere else.
DEVELOPMENT_SECRET = "hogo-development-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOGO_", extra="ignore")

    #: SQLAlchemy URL; a SQLite file in the working directory by default.
    database_url: str = "sqlite:///hogo.db"
    #: Seconds a write waits for another writer's lock (e.g. a bulk import's final commit) before
    #: it is refused as busy (503 with Retry-After in the API); reads never wait.
    lock_timeout: float = Field(default=30.0, gt=0, le=600)
    #: Where releases, reports and backups are written.
    data_dir: Path = Path("hogo-data")
    #: "development" allows the built-in demo secret; anything else refuses it.
    environment: str = "development"
    language: str = "ja"
    #: Memory the data engine may use before it spills to disk (DuckDB syntax, e.g. "4GB");
    #: unset lets DuckDB take its default of 80% of the machine's memory.
    engine_memory_limit: str | None = None

    #: Signs session cookies and CSRF tokens. Must be set (32+ characters) outside development.
    secret_key: str = DEVELOPMENT_SECRET
    #: A console session ends this long after log-in (seconds).
    session_max_age: int = Field(default=8 * 3600, ge=60, le=30 * 24 * 3600)
    #: Force the Secure cookie flag; by default it is set unless the console is served on loopback.
    cookie_secure: bool | None = None
    #: Log-in throttling: failures allowed per account and per client address within the window.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    #: Reverse proxies whose X-Forwarded-For gives the client address (for log-in throttling):
    #: comma-separated addresses or networks, "*" for any. Other peers' headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    #: `/.well-known/gpc.json` lastUpdate: when the site began honouring Global Privacy Control.
    gpc_last_update: date = date(2026, 11, 27)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.environment != "development" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "HOGO_SECRET_KEY must be set to a random value of 32+ characters outside development "
                "(HOGO_SECRET_KEY を32文字以上の乱数に設定してください)"
            )
        return self


def load_settings() -> Settings:
    return Settings()
