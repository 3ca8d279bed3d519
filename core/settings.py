"""The one settings object, read from the environment and an optional `.env` file."""

from enum import StrEnum
from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-change-me"
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Environment = Environment.development
    database_url: str = Field(
        default="sqlite:///./booking.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    access_token_minutes: int = Field(default=8 * 60, ge=5, description="staff login lifetime")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    database_pool_size: int = Field(
        default=5, ge=1, le=100, description="PostgreSQL connections kept per worker"
    )
    database_max_overflow: int = Field(default=10, ge=0, le=100, description="extra connections under load")
    database_pool_timeout_seconds: float = Field(default=10, gt=0, description="wait for a free connection")

    geocoder: str = Field(
        default="offline",
        description="'offline' (bundled US ZIP centroids) or any geopy service name, e.g. 'nominatim'",
    )
    geocoder_user_agent: str = "booking-backbone"
    geocoder_timeout_seconds: float = Field(default=5.0, gt=0)

    min_notice_minutes: int = Field(default=120, ge=0, description="no slot sooner than this")
    booking_horizon_days: int = Field(default=90, ge=1, le=730, description="no slot later than this")
    hold_ttl_seconds: int = Field(default=600, ge=30, le=3600, description="how long a hold blocks a slot")
    slot_cache_entries: int = Field(
        default=256, ge=0, le=100_000, description="free-slot searches a worker keeps computed; 0: no cache"
    )
    slot_cache_max_mib: int = Field(default=64, ge=1, description="and at most this much memory for them")
    slot_cache_max_age_seconds: float = Field(
        default=30, gt=0, le=3600, description="a computed search is recomputed after this, whatever happens"
    )
    idempotency_ttl_hours: int = Field(default=24, ge=1, description="how long Idempotency-Key replays last")

    partner_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, description="how long a worker caches partners' allowed origins"
    )
    webhooks_enabled: bool = Field(
        default=True, description="run the background webhook sender in each worker (tests drive it by hand)"
    )
    webhook_poll_seconds: float = Field(default=2.0, gt=0, le=300, description="how often it looks for work")
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60, description="per delivery attempt")
    webhook_max_attempts: int = Field(default=6, ge=1, le=20, description="then a delivery is `failed`")

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> "Settings":
        if self.environment == Environment.development:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"SECRET_KEY is still the development default; set a random SECRET_KEY "
                f"when ENVIRONMENT={self.environment.value}"
            )
        # An empty or short key signs tokens anyone can forge by guessing it; HS256 wants 256 bits.
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters when "
                f"ENVIRONMENT={self.environment.value}; make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
