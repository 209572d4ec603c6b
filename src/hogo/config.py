"""Settings from the environment (HOGO_*), refusing unsafe defaults outside local development."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOGO_", extra="ignore")

    #: SQLAlchemy URL; a SQLite file in the working directory by default.
    database_url: str = "sqlite:///hogo.db"
    #: Where releases, reports and backups are written.
    data_dir: Path = Path("hogo-data")
    #: "development" allows the built-in demo secret; anything else refuses it.
    environment: str = "development"
    language: str = "ja"


def load_settings() -> Settings:
    return Settings()
