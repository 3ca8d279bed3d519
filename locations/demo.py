"""Demo data: the three sites of the California Sports & Spine Institute (seed 003), the three
service lines described from the seeds, realistic visit types, and providers with fictional names.

Loading is idempotent: rows are matched by code, slug or display name and brought up to date.
"""

from datetime import time
from typing import Any

from sqlmodel import Session, select

from locations.models import (
    Location,
    LocationOpeningHours,
    Provider,
    Service,
    ServiceLine,
)

INSTITUTE_PHONE = "(626) 460-1096"

SERVICE_LINES = [
    (
        "interventional_pain",
        "Interventional pain management",
        "Physicians who diagnose the source of chronic, severe or nerve-related pain and relieve it with "
        "targeted treatment: medication management, epidural steroid injections, nerve blocks, "
        "radiofrequency ablation and spinal cord stimulation. For pain lasting over three months, pain "
        "that worsens despite physical therapy, shooting pain, or dependence on pain medication.",
    ),
    (
        "physical_therapy",
        "Physical therapy",
        "Hands-on, drug-free, movement-based care that restores strength, flexibility, posture and "
        "function through exercise, manual therapy and education. The first step for recent "
        "musculoskeletal pain, and the partner of pain treatment for lasting results.",
    ),
    (
        "physiatry",
        "Physiatry (physical medicine and rehabilitation)",
        "Physicians who lead rehabilitation to restore function and independence after stroke, spinal "
        "cord injury, brain injury and other disabling conditions, coordinating therapists, orthotics "
        "and electrodiagnostic studies such as EMG.",
    ),
]

# code, name, line, minutes, bookable online, description
SERVICES = [
    (
        "pain_consultation",
        "Pain management consultation",
        "interventional_pain",
        45,
        True,
        "First visit: history, examination, review of imaging and a treatment plan.",
    ),
    (
        "pain_follow_up",
        "Pain management follow-up",
        "interventional_pain",
        20,
        False,
        "Review of progress and medication with your pain physician.",
    ),
    (
        "epidural_steroid_injection",
        "Epidural steroid injection",
        "interventional_pain",
        30,
        False,
        "Image-guided injection, scheduled by staff after a consultation.",
    ),
    (
        "nerve_block",
        "Nerve block",
        "interventional_pain",
        30,
        False,
        "Image-guided nerve block, scheduled by staff after a consultation.",
    ),
    (
        "radiofrequency_ablation",
        "Radiofrequency ablation",
        "interventional_pain",
        60,
        False,
        "Scheduled by staff after a consultation and a successful diagnostic block.",
    ),
    (
        "spinal_cord_stimulator_trial",
        "Spinal cord stimulator trial",
        "interventional_pain",
        90,
        False,
        "Scheduled by staff after a consultation.",
    ),
    (
        "pt_evaluation",
        "Physical therapy evaluation",
        "physical_therapy",
        60,
        True,
        "First visit: movement and strength assessment and a personal exercise plan.",
    ),
    (
        "pt_session",
        "Physical therapy session",
        "physical_therapy",
        45,
        False,
        "Follow-up treatment session within your plan of care.",
    ),
    (
        "physiatry_consultation",
        "Physiatry (PM&R) consultation",
        "physiatry",
        45,
        True,
        "First visit with a rehabilitation physician: function, goals and a coordinated plan.",
    ),
    (
        "emg_nerve_conduction",
        "EMG and nerve conduction study",
        "physiatry",
        60,
        False,
        "Electrodiagnostic study, scheduled by staff after a consultation.",
    ),
]

WEEKDAY_HOURS = [(day, time(8, 0), time(17, 0)) for day in range(5)]  # Monday to Friday

ALL_PAIN = [
    "pain_consultation",
    "pain_follow_up",
    "epidural_steroid_injection",
    "nerve_block",
    "radiofrequency_ablation",
]
ALL_PT = ["pt_evaluation", "pt_session"]
ALL_PHYSIATRY = ["physiatry_consultation", "emg_nerve_conduction"]

