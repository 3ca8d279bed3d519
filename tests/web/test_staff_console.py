"""The call-center console: an agent on a call finds the caller and books for them."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Live, screenshot
from tests.web.test_patient_page import new_patient

pytestmark = pytest.mark.slow


def log_in(page: Any, live: Live, email: str, password: str) -> None:
    page.goto(f"{live.url}/staff")
    login = page.locator("#login-form")
    login.get_by_label("Email").fill(email)
    login.get_by_label("Password").fill(password)
    login.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Call-center console")).to_be_visible()


class TestAgentBooksForACaller:
    def test_agent_logs_in_finds_the_patient_and_books_for_them(self, live: Live, desktop: Any) -> None:
        patient = new_patient("Lena")
        first = live.book_through_api(patient)  # the caller booked online once before
        email, password = live.create_staff("agent")
        page = desktop

        log_in(page, live, email, password)
        expect(page.locator("#who-role")).to_have_text("Agent")
        expect(page.get_by_role("heading", name="Administration")).to_be_hidden()

        # The caller gives their name and date of birth.
        caller = page.locator("#caller-panel")
        search = page.locator("#patient-search")
        search.get_by_label("Name", exact=True).fill(patient["family_name"])
        search.get_by_label("Date of birth").fill(patient["birth_date"])
        search.get_by_role("button", name="Find patient").click()
        caller.get_by_role("button", name=re.compile(f"Select {patient['given_name']}")).click()
        expect(caller.locator(".patient-card")).to_contain_text(
            f"{patient['given_name']} {patient['family_name']}"
        )
        expect(caller.locator(".patient-appointments li")).to_have_count(1)
        expect(caller.locator(".patient-appointments")).to_contain_text(first["confirmation_code"])

        # The same triage, read aloud: a recent joint problem suggests a physical therapy evaluation.
        booking = page.locator("#booking-panel")
        booking.get_by_role("group", name=re.compile("warning signs")).get_by_label("None of these").check()
        booking.get_by_role("group", name=re.compile("main pain")).get_by_label(re.compile("A joint")).check()
        booking.get_by_role("group", name=re.compile("How long")).get_by_label("Less than 6 weeks").check()
        booking.get_by_role("button", name="Assess").click()
        expect(booking.locator(".recommended-service")).to_have_text("Physical therapy evaluation")
        expect(booking.get_by_label("Visit type")).to_have_value("pt_evaluation")

        booking.get_by_label("ZIP code or city").fill("91204")
        booking.get_by_role("button", name="Find sites").click()
        expect(booking.locator(".site").first.get_by_role("heading")).to_contain_text("Glendale")
        booking.locator(".site").first.locator(".chip-button").first.click()
        book = booking.get_by_role(
            "button", name=f"Book for {patient['given_name']} {patient['family_name']}"
        )
        book.click()
        code = booking.locator(".big-code").inner_text().replace(" ", "")
        assert re.fullmatch(r"[0-9A-Z]{8}", code), code
        expect(booking.locator(".readback")).to_contain_text("Read this code back to the caller")
        expect(caller.locator(".patient-appointments li")).to_have_count(2)
        screenshot(page, "staff-1-booked-for-caller-desktop")

        appointments = {a["confirmation_code"]: a for a in live.patient_appointments(patient["family_name"])}
        assert set(appointments) == {first["confirmation_code"], code}, "booked for the same patient record"
        assert appointments[code]["channel"] == "phone"
        assert appointments[code]["service"] == "pt_evaluation"
        assert appointments[code]["created_by_staff_id"] is not None

        # The site's day sheet for that day lists the caller.
        day = appointments[code]["start"][:10]
        sheet = page.locator("#daysheet-panel")
        sheet.get_by_label("Site").select_option(label="California Sports & Spine Institute, Glendale")
        sheet.get_by_label("Date").fill(day)
        sheet.get_by_role("button", name="Show day").click()
        row = sheet.locator("tr", has_text=code)
        expect(row).to_contain_text(f"{patient['given_name']} {patient['family_name']}")

        # Open it from the day sheet, cancel for the caller, and read the history.
        row.get_by_role("button", name=re.compile("Open")).click()
        panel = page.locator("#appointment-panel")
        expect(panel.get_by_role("heading", level=2)).to_contain_text(f"{code[:4]} {code[4:]}")
        panel.get_by_role("button", name="Cancel", exact=True).click()
        panel.get_by_role("button", name="Yes, cancel it").click()
        expect(panel.locator("#appointment-alert")).to_have_text("Your appointment is cancelled.")
        expect(panel.locator(".audit li")).to_have_count(2)
        expect(panel.locator(".audit li").last).to_contain_text("Cancelled")
        expect(panel.locator(".audit li").last).to_contain_text(email)
        screenshot(page, "staff-2-appointment-history-desktop")

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0

    def test_a_wrong_password_is_said_plainly(self, live: Live, desktop: Any) -> None:
        desktop.goto(f"{live.url}/staff")
        desktop.locator("#login-form").get_by_label("Email").fill("nobody@example.org")
        desktop.locator("#login-form").get_by_label("Password").fill("wrong-password")
        desktop.get_by_role("button", name="Log in").click()
        expect(desktop.locator("#login-form .form-alert")).to_contain_text("The email or password is wrong")


class TestAdminTools:
    def test_an_admin_closes_a_site_for_a_day_and_sees_the_weekly_hours(
        self, live: Live, desktop: Any
    ) -> None:
        email, password = live.create_staff("admin")
        log_in(desktop, live, email, password)
        admin = desktop.locator("#admin-panel")
        expect(admin.get_by_role("link", name=re.compile("Admin API"))).to_have_attribute("href", "/docs#/")
        closure = admin.locator("#closure-form")
        closure.get_by_label("Site").select_option(label="California Sports & Spine Institute, Palmdale")
        closure.get_by_label("Date").fill("2027-07-05")
        closure.get_by_label("Reason").fill("Independence Day (observed)")
        closure.get_by_role("button", name="Close for the day").click()
        expect(admin.locator("#closures")).to_contain_text("Independence Day (observed)")
        expect(admin.locator(".hours-row").first).to_be_visible()
        screenshot(desktop, "staff-3-admin-desktop")
        with live.api() as client:
            closures = client.get("/v1/admin/closures", headers=live.admin_headers).json()
        assert any(
            c["on_date"] == "2027-07-05" and c["reason"] == "Independence Day (observed)" for c in closures
        )
