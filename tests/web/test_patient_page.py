"""The patient booking page and the manage page, at phone width first."""

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import DESKTOP, Live, screenshot
from tests.web.flows import (
    WHEN,
    answer_routine_questions,
    book_and_read_code,
    fill_patient,
    find_sites_by_zip,
)

pytestmark = pytest.mark.slow


def new_patient(given_name: str) -> dict[str, str]:
    family = f"Tester{uuid.uuid4().hex[:6]}"
    return {
        "given_name": given_name,
        "family_name": family,
        "birth_date": "1975-04-12",
        "phone": "(626) 555-0199",
        "email": f"{given_name.lower()}.{family.lower()}@example.org",
    }


class TestPatientBooksAndCancels:
    def test_from_triage_to_confirmation_at_phone_width_then_cancel_on_the_manage_page(
        self, live: Live, phone: Any
    ) -> None:
        page = phone
        page.goto(f"{live.url}/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Find the right care and book a visit")
        screenshot(page, "patient-1-questions-phone")

        # Nothing answered: the required questions say so, in place, and nothing else happens.
        page.get_by_role("button", name="See my recommendation").click()
        warning_signs = page.get_by_role("group", name=re.compile("warning signs"))
        expect(warning_signs.locator(".field-error")).to_have_text("Please answer this question.")
        expect(warning_signs.get_by_label("None of these")).to_have_attribute("aria-invalid", "true")

        answer_routine_questions(page)
        expect(page.get_by_text("Pain management consultation").first).to_be_visible()
        expect(page.locator(".reasons li").first).to_be_visible()
        screenshot(page, "patient-2-recommendation-phone")

        find_sites_by_zip(page, "91006")
        first_site = page.locator(".site").first
        expect(first_site.get_by_role("heading")).to_contain_text("Arcadia")
        expect(first_site.locator(".distance")).to_have_text(re.compile(r"\d+(\.\d)? mi"))
        expect(first_site.get_by_role("link", name="(626) 460-1096")).to_be_visible()
        expect(first_site.locator(".chip-button").first).to_have_text(WHEN)
        screenshot(page, "patient-3-sites-phone")

        first_site.get_by_role("button", name=re.compile("See all times")).click()
        expect(page.get_by_role("heading", name="Choose a day and time")).to_be_visible()
        page.locator("#time-picker .time").nth(1).click()
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        expect(page.locator("#hold-countdown")).to_have_text(re.compile(r"^(10:00|9:\d\d)$"))

        # A bad email: the message sits beside the email field, which is marked invalid and described
        # by it, and everything typed stays as it was.
        patient = new_patient("Rosa")
        fill_patient(page, {**patient, "email": "rosa@nowhere"})
        page.get_by_role("button", name="Book appointment").click()
        email = page.get_by_label("Email")
        expect(email).to_have_attribute("aria-invalid", "true")
        error_id = email.get_attribute("aria-describedby").split()[-1]
        expect(page.locator(f"#{error_id}")).to_have_text("Enter an email address, such as name@example.com.")
        expect(email).to_be_focused()
        expect(page.get_by_label("First name")).to_have_value("Rosa")
        expect(page.get_by_label("Date of birth")).to_have_value("1975-04-12")
        screenshot(page, "patient-4-field-error-phone")

        email.fill(patient["email"])
        code = book_and_read_code(page)
        expect(page.locator("#confirmation .when")).to_have_text(WHEN)
        expect(page.locator("#confirmation address")).to_contain_text("51 N. 5th Ave")
        calendar = page.get_by_role("link", name="Add to calendar").get_attribute("href")
        assert calendar.startswith(f"/v1/appointments/{code}/ics?token=")
        ics = httpx.get(live.url + calendar)
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        screenshot(page, "patient-5-confirmation-phone")

        booked = live.patient_appointments(patient["family_name"])
        assert [(a["confirmation_code"], a["status"], a["channel"]) for a in booked] == [
            (code, "booked", "online")
        ], "one booking, however the form was submitted"
        assert booked[0]["triage_id"], "the booking cites the triage it came from"

        page.get_by_role("link", name="Change or cancel").click()
        expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
        expect(page.locator(".code")).to_have_text(f"{code[:4]} {code[4:]}")
        page.get_by_role("button", name="Cancel appointment").click()
        expect(page.get_by_role("heading", name=re.compile("Cancel your appointment on"))).to_be_focused()
        page.get_by_role("button", name="Yes, cancel it").click()
        expect(page.get_by_role("status")).to_have_text("Your appointment is cancelled.")
        expect(page.locator(".status")).to_have_text("Cancelled")
        expect(page.get_by_role("button", name="Cancel appointment")).to_have_count(0)
        screenshot(page, "patient-6-cancelled-phone")

        assert [a["status"] for a in live.patient_appointments(patient["family_name"])] == ["cancelled"]

    def test_the_manage_page_moves_an_appointment_to_another_time(self, live: Live, phone: Any) -> None:
        patient = new_patient("Omar")
        booked = live.book_through_api(patient)
        page = phone
        page.goto(f"{live.url}/manage?code={booked['confirmation_code']}&token={booked['manage_token']}")
        old_when = page.locator(".when").inner_text()
        page.get_by_role("button", name="Move to another time").click()
        expect(page.get_by_role("heading", name="Choose a new time")).to_be_focused()
        page.locator("#move-picker .day").nth(1).click()
        page.locator("#move-picker .time").first.click()
        page.get_by_role("button", name="Yes, move it").click()
        expect(page.get_by_role("status")).to_contain_text("Done: your appointment is now")
        assert page.locator(".when").inner_text() != old_when
        moved = live.patient_appointments(patient["family_name"])
        assert [a["status"] for a in moved] == ["booked"] and moved[0]["start"] != booked["start"]

    def test_a_wrong_code_and_token_pair_shows_a_plain_message(self, live: Live, phone: Any) -> None:
        phone.goto(f"{live.url}/manage?code=ZZZZZZZZ&token=nope")
        expect(phone.get_by_role("alert")).to_contain_text("We could not find an appointment")
        expect(phone.get_by_label("Confirmation code")).to_be_visible()


