"""Partners: admin management, key and origin checks, the service-line restriction, and the
in-process directory of allowed origins that the CORS and framing middleware reads.

Write functions are one unit of work each and commit it.
"""

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from core.database import utc_now
from core.settings import get_settings
from locations.models import Service, ServiceLine
from partners.exceptions import (
    InvalidPartnerKey,
    OriginNotAllowed,
    PartnerNotFound,
    ServiceNotOfferedToPartner,
    UnknownServiceLine,
)
from partners.models import (
    Partner,
    PartnerAdmin,
    PartnerCreate,
    PartnerUpdate,
    WebhookDelivery,
    WebhookDeliveryPublic,
)

KEY_PREFIX = "pk_"
MAX_KEY_LENGTH = 64


def new_publishable_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# --- admin --------------------------------------------------------------------------------------


def present_partner(partner: Partner) -> PartnerAdmin:
    return PartnerAdmin.model_validate(partner, from_attributes=True)


def list_partners(*, session: Session) -> list[PartnerAdmin]:
    """Every partner, inactive ones included."""
    return [present_partner(p) for p in session.exec(select(Partner).order_by(col(Partner.id)))]


def get_partner(*, session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise PartnerNotFound(partner_id)
    return partner


def create_partner(*, session: Session, data: PartnerCreate) -> PartnerAdmin:
    """A new partner with a fresh publishable key and webhook secret."""
    _check_service_lines(session, data.service_lines)
    partner = Partner(
        name=data.name,
        publishable_key=new_publishable_key(),
        allowed_origins=data.allowed_origins,
        webhook_url=data.webhook_url,
        webhook_secret=new_webhook_secret(),
        service_lines=data.service_lines,
    )
    session.add(partner)
    session.commit()
    forget_cached_partners()
    return present_partner(partner)


def update_partner(*, session: Session, partner_id: int, data: PartnerUpdate) -> PartnerAdmin:
    """Change what is given; `webhook_url: null` removes the webhook, other nulls change nothing."""
    partner = get_partner(session=session, partner_id=partner_id)
    given = data.model_dump(exclude_unset=True)
    if given.get("service_lines") is not None:
        _check_service_lines(session, given["service_lines"])
    for name, value in given.items():
        if value is not None or name == "webhook_url":
            setattr(partner, name, value)  # whole new lists, so the JSON columns see the change
    partner.updated_at = utc_now()
    session.add(partner)
    session.commit()
    forget_cached_partners()
    return present_partner(partner)


def rotate_key(*, session: Session, partner_id: int) -> PartnerAdmin:
    """Issue a new publishable key; the old one stops working at once."""
    partner = get_partner(session=session, partner_id=partner_id)
    partner.publishable_key = new_publishable_key()
    partner.updated_at = utc_now()
    session.add(partner)
    session.commit()
    forget_cached_partners()
    return present_partner(partner)


def list_webhook_deliveries(
    *, session: Session, partner_id: int, limit: int = 100
) -> list[WebhookDeliveryPublic]:
    """A partner's latest webhook deliveries, newest first, with their attempts and last error."""
    get_partner(session=session, partner_id=partner_id)
    rows = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.partner_id == partner_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    )
    return [WebhookDeliveryPublic.model_validate(row, from_attributes=True) for row in rows]


