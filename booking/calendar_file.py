"""An appointment as an RFC 5545 calendar file, for "add to calendar"."""

from icalendar import Calendar, Event, vText
from sqlmodel import Session

from booking.models import Appointment, AppointmentStatus
from core.database import utc_now
from locations.models import Location, Provider, Service

PRODUCT_ID = "-//Practice booking//Appointments//EN"


def appointment_calendar(session: Session, row: Appointment) -> bytes:
    """The appointment as a one-event calendar; SEQUENCE follows its changes."""
    service = session.get(Service, row.service_id)
    location = session.get(Location, row.location_id)
    provider = session.get(Provider, row.provider_id)
    assert service and location and provider
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{row.id}@practice-booking")
    event.add("dtstamp", utc_now())
    event.add("dtstart", row.starts_at)  # UTC; every calendar shows it in the reader's own zone
    event.add("dtend", row.ends_at)
    # Calendars replace an event they already hold when SEQUENCE grows: a moved visit moves there too.
    event.add("sequence", row.revision)
    event.add("status", "CANCELLED" if row.status == AppointmentStatus.cancelled else "CONFIRMED")
    event.add("summary", f"{service.name} with {provider.display_name}")
    address = ", ".join(
        part
        for part in (
            location.address_line1,
            location.address_line2,
            location.city,
            f"{location.state} {location.postal_code}",
        )
        if part
    )
    event.add("location", vText(f"{location.name}, {address}"))
    event["geo"] = f"{location.latitude};{location.longitude}"
    event.add(
        "description",
        f"Confirmation code: {row.confirmation_code}\n"
        f"To cancel or reschedule, use your confirmation link or call {location.phone}.",
    )
    calendar.add_component(event)
    return calendar.to_ical()
