"""Webhooks: an outbox written with the booking, sent by a background thread, never in the way.

book / cancel / reschedule (booking.service)
    -> enqueue_appointment_event(): a `webhook_delivery` row in the booking's own transaction,
       so the booking and its webhook commit (or roll back) together
WebhookSender (a daemon thread per worker process, started by the app's lifespan)
    -> deliver_due_webhooks(): one pass
         1. claim due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers never pick the same
            row; a compare-and-set on `status` everywhere) with a lease, and commit
         2. POST each with httpx, outside any transaction, signed:
            X-Webhook-Signature: sha256=HMAC-SHA256(webhook_secret, "<timestamp>.<body>")
         3. record it: 2xx delivered; otherwise retried after 10 s, 30 s, 2 min, 10 min, 1 h,
            until WEBHOOK_MAX_ATTEMPTS, then `failed`
A sender that dies mid-send leaves its rows `sending`; they are taken again once the lease ends,
so delivery is at least once: receivers deduplicate by X-Webhook-Id.
"""

import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
from sqlalchemy import update
from sqlmodel import Session, col, select

from booking.models import Appointment
from core.database import get_engine, utc_now
from core.settings import get_settings
from locations.models import Location, Service
from partners.models import DeliveryStatus, Partner, WebhookDelivery

logger = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
)
LEASE = timedelta(seconds=60)  # a claimed row is someone else's to send until then
BATCH = 10
USER_AGENT = "booking-backbone-webhooks/1"


# --- the outbox ---------------------------------------------------------------------------------


def enqueue_appointment_event(session: Session, appointment: Appointment, event: str) -> None:
    """Queue `event` for the partner the appointment was booked through, if it has a webhook.

    Adds the row to the caller's transaction and does not commit. The payload carries no patient
    details and no manage token: only what the partner needs to know a visit was booked."""
    if appointment.partner_id is None:
        return
    partner = session.get(Partner, appointment.partner_id)
    if partner is None or not partner.active or not partner.webhook_url:
        return
    service = session.get(Service, appointment.service_id)
    location = session.get(Location, appointment.location_id)
    assert service is not None and location is not None
    zone = ZoneInfo(location.timezone)
    now = utc_now()
    payload = {
        "event": event,
        "appointment": {
            "id": appointment.id,
            "confirmation_code": appointment.confirmation_code,
            "status": appointment.status,
            "start": appointment.starts_at.astimezone(zone).isoformat(),
            "end": appointment.ends_at.astimezone(zone).isoformat(),
            "service": service.code,
            "location_id": appointment.location_id,
            "provider_id": appointment.provider_id,
            "channel": appointment.channel,
        },
        "partner_id": partner.id,
        "occurred_at": now.isoformat(),
    }
    session.add(
        WebhookDelivery(
            event_id=uuid.uuid4().hex,
            partner_id=partner.id,
            appointment_id=appointment.id,
            event=event,
            body=json.dumps(payload, separators=(",", ":")),
            next_attempt_at=now,
        )
    )


# --- signing ------------------------------------------------------------------------------------


def signature(secret: str, timestamp: str, body: str | bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 with the partner's webhook secret over "<timestamp>.<body>"."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    header: str,
    now: datetime | None = None,
    tolerance: int = 300,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (no replays)."""
    try:
        age = abs((now or utc_now()).timestamp() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(signature(secret, timestamp, body), header)


# --- sending ------------------------------------------------------------------------------------


@dataclass
class DeliveryPass:
    """What one pass did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_id: str
    event: str
    body: str
    attempts: int
    url: str | None
    secret: str
    partner_active: bool


def deliver_due_webhooks(
    session: Session, *, now: datetime | None = None, client: httpx.Client | None = None, limit: int = BATCH
) -> DeliveryPass:
    """One pass: send the deliveries that are due (at most `limit`) and record each outcome.

    `now` fixes the clock for the whole pass (tests); by default each send reads the time afresh,
    so a signature's timestamp is that of its own request even late in a slow batch."""
    fixed = now
    clock: Callable[[], datetime] = (lambda: fixed) if fixed is not None else utc_now
    now = clock()
    result = DeliveryPass()
    if not _any_due(session, now):
        return result
    claimed = _claim(session, now=now, limit=limit)
    if not claimed:
        return result
    own_client = client is None
    client = client or httpx.Client(timeout=get_settings().webhook_timeout_seconds)
    try:
        for delivery in claimed:
            status = _send_and_record(session, client, delivery, now=clock())
            if status == DeliveryStatus.delivered:
                result.delivered += 1
            elif status == DeliveryStatus.failed:
                result.failed += 1
            else:
                result.retrying += 1
    finally:
        if own_client:
            client.close()
    return result


def _due(now: datetime) -> Any:
    return (
        col(WebhookDelivery.status).in_((DeliveryStatus.pending, DeliveryStatus.sending)),
        col(WebhookDelivery.next_attempt_at) <= now,
    )


def _any_due(session: Session, now: datetime) -> bool:
    # A plain read first: an idle sender never takes SQLite's write lock.
    found = session.exec(select(WebhookDelivery.id).where(*_due(now)).limit(1)).first() is not None
    session.commit()  # end the read transaction: nothing is held while idle
    return found


def _begin_write(session: Session) -> None:
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _claim(session: Session, *, now: datetime, limit: int) -> list[_Claimed]:
    """Take up to `limit` due rows for this sender until `now + LEASE`, and commit the claim."""
    _begin_write(session)
    try:
        candidates = session.exec(
            select(WebhookDelivery.id, WebhookDelivery.status)
            .where(*_due(now))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises instead
        ).all()
        taken: list[int] = []
        for delivery_id, status in candidates:
            claimed = session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == delivery_id,
                    col(WebhookDelivery.status) == status,
                    col(WebhookDelivery.next_attempt_at) <= now,
                )
                .values(status=DeliveryStatus.sending, next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(delivery_id)
        rows = (
            session.exec(
                select(WebhookDelivery, Partner)
                .join(Partner, col(Partner.id) == WebhookDelivery.partner_id)
                .where(col(WebhookDelivery.id).in_(taken))
                .order_by(col(WebhookDelivery.id))
                .execution_options(populate_existing=True)
            ).all()
            if taken
            else []
        )
        claimed_rows = [
            _Claimed(
                id=delivery.id,  # type: ignore[arg-type]
                event_id=delivery.event_id,
                event=delivery.event,
                body=delivery.body,
                attempts=delivery.attempts,
                url=partner.webhook_url,
                secret=partner.webhook_secret,
                partner_active=partner.active,
            )
            for delivery, partner in rows
        ]
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return claimed_rows


def _send_and_record(session: Session, client: httpx.Client, delivery: _Claimed, *, now: datetime) -> str:
    if not delivery.partner_active or not delivery.url:
        reason = (
            "the partner is inactive" if not delivery.partner_active else "the partner has no webhook URL"
        )
        _record(session, delivery, status=DeliveryStatus.failed, now=now, error=reason, count_attempt=False)
        return DeliveryStatus.failed

    timestamp = str(int(now.timestamp()))
    status_code: int | None = None
    try:
        response = client.post(
            delivery.url,
            content=delivery.body.encode(),
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Webhook-Id": delivery.event_id,
                "X-Webhook-Event": delivery.event,
                "X-Webhook-Timestamp": timestamp,
                "X-Webhook-Signature": signature(delivery.secret, timestamp, delivery.body),
            },
        )
        status_code = response.status_code
        error = "" if response.is_success else f"HTTP {status_code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    except Exception as exc:  # a malformed URL and the like: recorded, never fatal to the sender
        logger.exception("webhook %s could not be sent", delivery.event_id)
        error = f"{exc.__class__.__name__}: {exc}"[:500]

    attempts = delivery.attempts + 1
    if not error:
        status = DeliveryStatus.delivered
    elif attempts >= get_settings().webhook_max_attempts:
        status = DeliveryStatus.failed
    else:
        status = DeliveryStatus.pending
    _record(session, delivery, status=status, now=now, error=error, status_code=status_code)
    return status


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _record(
    session: Session,
    delivery: _Claimed,
    *,
    status: str,
    now: datetime,
    error: str,
    status_code: int | None = None,
    count_attempt: bool = True,
) -> None:
    attempts = delivery.attempts + 1 if count_attempt else delivery.attempts
    values: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "last_error": error,
        "last_status_code": status_code,
    }
    if count_attempt:
        values["last_attempt_at"] = now
    if status == DeliveryStatus.delivered:
        values["delivered_at"] = now
    elif status == DeliveryStatus.pending:
        values["next_attempt_at"] = now + retry_delay(attempts)
    _begin_write(session)
    try:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise


# --- the background sender ----------------------------------------------------------------------


class WebhookSender:
    """A daemon thread that runs `deliver_due_webhooks` every WEBHOOK_POLL_SECONDS until stopped."""

    def __init__(self, *, poll_seconds: float | None = None) -> None:
        self.poll_seconds = poll_seconds or get_settings().webhook_poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=get_settings().webhook_timeout_seconds) as client:
            while not self._stop.wait(self.poll_seconds):
                try:
                    with Session(get_engine(), expire_on_commit=False) as session:
                        while (
                            deliver_due_webhooks(session, client=client).attempted and not self._stop.is_set()
                        ):
                            pass  # a full batch: there may be more due at once
                except Exception:
                    logger.exception("webhook sender pass failed; retrying in %s s", self.poll_seconds)


@asynccontextmanager
async def webhook_sender_lifespan(_app: Any) -> AsyncIterator[None]:
    """The app's lifespan: one sender per worker process, unless WEBHOOKS_ENABLED is false."""
    sender = WebhookSender() if get_settings().webhooks_enabled else None
    if sender is not None:
        sender.start()
    try:
        yield
    finally:
        if sender is not None:
            await anyio.to_thread.run_sync(sender.stop)
