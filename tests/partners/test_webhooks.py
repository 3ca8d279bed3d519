"""Webhooks: written with the booking, signed, retried with backoff, never holding a booking up."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from booking.models import Appointment
from core.database import make_engine, migrate_to_head, utc_now
from partners import webhooks
from partners.models import WebhookDelivery
from tests.conftest import BACKENDS, scratch_database
from tests.partners.conftest import PATIENT, booking_body, first_slot, make_partner, partner_headers


@dataclass
class Receiver:
    """A real HTTP server on localhost that records what it gets and answers with `statuses`."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.delay:
                time.sleep(state.delay)
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/booking"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def unreachable_url() -> str:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def book_through(client, partner) -> dict:
    slot = first_slot(client)
    response = client.post("/v1/appointments", json=booking_body(slot), headers=partner_headers(partner))
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.mark.usefixtures("network")
class TestOutbox:
    def test_a_partner_booking_queues_an_event_without_patient_details(self, client, session):
        partner = make_partner(session, webhook_url="https://hooks.example.com/b")

        booked = book_through(client, partner)

        [delivery] = deliveries(session)
        assert (delivery.status, delivery.attempts, delivery.event) == ("pending", 0, "appointment.booked")
        assert delivery.partner_id == partner.id and delivery.appointment_id == booked["id"]
        payload = json.loads(delivery.body)
        assert payload["event"] == "appointment.booked"
        assert payload["partner_id"] == partner.id
        assert payload["occurred_at"]
        assert payload["appointment"] == {
            key: booked[key]
            for key in (
                "id",
                "confirmation_code",
                "status",
                "start",
                "end",
                "service",
                "location_id",
                "provider_id",
                "channel",
            )
        }
        for secret in (booked["manage_token"], *PATIENT.values()):
            assert secret not in delivery.body

    def test_no_event_without_a_webhook_or_without_a_partner(self, client, session):
        partner = make_partner(session)  # no webhook_url
        book_through(client, partner)
        slot = first_slot(client)
        assert client.post("/v1/appointments", json=booking_body(slot)).status_code == 201

        assert deliveries(session) == []

    def test_a_refused_booking_queues_nothing(self, client, session):
        partner = make_partner(session, webhook_url="https://hooks.example.com/b")
        slot = first_slot(client)
        assert client.post("/v1/appointments", json=booking_body(slot)).status_code == 201

        taken = client.post("/v1/appointments", json=booking_body(slot), headers=partner_headers(partner))

        assert taken.status_code == 409
        assert deliveries(session) == []

    def test_cancelling_and_rescheduling_a_partner_booking_queue_events(self, client, session):
        partner = make_partner(session, webhook_url="https://hooks.example.com/b")
        booked = book_through(client, partner)
        token = {"X-Manage-Token": booked["manage_token"]}
        code = booked["confirmation_code"]
        later = client.get(
            "/v1/availability",
            params={
                "service": booked["service"],
                "location": booked["location_id"],
                "provider": booked["provider_id"],
                "start": booked["end"],
            },
        ).json()["slots"][0]["start"]

        assert (
            client.post(
                f"/v1/appointments/{code}/reschedule", json={"start": later}, headers=token
            ).status_code
            == 200
        )
        assert client.post(f"/v1/appointments/{code}/cancel", headers=token).status_code == 200

        events = [(d.event, json.loads(d.body)["appointment"]["status"]) for d in deliveries(session)]
        assert events == [
            ("appointment.booked", "booked"),
            ("appointment.rescheduled", "booked"),
            ("appointment.cancelled", "cancelled"),
        ]
        assert json.loads(deliveries(session)[1].body)["appointment"]["start"] == later


