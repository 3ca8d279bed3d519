"""One error format for the whole API: RFC 9457 `application/problem+json`.

    AppError                      any error a service function raises on purpose
    ├── NotFoundError             404  unknown id, code or slug
    ├── ConflictError             409  duplicate slug, taken slot, ...
    ├── InvalidInputError         422  input the schema accepted but the rules refuse
    ├── AuthenticationRequired    401  no or bad credentials
    ├── PermissionDenied          403  authenticated, wrong role
    └── ServiceUnavailable        503  a dependency (an online geocoder) failed

Request validation errors from FastAPI become the same 422 shape, with `errors` naming each field.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"


class FieldError(BaseModel):
    field: str = Field(description="dotted name of the field, e.g. `patient.birth_date` or `near`")
    location: str = Field(description="`body`, `query`, `path` or `header`")
    message: str


class Problem(BaseModel):
    type: str = Field(description="URI reference identifying the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        slug: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        if slug:
            self.slug = slug
        if title:
            self.title = title

    def to_problem(self, instance: str | None = None) -> "Problem":
        return Problem(
            type=f"{PROBLEM_BASE}{self.slug}",
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class NotFoundError(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConflictError(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInputError(AppError):
    status = 422
    slug = "validation-error"
    title = "Your request is not valid"

    @classmethod
    def for_field(cls, field: str, message: str, *, location: str = "body") -> "InvalidInputError":
        return cls(
            f"{field}: {message}", errors=[FieldError(field=field, location=location, message=message)]
        )


class AuthenticationRequired(AppError):
    status = 401
    slug = "authentication-required"
    title = "Authentication required"

    def __init__(self, detail: str = "Log in and send the token as 'Authorization: Bearer <token>'.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class PermissionDenied(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class ServiceUnavailable(AppError):
    status = 503
    slug = "service-unavailable"
    title = "Temporarily unavailable"


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=f"{PROBLEM_BASE}{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _field_errors_from_validation(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else "body"
        field = ".".join(loc[1:]) if len(loc) > 1 else location
        message = error.get("msg", "is not valid")
        if error.get("type") == "json_invalid":
            field, message = "body", "is not valid JSON"
        errors.append(FieldError(field=field, location=location, message=message))
    return errors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            exc.to_problem(request.url.path).model_dump(exclude_none=True),
            status_code=exc.status,
            headers=exc.headers,
            media_type=PROBLEM_JSON,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors_from_validation(exc)
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            status=422,
            slug=InvalidInputError.slug,
            title=InvalidInputError.title,
            detail=f"Check these fields: {names}.",
            request=request,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = (
            HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
        )
        detail = exc.detail if isinstance(exc.detail, str) else phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}."
        return problem_response(
            status=exc.status_code,
            slug=phrase.lower().replace(" ", "-") or "http-error",
            title=phrase or "HTTP error",
            detail=detail,
            request=request,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            status=500,
            slug="internal-error",
            title="Internal error",
            detail="Something went wrong on our side. Please try again; if it persists, call the practice.",
            request=request,
        )

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database is down, out of connections or locked past the busy timeout: a temporary
        # state the client can retry, not a bug; nothing was committed.
        logger.error("database unavailable on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            status=503,
            slug=ServiceUnavailable.slug,
            title=ServiceUnavailable.title,
            detail="The booking database is busy or unreachable right now; please try again shortly.",
            request=request,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(DataError)
    async def _unstorable_value(request: Request, exc: DataError) -> JSONResponse:
        # The last line of defence: the database refused a value (a number out of its range, text it
        # cannot hold). Input is validated before it gets here, so this also means a missed check:
        # logged in full, answered as the client's bad input that it is, and nothing was changed.
        logger.error("database refused a value on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            status=422,
            slug=InvalidInputError.slug,
            title=InvalidInputError.title,
            detail="A value in the request is out of range or holds characters that cannot be stored.",
            request=request,
        )

    app.add_middleware(RefuseNulInPaths)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each listed status documented as problem+json."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }


class RefuseNulInPaths:
    """Answers a path holding a NUL character (`%00`) with a 404, before any route sees it.

    No id, code or slug contains NUL, so nothing lives at such a path; and PostgreSQL cannot store or
    even compare text holding one (the driver raises), so letting it reach a lookup made a 500.
    Query parameters are checked where they are declared (`core.schemas.Text`), request bodies by
    `core.schemas.InputModel`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "\x00" in scope["path"]:
            response = problem_response(
                status=404,
                slug=NotFoundError.slug,
                title=NotFoundError.title,
                detail="There is nothing at a path holding a NUL (\\x00) character.",
                request=Request(scope),
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
