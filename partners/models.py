"""Partner tables (`partner`, `webhook_delivery`) and the admin API's schemas."""

import re
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from core.database import UTCDateTime, utc_now
from core.schemas import InputModel

MAX_ORIGINS = 20
_HOST_LABELS = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)


class Partner(SQLModel, table=True):
    """A site that embeds the booking widget (a gym, a referring clinic, an insurer's portal)."""

    __tablename__ = "partner"
    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(max_length=120)
    # Publishable: it sits in the partner's page source, so it is stored as is and only ever lets
    # its holder search, hold and book, from the partner's origins.
    publishable_key: str = SQLField(max_length=64, unique=True)
    allowed_origins: list[str] = SQLField(default_factory=list, sa_column=Column(JSON, nullable=False))
    webhook_url: str | None = SQLField(default=None, max_length=500)
    # Kept in the clear because signing needs it; shown to admins only.
    webhook_secret: str = SQLField(max_length=80)
    # Service line codes the partner may book; empty means all of them.
    service_lines: list[str] = SQLField(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first or next attempt
    sending = "sending"  # claimed by a sender until `next_attempt_at` (a lease); reclaimed after it
    delivered = "delivered"
    failed = "failed"  # gave up after the last attempt, or the partner has no webhook any more


class WebhookDelivery(SQLModel, table=True):
    """One webhook event for a partner: the outbox row written in the booking's own transaction."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )
    id: int | None = SQLField(default=None, primary_key=True)
    event_id: str = SQLField(max_length=32, unique=True, description="X-Webhook-Id: the same on every retry")
    partner_id: int = SQLField(
        sa_column=Column(Integer, ForeignKey("partner.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    appointment_id: str | None = SQLField(
        default=None,
        sa_column=Column(String(32), ForeignKey("appointment.id", ondelete="CASCADE"), nullable=True),
    )
    event: str = SQLField(max_length=40)
    # The exact JSON text that is signed and sent, so every retry carries the same bytes.
    body: str = SQLField(sa_type=Text)
    status: str = SQLField(default=DeliveryStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str = SQLField(default="", sa_type=Text)
    delivered_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    created_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)


# --- origins and URLs ---------------------------------------------------------------------------


def normalize_origin(value: str) -> str:
    """`scheme://host[:port]` as browsers send it in `Origin`: lower-case, default port dropped.

    One trailing slash is forgiven; a path, query, fragment, user name or wildcard is refused."""
    text = value.strip()
    text = text[:-1] if text.endswith("/") else text
    shape = "an origin is scheme://host[:port], e.g. https://www.example.com"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"'{value}' is not an origin: {shape}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"'{value}' is not an origin: it must start with https:// or http://")
    if parts.path or parts.query or parts.fragment or "?" in text or "#" in text:
        raise ValueError(f"'{value}' is not an origin: no path, query or fragment ({shape})")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"'{value}' is not an origin: no user name or password ({shape})")
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    elif not _HOST_LABELS.match(host):
        raise ValueError(
            f"'{value}' is not an origin: the host must be a domain name or IP address, without "
            "wildcards (international names in their xn-- form)"
        )
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default_port else "")


def _normalized_origins(values: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_origin(v) for v in values))


def _checked_webhook_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return value


# --- admin API schemas --------------------------------------------------------------------------


class PartnerCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    allowed_origins: list[str] = Field(
        max_length=MAX_ORIGINS,
        description="origins allowed to frame the widget and call the API with the key, e.g. "
        "`https://www.example-gym.com`; empty: server-to-server use only",
    )
    webhook_url: str | None = Field(
        default=None, max_length=500, description="told of bookings by signed POSTs; optional"
    )
    service_lines: list[str] = Field(
        default_factory=list, max_length=20, description="service line codes it may book; empty: all"
    )

    _origins = field_validator("allowed_origins")(_normalized_origins)
    _webhook = field_validator("webhook_url")(_checked_webhook_url)

    @field_validator("service_lines")
    @classmethod
    def _unique_codes(cls, codes: list[str]) -> list[str]:
        return list(dict.fromkeys(codes))


class PartnerUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    allowed_origins: list[str] | None = Field(default=None, max_length=MAX_ORIGINS)
    webhook_url: str | None = Field(default=None, max_length=500, description="null removes the webhook")
    service_lines: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = Field(default=None, description="false: the key stops working at once")

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _normalized_origins(values)

    _webhook = field_validator("webhook_url")(_checked_webhook_url)

    @field_validator("service_lines")
    @classmethod
    def _unique_codes(cls, codes: list[str] | None) -> list[str] | None:
        return None if codes is None else list(dict.fromkeys(codes))


class PartnerAdmin(BaseModel):
    id: int
    name: str
    publishable_key: str
    allowed_origins: list[str]
    webhook_url: str | None
    webhook_secret: str = Field(description="verifies X-Webhook-Signature; keep it on the partner's server")
    service_lines: list[str]
    active: bool
    created_at: datetime


class WebhookDeliveryPublic(BaseModel):
    id: int
    event_id: str
    event: str
    appointment_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime
