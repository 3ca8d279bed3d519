"""`Idempotency-Key` for booking writes, after the IETF httpapi draft.

    no record            -> claim the key (committed at once), run the operation, and store its
                            response in the operation's own transaction
    claimed, running     -> 409, retry shortly (a claim older than the lease is taken over: its
                            worker died)
    completed, same body -> replay the stored status and body (`Idempotent-Replayed: true`)
    completed, new body  -> 422: one key, one request

Keys are scoped to the caller and kept `IDEMPOTENCY_TTL_HOURS`. Domain errors are stored too, so a
retry always gets the first answer.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking.exceptions import IdempotencyKeyReused, IdempotentRequestInProgress
from booking.models import IdempotencyRecord
from core.database import utc_now
from core.errors import PROBLEM_JSON, AppError
from core.settings import get_settings

CLAIM_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def request_fingerprint(operation: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotently(
    session: Session,
    *,
    scope: str,
    key: str | None,
    fingerprint: str,
    operation: Callable[[], Outcome],
    begin_write: Callable[[], None],
) -> Outcome:
    """Run `operation` (which must not commit) once per (scope, key); commit it with its record."""
    if key is None:
        begin_write()
        try:
            outcome = operation()
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return outcome

    replay = _claim(session, scope=scope, key=key, fingerprint=fingerprint, begin_write=begin_write)
    if replay is not None:
        return replay
    try:
        begin_write()
        outcome = operation()
        _complete(session, scope=scope, key=key, outcome=outcome)
        session.commit()
        return outcome
    except AppError as error:
        session.rollback()
        begin_write()
        _complete(
            session,
            scope=scope,
            key=key,
            outcome=Outcome(error.status, error.to_problem().model_dump(exclude_none=True)),
        )
        session.commit()
        raise
    except BaseException:
        session.rollback()
        _release(session, scope=scope, key=key)
        raise


def _claim(
    session: Session, *, scope: str, key: str, fingerprint: str, begin_write: Callable[[], None]
) -> Outcome | None:
    begin_write()  # the claim reads, then writes: on SQLite that must hold the write lock from the start
    now = utc_now()
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
    )
    record = _find(session, scope, key)
    if record is None:
        session.add(
            IdempotencyRecord(
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                expires_at=now + timedelta(hours=get_settings().idempotency_ttl_hours),
            )
        )
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()  # another request claimed the key between our read and insert
            record = _find(session, scope, key)
            if record is None:
                raise IdempotentRequestInProgress() from None
    if record.fingerprint != fingerprint:
        session.rollback()
        raise IdempotencyKeyReused()
    if record.completed and record.response_status is not None and record.response_body is not None:
        outcome = Outcome(
            record.response_status, json.loads(_cipher().decrypt(record.response_body.encode())), True
        )
        session.rollback()
        return outcome
    if record.created_at > now - CLAIM_LEASE:
        session.rollback()
        raise IdempotentRequestInProgress()
    record.created_at = now  # the claimant died mid-way; take its claim over
    session.add(record)
    session.commit()
    return None


def _complete(session: Session, *, scope: str, key: str, outcome: Outcome) -> None:
    record = _find(session, scope, key)
    if record is None:
        return
    record.completed = True
    record.response_status = outcome.status
    record.response_body = _cipher().encrypt(json.dumps(outcome.body, default=str).encode()).decode()
    session.add(record)


def _release(session: Session, *, scope: str, key: str) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            col(IdempotencyRecord.completed).is_(False),
        )
    )
    session.commit()


def _find(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).first()


def _cipher() -> Fernet:
    secret = get_settings().secret_key.get_secret_value()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"idempotency:{secret}".encode()).digest()))


def outcome_response(outcome: Outcome) -> JSONResponse:
    """The HTTP response of a (possibly replayed) outcome."""
    return JSONResponse(
        outcome.body,
        status_code=outcome.status,
        media_type=PROBLEM_JSON if outcome.status >= 400 else "application/json",
        headers={"Idempotent-Replayed": "true"} if outcome.replayed else None,
    )
