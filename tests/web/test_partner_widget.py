"""The partner widget: one script tag on a partner's page embeds the booking flow.

The partner's pages are served by a tiny http.server of our own on 127.0.0.1: the allowed origin on one
port and a disallowed one on another (a different port is a different origin). The partner itself is
created through the admin API, as an operator would.
"""

import functools
import http.server
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.live_server import free_port
from tests.web.conftest import Live, screenshot
from tests.web.flows import (
    answer_routine_questions,
    book_and_read_code,
    fill_patient,
    find_sites_by_zip,
    pick_first_time,
)
from tests.web.test_patient_page import new_patient

pytestmark = pytest.mark.slow

PARTNER_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Peak Fitness: book a physio visit</title></head>
<body style="font-family: sans-serif; margin: 0; background: #fafafa">
  <header style="padding: 16px 24px; background: #222; color: #fff"><strong>Peak Fitness</strong></header>
  <main style="max-width: 720px; margin: 24px auto; padding: 0 16px">
    <h1>Book with our clinical partner</h1>
    <script src="{server}/widget.js" data-partner-key="{key}" async></script>
    <p id="after-widget">Questions? Ask at the front desk.</p>
  </main>
</body>
</html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class PartnerSite:
    """A directory served over HTTP on 127.0.0.1:<port>: the partner's origin."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "PartnerSite":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def partner_pages(tmp_path: Path) -> Iterator[tuple[PartnerSite, PartnerSite]]:
    with PartnerSite(tmp_path) as allowed, PartnerSite(tmp_path) as disallowed:
        yield allowed, disallowed


def create_partner(live: Live, origin: str) -> dict[str, Any]:
    with live.api() as client:
        response = client.post(
            "/v1/admin/partners",
            headers=live.admin_headers,
            json={"name": f"Peak Fitness {uuid.uuid4().hex[:6]}", "allowed_origins": [origin]},
        )
    assert response.status_code == 201, response.text
    partner = dict(response.json())
    assert partner["publishable_key"].startswith("pk_")
    return partner


def widget_frame(page: Any) -> Any:
    return page.frame_locator("iframe[data-booking-widget]")


class TestPartnerWidget:
    def test_on_an_allowed_origin_the_widget_books_for_the_partner(
        self, live: Live, desktop: Any, partner_pages: tuple[PartnerSite, PartnerSite], tmp_path: Path
    ) -> None:
        allowed, _ = partner_pages
        partner = create_partner(live, allowed.origin)
        (tmp_path / "index.html").write_text(
            PARTNER_PAGE.format(server=live.url, key=partner["publishable_key"])
        )

        page = desktop
        page.goto(f"{allowed.origin}/index.html")
        iframe = page.locator("iframe[data-booking-widget]")
        expect(iframe).to_have_attribute("src", f"{live.url}/embed?key={partner['publishable_key']}")
        # The iframe sits right after the tag, and grows to its content's height when it reports it.
        assert (
            page.evaluate("document.querySelector('script[data-partner-key]').nextElementSibling.tagName")
            == "IFRAME"
        )
        frame = widget_frame(page)
        expect(frame.locator("fieldset.question").first).to_be_visible()
        expect(iframe).not_to_have_attribute("style", re.compile(r"height: 640px"))
        frame_height = iframe.bounding_box()["height"]
        content_height = frame.locator("html").evaluate("e => e.getBoundingClientRect().height")
        assert abs(frame_height - content_height) <= 2, (frame_height, content_height)

        answer_routine_questions(frame)
        find_sites_by_zip(frame, "91006")
        pick_first_time(frame)
        patient = new_patient("Mia")
        fill_patient(frame, patient)
        code = book_and_read_code(frame)
        expect(frame.get_by_role("link", name="Change or cancel")).to_have_attribute("target", "_blank")
        screenshot(page, "widget-1-booked-on-partner-page")

        [appointment] = live.patient_appointments(patient["family_name"])
        assert appointment["confirmation_code"] == code
        assert appointment["channel"] == "partner"
        if "partner_id" in appointment:
            assert appointment["partner_id"] == partner["id"]

    def test_on_a_disallowed_origin_the_browser_refuses_to_frame_it(
        self, live: Live, desktop: Any, partner_pages: tuple[PartnerSite, PartnerSite], tmp_path: Path
    ) -> None:
        allowed, disallowed = partner_pages
        partner = create_partner(live, allowed.origin)
        (tmp_path / "index.html").write_text(
            PARTNER_PAGE.format(server=live.url, key=partner["publishable_key"])
        )

        refused: list[str] = []
        page = desktop
        page.on(
            "console",
            lambda message: refused.append(message.text) if "frame-ancestors" in message.text else None,
        )
        with page.expect_response(re.compile(r"/embed\?key=")) as embed:
            page.goto(f"{disallowed.origin}/index.html")
        policy = embed.value.headers.get("content-security-policy", "")
        assert "frame-ancestors" in policy and allowed.origin in policy and disallowed.origin not in policy
        expect(page.locator("#after-widget")).to_be_visible()
        page.wait_for_timeout(1000)  # give a refused frame every chance to have loaded anyway

        # Chromium replaced the framed document with its error page: none of the flow is there, and it
        # never reported a height, so the iframe keeps its initial size.
        frame = next(f for f in page.frames if f != page.main_frame)
        assert not frame.url.startswith(f"{live.url}/embed") or frame.locator("#flow").count() == 0
        expect(page.locator("iframe[data-booking-widget]")).to_have_attribute(
            "style", re.compile(r"height: 640px")
        )
        assert refused, "Chromium reports the frame-ancestors refusal on the console"
        screenshot(page, "widget-2-refused-on-disallowed-origin")