class TestRedFlags:
    def test_a_red_flag_answer_ends_at_the_emergency_message_with_nothing_to_book(
        self, live: Live, phone: Any
    ) -> None:
        page = phone
        page.goto(f"{live.url}/")
        page.get_by_role("group", name=re.compile("warning signs")).get_by_label(
            "Numbness in the groin, genitals or inner thighs"
        ).check()
        page.get_by_role("group", name=re.compile("main pain")).get_by_label("Lower back").check()
        page.get_by_role("group", name=re.compile("How long")).get_by_label("Less than 6 weeks").check()
        page.get_by_role("button", name="See my recommendation").click()

        emergency = page.locator(".emergency")
        expect(emergency).to_be_visible()
        expect(emergency).to_contain_text("Call 911")
        expect(page.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
        # Nothing to book: no place to search, no sites, no times, no form.
        for name in ("Find sites", "Use my location", "Book appointment"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_label("ZIP code or city")).to_be_hidden()
        expect(page.locator(".site, .time, .chip-button")).to_have_count(0)
        screenshot(page, "emergency-phone")


class TestLanguagesAndWidths:
    def test_spanish_desktop_with_my_location(self, live: Live, browser: Any) -> None:
        context = browser.new_context(
            viewport=DESKTOP,
            geolocation={"latitude": 34.1466, "longitude": -118.2551},  # Glendale
            permissions=["geolocation"],
        )
        page = context.new_page()
        try:
            page.goto(f"{live.url}/?lang=es")
            expect(page.locator("html")).to_have_attribute("lang", "es")
            expect(page.get_by_role("link", name="English")).to_have_attribute("href", "/?lang=en")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Encuentre la atención adecuada y reserve su cita"
            )
            screenshot(page, "patient-1-questions-desktop-es")
            page.get_by_role("group", name=re.compile("señales de alarma")).get_by_label(
                "Ninguna de estas"
            ).check()
            page.get_by_role("group", name=re.compile("dolor principal")).get_by_label(
                "Una articulación", exact=False
            ).check()
            page.get_by_role("group", name=re.compile("cuánto tiempo", re.I)).get_by_label(
                "Menos de 6 semanas"
            ).check()
            page.get_by_role("button", name="Ver mi recomendación").click()
            expect(page.get_by_role("heading", name="Nuestra recomendación")).to_be_visible()
            page.get_by_role("button", name="Usar mi ubicación").click()
            expect(page.get_by_role("heading", name="Centros cerca de usted")).to_be_visible()
            expect(page.locator(".site").first.get_by_role("heading")).to_contain_text("Glendale")
            expect(page.locator(".site .chip-button").first).to_be_visible()
            screenshot(page, "patient-3-sites-desktop-es")
        finally:
            context.close()

    def test_no_horizontal_scrolling_at_360_px(self, live: Live, phone: Any) -> None:
        phone.goto(f"{live.url}/")
        expect(phone.locator("fieldset.question").first).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width} px wide at a 360 px viewport"


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")