@pytest.mark.usefixtures("network")
class TestDelivery:
    def test_a_signed_post_is_delivered(self, client, session, receiver):
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        now = utc_now()

        result = webhooks.deliver_due_webhooks(session, now=now)

        assert result.delivered == 1
        [(headers, body)] = receiver.received
        [delivery] = deliveries(session)
        assert body.decode() == delivery.body
        assert headers["content-type"] == "application/json"
        assert headers["x-webhook-id"] == delivery.event_id
        assert headers["x-webhook-timestamp"] == str(int(now.timestamp()))
        expected = webhooks.signature(partner.webhook_secret, headers["x-webhook-timestamp"], body)
        assert headers["x-webhook-signature"] == expected
        assert webhooks.verify_signature(
            partner.webhook_secret,
            timestamp=headers["x-webhook-timestamp"],
            body=body,
            header=headers["x-webhook-signature"],
            now=now,
        )
        assert not webhooks.verify_signature(
            "whsec_wrong", timestamp=headers["x-webhook-timestamp"], body=body, header=expected, now=now
        )
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
        assert delivery.delivered_at is not None

    def test_the_signature_is_hmac_sha256_of_timestamp_dot_body(self):
        import hashlib
        import hmac

        body = b'{"event":"appointment.booked"}'
        digest = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()

        assert webhooks.signature("whsec_k", "1700000000", body) == f"sha256={digest}"

    def test_a_500_is_retried_after_a_backoff_with_the_same_id_and_body(self, client, session, receiver):
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        receiver.statuses = [500]
        now = utc_now()

        first = webhooks.deliver_due_webhooks(session, now=now)

        assert (first.delivered, first.retrying) == (0, 1)
        [delivery] = deliveries(session)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert "HTTP 500" in delivery.last_error
        assert delivery.next_attempt_at == now + timedelta(seconds=10)
        assert webhooks.deliver_due_webhooks(session, now=now + timedelta(seconds=9)).attempted == 0

        second = webhooks.deliver_due_webhooks(session, now=now + timedelta(seconds=10))

        assert second.delivered == 1
        [delivery] = deliveries(session)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
        (first_headers, first_body), (second_headers, second_body) = receiver.received
        assert first_headers["x-webhook-id"] == second_headers["x-webhook-id"]
        assert first_body == second_body

    def test_backoff_grows_then_the_delivery_fails(self, client, session, receiver, monkeypatch):
        from core.settings import get_settings

        monkeypatch.setattr(get_settings(), "webhook_max_attempts", 4)
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        receiver.statuses = [503] * 4
        now = utc_now()
        waits = []

        for _ in range(4):
            assert webhooks.deliver_due_webhooks(session, now=now).attempted == 1
            [delivery] = deliveries(session)
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at

        assert waits[:3] == [timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=2)]
        assert (delivery.status, delivery.attempts) == ("failed", 4)
        assert webhooks.deliver_due_webhooks(session, now=now + timedelta(days=1)).attempted == 0
        assert [webhooks.retry_delay(n) for n in (4, 5, 9)] == [timedelta(minutes=10), timedelta(hours=1)] + [
            timedelta(hours=1)
        ]

    def test_an_unreachable_receiver_never_holds_up_the_booking(self, client, session):
        partner = make_partner(session, webhook_url=unreachable_url())

        booked = book_through(client, partner)  # 201: the webhook is only queued

        assert session.get(Appointment, booked["id"]).status == "booked"
        result = webhooks.deliver_due_webhooks(session)
        assert result.retrying == 1
        [delivery] = deliveries(session)
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_status_code is None and "ConnectError" in delivery.last_error

    def test_an_injected_client_gets_the_request(self, client, session):
        partner = make_partner(session, webhook_url="https://hooks.example.com/b")
        book_through(client, partner)
        seen = []
        transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))

        with httpx.Client(transport=transport) as http:
            assert webhooks.deliver_due_webhooks(session, client=http).delivered == 1

        assert str(seen[0].url) == "https://hooks.example.com/b"

    def test_a_removed_webhook_or_a_deactivated_partner_fails_the_delivery_unsent(
        self, client, session, receiver
    ):
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        partner.active = False
        session.add(partner)
        session.commit()

        result = webhooks.deliver_due_webhooks(session)

        assert result.failed == 1 and receiver.received == []
        [delivery] = deliveries(session)
        assert (delivery.status, delivery.attempts) == ("failed", 0)
        assert "inactive" in delivery.last_error


