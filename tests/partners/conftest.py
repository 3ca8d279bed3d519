import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from partners import service as partners_service
from partners.models import Partner
from tests.booking.conftest import PATIENT, network, upcoming_weekday  # noqa: F401  (fixture)

GYM = "https://www.example-gym.com"
CLINIC = "http://clinic.example.org:8080"
ELSEWHERE = "https://evil.example.net"

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_partners_cached_from_other_tests() -> Iterator[None]:
    # The origin directory is process-wide; each test's partners live in a rolled-back transaction.
    partners_service.forget_cached_partners()
    yield
    partners_service.forget_cached_partners()


def make_partner(session: Session, **fields: Any) -> Partner:
    values: dict[str, Any] = {
        "name": f"Partner {next(_sequence)}",
        "publishable_key": partners_service.new_publishable_key(),
        "allowed_origins": [GYM],
        "webhook_secret": partners_service.new_webhook_secret(),
    } | fields
    partner = Partner(**values)
    session.add(partner)
    session.commit()
    return partner


@pytest.fixture
def partner(session: Session) -> Partner:
    """An active partner allowed on GYM, with no webhook and every service line."""
    return make_partner(session, name="Example Gym")


def first_slot(
    client, service: str = "pt_evaluation", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    day = upcoming_weekday(1)
    response = client.get(
        "/v1/availability",
        params={"service": service, "start": str(day), "end": str(day)},
        headers=headers or {},
    )
    assert response.status_code == 200, response.text
    assert response.json()["slots"], "the demo network should have free slots on a Tuesday"
    return response.json()["slots"][0]


def slot_body(slot: dict[str, Any]) -> dict[str, Any]:
    return {key: slot[key] for key in ("service", "location_id", "provider_id", "start")}


def booking_body(slot: dict[str, Any]) -> dict[str, Any]:
    return slot_body(slot) | {"patient": PATIENT}


def partner_headers(partner: Partner, origin: str | None = GYM) -> dict[str, str]:
    headers = {"X-Partner-Key": partner.publishable_key}
    if origin is not None:
        headers["Origin"] = origin
    return headers