def focus_is_visible(page: Any) -> bool:
    return bool(page.evaluate("getComputedStyle(document.activeElement).outlineStyle !== 'none'"))


class TestKeyboardOnly:
    def test_a_patient_books_with_the_keyboard_alone(self, live: Live, phone: Any) -> None:
        page = phone
        page.goto(f"{live.url}/")
        expect(page.locator("fieldset.question").first).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

        tab_to(page, "input[name=red_flags][value=none]")
        assert focus_is_visible(page)
        page.keyboard.press("Space")
        tab_to(page, "input[name=pain_area]")
        page.keyboard.press("Space")  # the first choice: lower back
        tab_to(page, "input[name=duration]")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # more than 3 months
        tab_to(page, "#triage-submit")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Our recommendation")).to_be_focused()

        tab_to(page, "#near")
        page.keyboard.type("91006")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Sites near you")).to_be_focused()

        tab_to(page, ".chip-button")
        assert focus_is_visible(page)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Your details")).to_be_focused()

        patient = new_patient("Kai")
        tab_to(page, "#given-name")
        for value in (patient["given_name"], patient["family_name"]):
            page.keyboard.type(value)
            page.keyboard.press("Tab")
        page.keyboard.type("04121975")  # a date field takes its digits in the locale's order
        tab_to(page, "#phone")
        page.keyboard.type(patient["phone"])
        tab_to(page, "#email")
        page.keyboard.type(patient["email"])
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="You are booked")).to_be_focused()
        assert [a["status"] for a in live.patient_appointments(patient["family_name"])] == ["booked"]


class TestNextAvailable:
    def test_a_bare_next_available_start_from_the_search_is_held_in_one_click(
        self, live: Live, phone: Any
    ) -> None:
        # The locator may return each site's first free start (`next_available`); the page shows it and
        # holds exactly that time when it is chosen, as it does with the times it asks for itself.
        with live.api() as client:
            first = client.get(
                "/v1/availability", params={"service": "pain_consultation", "location": "arcadia", "limit": 1}
            ).json()["slots"][0]

        def with_next_available(route: Any) -> None:
            found = route.fetch().json()
            for result in found["results"]:
                result["next_available"] = first["start"] if result["location"]["slug"] == "arcadia" else None
            route.fulfill(json=found)

        page = phone
        page.route(re.compile(r"/v1/locations\?"), with_next_available)
        page.goto(f"{live.url}/")
        answer_routine_questions(page)
        find_sites_by_zip(page, "91006")
        arcadia = page.locator(".site", has_text="Arcadia")
        expect(arcadia.locator(".chip-button")).to_have_count(1)
        expect(page.locator(".site", has_text="Glendale")).to_contain_text("No free times")
        arcadia.locator(".chip-button").click()
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        # Held: the API no longer offers that provider at that time.
        with live.api() as client:
            taken = client.get(
                "/v1/availability",
                params={"service": "pain_consultation", "location": "arcadia", "limit": 1},
            ).json()["slots"][0]
        assert taken["start"] != first["start"] or taken["provider_id"] != first["provider_id"]
