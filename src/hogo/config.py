"""Settings from the environment (HOGO_*), refusing unsafe defaults outside local development."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal, Self, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hogo.errors import HogoError
from hogo.files.confine import served_folder

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
    #: The only folder whose files a release spec submitted over the API or the console may read
    #: (paths in such specs are relative to it); default `DATA_DIR/inputs`.
    input_dir: Path | None = None
    #: hogo's releases folder: output of every submitted release spec lands below it;
    #: default `DATA_DIR/releases`.
    release_dir: Path | None = None
    #: "development" allows the built-in demo secret; anything else refuses it.
    environment: str = "development"
    language: str = "ja"
    #: The data engine releases and coverage run on when a spec names none (one of
    #: `hogo.engines.available_engines()`; Spark needs the optional extra).
    engine: Literal["duckdb", "spark"] = "duckdb"
    #: Memory the data engine may use before it spills to disk (DuckDB syntax, e.g. "4GB");
    #: unset: 1 GiB, an eighth of a smaller machine's memory (`engines.default_memory_limit`).
    engine_memory_limit: str | None = None

    #: Signs session cookies and CSRF tokens. Must be set (32+ characters) outside development.
    secret_key: str = DEVELOPMENT_SECRET
    #: A console session ends this long after log-in (seconds).
    session_max_age: int = Field(default=8 * 3600, ge=60, le=30 * 24 * 3600)
    #: The Secure cookie flag and HSTS. Unset: on outside development; in development only for
    #: requests that arrived over HTTPS. Never decided by the Host header (a proxy may rewrite it).
    cookie_secure: bool | None = None
    #: Log-in throttling (see docs/security.md): failures from one address for one account before
    #: each further attempt waits a growing delay; failures for one account from all addresses
    #: before addresses it never logged in from wait too; failures from one address for any account.
    login_failures_before_delay: int = Field(default=5, ge=1)
    login_max_failures_per_account: int = Field(default=20, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    #: Seconds a client may take to send a request's headers, and its body (larger bodies get
    #: more time, see hogo.http.limits); slower clients are disconnected or answered 408.
    header_timeout: int = Field(default=10, ge=1, le=300)
    body_timeout: int = Field(default=20, ge=1, le=600)
    #: Reverse proxies whose X-Forwarded-For gives the client address (for log-in throttling):
    #: comma-separated addresses or networks, "*" for any. Other peers' headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    #: The Ed25519 key (PEM, `hogo ledger keygen`) that signs the ledger's Merkle tree heads; unset:
    #: no heads are issued and consent receipts carry no inclusion proof (docs/ledger.md).
    ledger_signing_key_file: Path | None = None
    #: The master key (`hogo subject master-key new`, 0600) that wraps every person's data key
    #: (crypto-shredding, docs/ledger.md "Forgetting a person"); unset: `DATA_DIR/keys/master.key`,
    #: created on first use. Losing it makes the sealed values in the ledger unreadable.
    master_key_file: Path | None = None
    #: Consent notices shown (embed API) a minute, per member site and per person, counted in the
    #: store across every server process (services.rate_limits).
    embed_rate_per_site: int = Field(default=6000, ge=1)
    embed_rate_per_person: int = Field(default=20, ge=1)
    #: `/.well-known/gpc.json` lastUpdate: when the site began honouring Global Privacy Control.
    gpc_last_update: date = date(2026, 11, 27)
    #: The privacy center (docs/privacy-center.md): a person's session ends this long after they
    #: came in (seconds); one-time codes sent to one address an hour.
    privacy_session_max_age: int = Field(default=30 * 60, ge=60, le=4 * 3600)
    privacy_codes_per_hour: int = Field(default=5, ge=1, le=100)
    #: Outgoing e-mail (one-time codes to persons): unset host = no e-mail is sent. The password is
    #: read from a file (HOGO_SMTP_PASSWORD_FILE), never from the environment. STARTTLS unless the
    #: port is 465 (SMTPS) or HOGO_SMTP_STARTTLS=false (a relay on loopback).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True
    #: Where persons reach hogo (e.g. https://hogo.example.jp): the privacy-center link in the
    #: e-mail that says an answer is ready. Unset: the address the officer's request came to
    #: (console, API); `hogo request answer` then sends no e-mail.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")

    @property
    def secure_cookies(self) -> bool | None:
        """True/False when decided by configuration; None: by the request's scheme (development)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return None if self.environment == "development" else True

    @property
    def inputs_root(self) -> Path:
        return self.input_dir if self.input_dir is not None else self.data_dir / "inputs"

    @property
    def releases_root(self) -> Path:
        return self.release_dir if self.release_dir is not None else self.data_dir / "releases"

    @property
    def master_key_path(self) -> Path:
        return (
            self.master_key_file
            if self.master_key_file is not None
            else self.data_dir / "keys" / "master.key"
        )

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

    @model_validator(mode="after")
    def _not_in_a_served_folder(self) -> Self:
        for name, folder in (("HOGO_DATA_DIR", self.data_dir), ("HOGO_RELEASE_DIR", self.releases_root)):
            if served_folder(folder) is not None:
                raise ValueError(
                    f"{name} must not lie in a folder the server publishes ({name} を公開フォルダの外に)"
                )
        return self


class SettingsError(HogoError):
    """Settings that cannot be used, named by variable; the values are never repeated (they may
    be secrets, and pydantic's own message would echo all of them)."""


S = TypeVar("S", bound=BaseSettings)


def read_settings(kind: type[S]) -> S:
    """Settings of `kind` from the environment; errors name the variables, never their values."""
    try:
        return kind()
    except ValidationError as exc:
        prefix = str(kind.model_config.get("env_prefix", ""))
        names = sorted({f"{prefix}{str(e['loc'][0]).upper()}" for e in exc.errors() if e["loc"]})
        reasons = [str(e.get("ctx", {}).get("error", "")) for e in exc.errors() if not e["loc"]]
        what = "; ".join([", ".join(names), *reasons]).strip("; ")
        raise SettingsError(f"設定が正しくありません: {what}", f"invalid settings: {what}") from None


def load_settings() -> Settings:
    return read_settings(Settings)