def _check_service_lines(session: Session, codes: list[str]) -> None:
    if not codes:
        return
    known = set(session.exec(select(ServiceLine.code).where(col(ServiceLine.code).in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise UnknownServiceLine(unknown)


# --- the public API's partner checks ------------------------------------------------------------


def partner_for_key(session: Session, key: str | None) -> Partner | None:
    """The active partner whose publishable key this is, or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
        return None
    return session.exec(
        select(Partner).where(Partner.publishable_key == key, col(Partner.active).is_(True))
    ).first()


def authorize_partner(*, session: Session, key: str, origin: str | None, host: str | None) -> Partner:
    """The partner a request's `X-Partner-Key` names: 401 if none is active under it, 403 if the
    request comes from a browser (it has an `Origin`) on a page outside the partner's origins."""
    partner = partner_for_key(session, key)
    if partner is None:
        raise InvalidPartnerKey()
    if origin is not None and not origin_allowed(partner.allowed_origins, origin, host=host):
        raise OriginNotAllowed(origin)
    return partner


def origin_allowed(allowed_origins: Iterable[str], origin: str, *, host: str | None) -> bool:
    """Whether a browser on `origin` may use a key allowed on `allowed_origins`. Our own pages (the
    `/embed` widget frame) are same-origin with the API, so they always may."""
    origin = origin.lower()
    return origin in allowed_origins or is_same_origin(origin, host)


def is_same_origin(origin: str, host: str | None) -> bool:
    if not host:
        return False
    try:
        return urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False


def check_service_allowed(
    *, session: Session, partner: Partner | None, service: Service, location: str = "body"
) -> None:
    """422 naming `service` when the partner is restricted to other service lines."""
    if partner is None or not partner.service_lines:
        return
    line = session.get(ServiceLine, service.service_line_id)
    if line is None or line.code not in partner.service_lines:
        raise ServiceNotOfferedToPartner(service.name, location=location)


# --- the directory of allowed origins (read by the middleware) ----------------------------------


@dataclass(frozen=True)
class OriginDirectory:
    """Active partners' allowed origins: by publishable key, and all of them together."""

    origins_by_key: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    origins: frozenset[str] = frozenset()


def load_origin_directory(session: Session) -> OriginDirectory:
    rows = session.exec(
        select(Partner.publishable_key, Partner.allowed_origins).where(col(Partner.active).is_(True))
    ).all()
    by_key = {key: tuple(origins or ()) for key, origins in rows}
    return OriginDirectory(
        origins_by_key=by_key, origins=frozenset(o for origins in by_key.values() for o in origins)
    )


class _DirectoryCache:
    """The directory, reloaded at most every PARTNER_CACHE_SECONDS: preflights and framed pages
    do not each cost a query. Changes made in this process drop it at once (see the listeners
    below); other worker processes see them within the cache time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: OriginDirectory | None = None
        self._loaded_at = 0.0
        self._generation = 0

    def fresh(self) -> OriginDirectory | None:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._loaded_at < get_settings().partner_cache_seconds:
            return snapshot
        return None

    def load(self, loader: Callable[[], OriginDirectory]) -> OriginDirectory:
        with self._lock:  # one reload at a time; the others wait for it and reuse it
            if (snapshot := self.fresh()) is not None:
                return snapshot
            generation = self._generation
            snapshot = loader()
            if generation == self._generation:  # nothing changed while it loaded
                self._snapshot, self._loaded_at = snapshot, time.monotonic()
            return snapshot

    def forget(self) -> None:
        self._generation += 1
        self._snapshot = None


_directory = _DirectoryCache()


def cached_origin_directory() -> OriginDirectory | None:
    """The cached directory if it is fresh, else None (then load it with `origin_directory`)."""
    return _directory.fresh()


def origin_directory(session_factory: Callable[[], Any]) -> OriginDirectory:
    """The directory, from the cache or loaded now with a session from `session_factory` (a
    context manager). Blocking: call it from a worker thread."""

    def loader() -> OriginDirectory:
        with session_factory() as session:
            return load_origin_directory(session)

    return _directory.fresh() or _directory.load(loader)


def forget_cached_partners() -> None:
    """Drop the cached directory; the next request that needs it reloads it."""
    _directory.forget()


@event.listens_for(OrmSession, "after_flush")
def _partner_rows_changed(session: OrmSession, _context: Any) -> None:
    # Any write of a partner row in this process (the admin API, a script, a test factory) drops
    # the cache at once, and again once committed, so no request caches the state in between.
    if any(isinstance(obj, Partner) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["partners_changed"] = True
        forget_cached_partners()


@event.listens_for(OrmSession, "after_commit")
def _partner_rows_committed(session: OrmSession) -> None:
    if session.info.pop("partners_changed", False):
        forget_cached_partners()
