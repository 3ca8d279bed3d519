"""Admin management of schedules: providers' weekly hours, dated exceptions, site closures."""

from fastapi import APIRouter, Response

from accounts.dependencies import CurrentAdmin
from booking import schedules
from booking.schemas import (
    ScheduleExceptionInput,
    ScheduleExceptionPublic,
    SiteClosureInput,
    SiteClosurePublic,
    WeeklySchedule,
    WeeklyScheduleInput,
)
from core.database import SessionDep
from core.errors import problem_responses

router = APIRouter(
    prefix="/v1/admin", tags=["admin: schedules"], responses=problem_responses(401, 403, 404, 422)
)


@router.get("/providers/{provider_id}/working-hours", response_model=WeeklySchedule)
def get_working_hours(session: SessionDep, _admin: CurrentAdmin, provider_id: int) -> WeeklySchedule:
    """A provider's weekly working hours at each site."""
    return schedules.get_weekly_schedule(session=session, provider_id=provider_id)


@router.put("/providers/{provider_id}/working-hours", response_model=WeeklySchedule)
def replace_working_hours(
    session: SessionDep, _admin: CurrentAdmin, provider_id: int, data: WeeklyScheduleInput
) -> WeeklySchedule:
    """Set a provider's whole week (several intervals a day make breaks); replaces the old hours."""
    return schedules.replace_weekly_schedule(session=session, provider_id=provider_id, data=data)


@router.get("/providers/{provider_id}/exceptions", response_model=list[ScheduleExceptionPublic])
def list_exceptions(
    session: SessionDep, _admin: CurrentAdmin, provider_id: int
) -> list[ScheduleExceptionPublic]:
    """A provider's time off and extra hours."""
    return schedules.list_schedule_exceptions(session=session, provider_id=provider_id)


@router.post("/providers/{provider_id}/exceptions", response_model=ScheduleExceptionPublic, status_code=201)
def add_exception(
    session: SessionDep, _admin: CurrentAdmin, provider_id: int, data: ScheduleExceptionInput
) -> ScheduleExceptionPublic:
    """Add time off (a whole day or part of it) or extra hours on a date."""
    return schedules.add_schedule_exception(session=session, provider_id=provider_id, data=data)


@router.delete("/schedule-exceptions/{exception_id}", status_code=204)
def delete_exception(session: SessionDep, _admin: CurrentAdmin, exception_id: int) -> Response:
    """Remove a time-off or extra-hours entry."""
    schedules.delete_schedule_exception(session=session, exception_id=exception_id)
    return Response(status_code=204)


@router.get("/closures", response_model=list[SiteClosurePublic])
def list_closures(session: SessionDep, _admin: CurrentAdmin) -> list[SiteClosurePublic]:
    """Every site closure (holidays)."""
    return schedules.list_closures(session=session)


@router.post("/closures", response_model=SiteClosurePublic, status_code=201, responses=problem_responses(409))
def add_closure(session: SessionDep, _admin: CurrentAdmin, data: SiteClosureInput) -> SiteClosurePublic:
    """Close one site, or all of them, for a day."""
    return schedules.add_closure(session=session, data=data)


@router.delete("/closures/{closure_id}", status_code=204)
def delete_closure(session: SessionDep, _admin: CurrentAdmin, closure_id: int) -> Response:
    """Reopen: remove a closure."""
    schedules.delete_closure(session=session, closure_id=closure_id)
    return Response(status_code=204)
