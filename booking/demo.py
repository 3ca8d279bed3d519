"""Demo schedules: realistic weekly hours for the demo providers, so a fresh start shows free slots."""

from datetime import time

from sqlalchemy import delete, select
from sqlmodel import Session

from booking.models import ProviderWorkingHours
from locations.demo import PROVIDERS
from locations.models import Location, Provider

MORNING = (time(8, 0), time(12, 0))
AFTERNOON = (time(13, 0), time(17, 0))  # 12:00-13:00 is lunch


def seed_demo_schedules(*, session: Session) -> None:
    """Give each demo provider weekday hours at their sites (a provider with two sites splits the
    week between them); running it again resets them to the same hours."""
    slugs_by_id: dict[int, str] = dict(session.execute(select(Location.id, Location.slug)).all())
    for display_name, _credentials, _lines, slugs in PROVIDERS:
        provider = session.execute(select(Provider).where(Provider.display_name == display_name)).scalar()
        if provider is None:
            continue
        ids_by_slug = {slug: location_id for location_id, slug in slugs_by_id.items()}
        site_ids = [ids_by_slug[slug] for slug in slugs if slug in ids_by_slug]
        session.execute(delete(ProviderWorkingHours).where(ProviderWorkingHours.provider_id == provider.id))
        for weekday in range(5):  # Monday to Friday
            location_id = site_ids[weekday % len(site_ids)] if len(site_ids) > 1 else site_ids[0]
            for starts_at, ends_at in (MORNING, AFTERNOON):
                session.add(
                    ProviderWorkingHours(
                        provider_id=provider.id,
                        location_id=location_id,
                        weekday=weekday,
                        starts_at=starts_at,
                        ends_at=ends_at,
                    )
                )
    session.commit()