@pytest.mark.usefixtures("network")
class TestClaims:
    def test_a_claimed_delivery_is_not_sent_twice_while_its_lease_runs(self, client, session, receiver):
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        now = utc_now()
        # Another worker claimed it a moment ago and is still sending.
        session.execute(
            update(WebhookDelivery).values(status="sending", next_attempt_at=now + webhooks.LEASE)
        )
        session.commit()

        assert webhooks.deliver_due_webhooks(session, now=now).attempted == 0
        assert webhooks.deliver_due_webhooks(session, now=now + webhooks.LEASE).delivered == 1
        assert len(receiver.received) == 1

    def test_the_admin_api_lists_deliveries(self, client, session, receiver, admin_headers):
        partner = make_partner(session, webhook_url=receiver.url)
        book_through(client, partner)
        receiver.statuses = [500]
        webhooks.deliver_due_webhooks(session)

        response = client.get(f"/v1/admin/partners/{partner.id}/webhook-deliveries", headers=admin_headers)

        assert response.status_code == 200
        [listed] = response.json()
        assert (listed["status"], listed["attempts"], listed["last_status_code"]) == ("pending", 1, 500)


@pytest.fixture(params=BACKENDS)
def committed_engine(request, tmp_path) -> Iterator[Engine]:
    """A scratch database of its own whose rows are committed, so several sessions and threads see them."""
    url, drop = scratch_database(request.param, str(tmp_path))
    migrate_to_head(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop()  # type: ignore[operator]


def queue_deliveries(engine: Engine, url: str, count: int) -> None:
    with Session(engine) as session:
        partner = make_partner(session, webhook_url=url)
        for n in range(count):
            session.add(WebhookDelivery(event_id=f"e{n}", partner_id=partner.id, event="test", body="{}"))
        session.commit()


class TestSeveralSenders:
    def test_concurrent_senders_never_send_a_delivery_twice(self, committed_engine, receiver):
        queue_deliveries(committed_engine, receiver.url, 30)
        receiver.delay = 0.01
        errors: list[BaseException] = []

        def sender() -> None:
            try:
                with Session(committed_engine) as session:
                    while webhooks.deliver_due_webhooks(session, limit=3).attempted:
                        pass
            except BaseException as error:  # surfaced below
                errors.append(error)

        threads = [threading.Thread(target=sender) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert errors == []
        ids = [headers["x-webhook-id"] for headers, _ in receiver.received]
        assert sorted(ids) == sorted(f"e{n}" for n in range(30))
        with Session(committed_engine) as session:
            assert set(session.exec(select(WebhookDelivery.status))) == {"delivered"}


class TestBackgroundSender:
    def test_the_thread_delivers_and_stops(self, committed_engine, receiver, monkeypatch):
        """The sender opens its own sessions on the app engine; started and stopped as the lifespan does."""
        engine = committed_engine
        monkeypatch.setattr(webhooks, "get_engine", lambda: engine)
        queue_deliveries(engine, receiver.url, 1)

        sender = webhooks.WebhookSender(poll_seconds=0.05)
        sender.start()
        try:
            for _ in range(200):
                if receiver.received:
                    break
                threading.Event().wait(0.05)
        finally:
            sender.stop()
        assert sender._thread is not None and not sender._thread.is_alive()
        assert len(receiver.received) == 1
        with Session(engine) as session:
            assert session.exec(select(WebhookDelivery.status)).one() == "delivered"

    def test_the_lifespan_starts_no_sender_when_disabled(self):
        from main import app

        with TestClient(app):
            assert not [t for t in threading.enumerate() if t.name == "webhook-sender"]
