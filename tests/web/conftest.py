"""Browser tests of the front doors: a real server, a real Chromium, the pages as people use them.

live          one `uvicorn main:app` (tests/live_server.py) on a fresh SQLite database prepared with
              `python main.py migrate` and `seed-demo`, plus an admin account, for the whole session
browser       Debian's Chromium driven by Playwright (`playwright install` cannot download browsers
              here; .ci/run installs the `chromium` package when it is missing)
phone/desktop a new browser context per test at 360x740 or 1366x900
screenshot()  saves test-output/screenshots/<name>.png for a reviewer to look at
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import PROJECT_ROOT, LiveServer, create_admin, prepare_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
ADMIN_EMAIL = "web.admin@example.org"
ADMIN_PASSWORD = "web-admin-password-1"
# Any webhook sender a partner backend runs stays quiet: these tests never reach out of the machine.
SERVER_ENV = {"WEBHOOKS_ENABLED": "false"}


@dataclass
class Live:
    """The running server, and an admin logged in to its API."""

    server: LiveServer
    admin_headers: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def create_staff(self, role: str) -> tuple[str, str]:
        email, password = (
            f"{role}.{uuid.uuid4().hex[:8]}@example.org",
            f"{role}-password-{uuid.uuid4().hex[:6]}",
        )
        with self.api() as client:
            response = client.post(
                "/v1/admin/staff",
                headers=self.admin_headers,
                json={
                    "email": email,
                    "full_name": f"Test {role.title()}",
                    "role": role,
                    "password": password,
                },
            )
        assert response.status_code == 201, response.text
        return email, password

    def book_through_api(self, patient: dict[str, str], service: str = "pain_consultation") -> dict[str, Any]:
        """Book the first free slot of `service` as a patient would through the public API."""
        with self.api() as client:
            slot = client.get("/v1/availability", params={"service": service, "limit": 1}).json()["slots"][0]
            hold = client.post(
                "/v1/holds", json={k: slot[k] for k in ("service", "location_id", "provider_id", "start")}
            )
            assert hold.status_code == 201, hold.text
            booked = client.post("/v1/appointments", json={"hold_id": hold.json()["id"], "patient": patient})
        assert booked.status_code == 201, booked.text
        return dict(booked.json())

    def patient_appointments(self, family_name: str) -> list[dict[str, Any]]:
        """Every appointment of the patients with this family name, as the staff API shows them."""
        with self.api() as client:
            patients = client.get(
                "/v1/staff/patients", params={"name": family_name}, headers=self.admin_headers
            ).json()
            found: list[dict[str, Any]] = []
            for patient in patients:
                found += client.get(
                    f"/v1/staff/patients/{patient['id']}/appointments", headers=self.admin_headers
                ).json()
        return found


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('web')}/web.db"
    prepare_database(database_url, **SERVER_ENV)
    create_admin(database_url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, name="Web Admin")
    with LiveServer(database_url, workers=1, **SERVER_ENV) as server:
        token = httpx.post(
            f"{server.url}/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert token.status_code == 200, token.text
        yield Live(server, {"Authorization": f"Bearer {token.json()['access_token']}"})
        errors = server.errors_logged()
        assert not errors, f"the server logged errors:\n{server.first_error()}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (bash .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser: Any, viewport: dict[str, int], **options: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.page_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))  # type: ignore[attr-defined]
    yield page
    errors = page.page_errors  # type: ignore[attr-defined]
    context.close()
    assert not errors, f"uncaught script errors on the page: {errors}"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from _context(browser, PHONE)


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    yield from _context(browser, DESKTOP)


@pytest.fixture(scope="session", autouse=True)
def _screenshots_dir() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def screenshot(page: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
