"""Steps of the patient flow as a person does them, on a page or inside the widget's iframe.

`where` is a Playwright Page or FrameLocator: both find controls by their labels and roles, the way a
screen-reader user would, so these steps also check that every control has an accessible name.
"""

import re
from typing import Any

from playwright.sync_api import expect

# Chronic low-back pain that physical therapy did not help: a routine pain-management consultation.
ROUTINE_ANSWERS = {
    "warning signs": "None of these",
    "pain": "Lower back",
    "how long": "More than 3 months",
    "physical therapy": "Yes, but nothing changed",
}
WHEN = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}\s?[AP]M P[SD]?T$")


def answer_routine_questions(where: Any) -> None:
    where.get_by_role("group", name=re.compile("warning signs")).get_by_label("None of these").check()
    where.get_by_role("group", name=re.compile("main pain")).get_by_label("Lower back").check()
    where.get_by_role("group", name=re.compile("How long")).get_by_label("More than 3 months").check()
    where.get_by_role("group", name=re.compile("physical therapy for this")).get_by_label(
        "Yes, but nothing changed"
    ).check()
    slider = where.get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")  # moved, so it counts as answered
    where.get_by_role("button", name="See my recommendation").click()


def find_sites_by_zip(where: Any, zip_code: str = "91006") -> None:
    expect(where.get_by_role("heading", name="Our recommendation")).to_be_visible()
    where.get_by_label("ZIP code or city").fill(zip_code)
    where.get_by_role("button", name="Find sites").click()
    expect(where.get_by_role("heading", name="Sites near you")).to_be_visible()


def pick_first_time(where: Any) -> None:
    """Open the nearest site's calendar and take a time a little into its first free day."""
    where.get_by_role("button", name=re.compile("See all times")).first.click()
    expect(where.get_by_role("heading", name="Choose a day and time")).to_be_visible()
    times = where.locator("#time-picker .time")
    expect(times.first).to_be_visible()
    times.nth(min(2, times.count() - 1)).click()
    expect(where.get_by_role("heading", name="Your details")).to_be_visible()


def fill_patient(where: Any, patient: dict[str, str]) -> None:
    where.get_by_label("First name").fill(patient["given_name"])
    where.get_by_label("Last name").fill(patient["family_name"])
    where.get_by_label("Date of birth").fill(patient["birth_date"])
    where.get_by_label("Mobile phone").fill(patient["phone"])
    where.get_by_label("Email").fill(patient["email"])


def book_and_read_code(where: Any) -> str:
    where.get_by_role("button", name="Book appointment").click()
    expect(where.get_by_role("heading", name="You are booked")).to_be_visible()
    code = where.locator("#confirmation .code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[0-9A-Z]{8}", code), code
    return str(code)
