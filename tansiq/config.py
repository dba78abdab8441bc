"""Settings from TANSIQ_* environment variables, validated once at start."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a Tansiq process. `TANSIQ_<NAME>` sets `<name>`."""

    model_config = SettingsConfigDict(env_prefix="TANSIQ_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    host: str = "127.0.0.1"
    # Server processes sharing the port (`tansiq serve`); each uses one core at most.
    workers: int = Field(1, ge=1, le=32)
    # How often the feed hub looks in the log for events written by other processes. None: half
    # a second with one worker, 20 ms with several (then most events come from the others).
    feed_poll_seconds: float | None = Field(None, gt=0, le=5)
    # Speed for travel-time estimates when no road network is loaded (or off the network).
    dispatch_straight_line_kmh: float = Field(40.0, gt=0, le=300)
    # How long each unit's track (every position fix) is kept.
    track_retention_days: int = Field(90, ge=1, le=3650)
    port: int = Field(8000, ge=1, le=65535)

    # Secrets come from the environment or a file, never from a command line or the repository.
    secret_key: str | None = Field(None, repr=False)
    secret_key_file: Path | None = None
    access_token_minutes: int = Field(60, ge=1, le=24 * 60)
    refresh_token_hours: int = Field(12, ge=1, le=7 * 24)
    # How long a checked token is trusted without asking the database (0: always ask).
    principal_cache_seconds: float = Field(5.0, ge=0, le=60)
    login_account_failures: int = Field(5, ge=1)
    login_address_failures: int = Field(20, ge=1)
    login_window_minutes: int = Field(15, ge=1)
    login_lockout_minutes: int = Field(15, ge=1)
    feed_ticket_seconds: int = Field(60, ge=5, le=3600)

    max_body_bytes: int = Field(1_048_576, ge=1024)
    page_size_max: int = Field(500, ge=1)
    feed_queue_max: int = Field(10_000, ge=100)
    feed_replay_batch: int = Field(500, ge=1)
    idempotency_hours: int = Field(24, ge=1)

    demo_password: str | None = Field(None, repr=False)
    demo_tick_seconds: float = Field(2.0, gt=0)
    log_level: str = "info"

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, v: str | None) -> str | None:
        if v and v.startswith("postgresql://"):
            # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
            return "postgresql+psycopg://" + v.removeprefix("postgresql://")
        if v and v.startswith("postgres://"):
            return "postgresql+psycopg://" + v.removeprefix("postgres://")
        return v

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tansiq.db').resolve()}"

    @property
    def effective_feed_poll_seconds(self) -> float:
        if self.feed_poll_seconds is not None:
            return self.feed_poll_seconds
        return 0.5 if self.workers == 1 else 0.02

    @cached_property
    def signing_key(self) -> str:
        """The token-signing secret: env, then a file, then one generated in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file or self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        if self.secret_key_file:
            raise FileNotFoundError(f"TANSIQ_SECRET_KEY_FILE does not exist: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def get_settings() -> Settings:
    return Settings()