# Addresses and phone from seed 003; coordinates geocoded from the street addresses.
LOCATIONS: list[dict[str, Any]] = [
    {
        "slug": "arcadia",
        "name": "California Sports & Spine Institute, Arcadia",
        "address_line1": "51 N. 5th Ave",
        "address_line2": "Suite B",
        "city": "Arcadia",
        "state": "CA",
        "postal_code": "91006",
        "latitude": 34.1405,
        "longitude": -118.0240,
        "services": ALL_PAIN + ["spinal_cord_stimulator_trial"] + ALL_PT,
    },
    {
        "slug": "glendale",
        "name": "California Sports & Spine Institute, Glendale",
        "address_line1": "317 S Brand Blvd",
        "address_line2": "Suite A-104",
        "city": "Glendale",
        "state": "CA",
        "postal_code": "91204",
        "latitude": 34.1421,
        "longitude": -118.2551,
        "services": ALL_PAIN + ALL_PT + ALL_PHYSIATRY,
    },
    {
        "slug": "palmdale",
        "name": "California Sports & Spine Institute, Palmdale",
        "address_line1": "41210 11th Street West",
        "address_line2": "Suite K",
        "city": "Palmdale",
        "state": "CA",
        "postal_code": "93551",
        "latitude": 34.6336,
        "longitude": -118.1467,
        "services": ALL_PAIN + ALL_PT + ["physiatry_consultation"],
    },
]

# Clearly fictional names; every site has someone for each line it offers.
PROVIDERS = [
    ("Dr. Avery Quillfeather", "MD", ["interventional_pain"], ["arcadia", "glendale"]),
    ("Dr. Rowan Thistledown", "DO", ["interventional_pain"], ["palmdale", "arcadia"]),
    ("Dr. Linnea Sparrowhawk", "MD", ["physiatry", "interventional_pain"], ["glendale"]),
    ("Dr. Teodoro Brightwater", "DO", ["physiatry"], ["palmdale"]),
    ("Jordan Meadowlark", "PT, DPT", ["physical_therapy"], ["arcadia"]),
    ("Priya Stonebridge", "PT, DPT", ["physical_therapy"], ["glendale"]),
    ("Marcus Wildflower", "PT, DPT", ["physical_therapy"], ["palmdale", "glendale"]),
]


def seed_demo_data(*, session: Session) -> None:
    """Create or refresh the demo network; running it again changes nothing."""
    lines = {}
    for code, name, description in SERVICE_LINES:
        line = session.exec(select(ServiceLine).where(ServiceLine.code == code)).first() or ServiceLine(
            code=code
        )
        line.name, line.description = name, description
        session.add(line)
        lines[code] = line
    session.flush()

    services = {}
    for code, name, line_code, minutes, online, description in SERVICES:
        service = session.exec(select(Service).where(Service.code == code)).first()
        if service is None:
            service = Service(code=code, service_line_id=lines[line_code].id, duration_minutes=minutes)
        service.name, service.description = name, description
        service.service_line_id = lines[line_code].id  # type: ignore[assignment]
        service.duration_minutes, service.bookable_online = minutes, online
        session.add(service)
        services[code] = service
    session.flush()

    locations = {}
    for spec in LOCATIONS:
        fields = {k: v for k, v in spec.items() if k != "services"}
        fields |= {"phone": INSTITUTE_PHONE, "timezone": "America/Los_Angeles"}
        location = session.exec(select(Location).where(Location.slug == spec["slug"])).first()
        if location is None:
            location = Location(**fields)
        else:
            for field, value in fields.items():
                setattr(location, field, value)
        hours = [(h.weekday, h.opens_at, h.closes_at) for h in location.opening_hours]
        if hours != WEEKDAY_HOURS:  # replaced only when edited, so a second run writes nothing
            location.opening_hours = [
                LocationOpeningHours(weekday=day, opens_at=opens, closes_at=closes)
                for day, opens, closes in WEEKDAY_HOURS
            ]
        location.services = [services[code] for code in spec["services"]]
        session.add(location)
        locations[spec["slug"]] = location
    session.flush()

    for display_name, credentials, line_codes, slugs in PROVIDERS:
        provider = session.exec(select(Provider).where(Provider.display_name == display_name)).first()
        provider = provider or Provider(display_name=display_name)
        provider.credentials = credentials
        provider.service_lines = [lines[code] for code in line_codes]
        provider.locations = [locations[slug] for slug in slugs]
        session.add(provider)
    session.commit()
