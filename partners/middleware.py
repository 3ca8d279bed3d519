"""What browsers may do with our responses: CORS for partner origins, framing, and safe defaults.

    every response      X-Content-Type-Options: nosniff, Referrer-Policy, and
                        Content-Security-Policy: frame-ancestors 'none' + X-Frame-Options: DENY
    /embed?key=pk_...   frame-ancestors <that partner's allowed origins> instead (no X-Frame-Options):
                        only the partner's pages may frame the booking widget
    /v1/... + Origin    preflight (OPTIONS): 204 with the CORS grant if the origin belongs to some
                        active partner, else 403; actual responses: Access-Control-Allow-Origin only
                        when the request's X-Partner-Key allows that origin. Staff, admin and login
                        routes never answer cross-origin calls.

Allowed origins come from an in-process directory reloaded every few seconds
(`partners.service.origin_directory`), so a preflight costs no query. The route dependency
(`partners.dependencies.request_partner`) still checks key and origin against the database on
every call: this middleware only decides which headers a browser gets.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.database import get_session
from core.errors import problem_response
from partners import service
from partners.service import OriginDirectory

EMBED_PATHS = frozenset({"/embed", "/embed/"})
CORS_PREFIX = "/v1/"
NO_CORS_PREFIXES = ("/v1/staff", "/v1/admin", "/v1/auth")  # logged-in staff only, never cross-origin
ALLOWED_METHODS = "GET, POST, DELETE"
ALLOWED_HEADERS = "Content-Type, X-Partner-Key, Idempotency-Key, X-Manage-Token"
EXPOSED_HEADERS = "Idempotent-Replayed, Retry-After"
PREFLIGHT_MAX_AGE = "600"
NO_FRAMING = "'none'"


class BrowserPolicyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        cors = origin is not None and _cors_path(path)
        allow_origin: str | None = None

        if cors and scope["method"] == "OPTIONS" and "access-control-request-method" in request_headers:
            assert origin is not None
            directory = await self._directory(scope)
            if origin.lower() in directory.origins:
                await _preflight_granted(origin)(scope, receive, _with_policy(send, NO_FRAMING, cors=True))
            else:
                refusal = problem_response(
                    status=403,
                    slug="origin-not-allowed",
                    title="Not allowed",
                    detail=f"The origin {origin} may not call this API from a browser.",
                    request=Request(scope),
                )
                await refusal(scope, receive, _with_policy(send, NO_FRAMING, cors=True))
            return

        if cors:
            assert origin is not None
            key = request_headers.get("x-partner-key")
            if key and not service.is_same_origin(origin, request_headers.get("host")):
                directory = await self._directory(scope)
                if origin.lower() in directory.origins_by_key.get(key, ()):
                    allow_origin = origin

        frame_ancestors = NO_FRAMING
        if path in EMBED_PATHS:
            key = _query_key(scope)
            if key:
                directory = await self._directory(scope)
                frame_ancestors = " ".join(directory.origins_by_key.get(key, ())) or NO_FRAMING

        await self.app(
            scope, receive, _with_policy(send, frame_ancestors, cors=cors, allow_origin=allow_origin)
        )

    async def _directory(self, scope: Scope) -> OriginDirectory:
        cached = service.cached_origin_directory()
        if cached is not None:
            return cached
        app = scope.get("app")
        return await run_in_threadpool(service.origin_directory, lambda: _session_for(app))


def _with_policy(send: Send, frame_ancestors: str, *, cors: bool, allow_origin: str | None = None) -> Send:
    async def send_with_policy(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Content-Security-Policy"] = _with_frame_ancestors(
                headers.get("content-security-policy"), frame_ancestors
            )
            if frame_ancestors == NO_FRAMING:
                headers["X-Frame-Options"] = "DENY"
            elif "x-frame-options" in headers:
                del headers["x-frame-options"]
            headers["X-Content-Type-Options"] = "nosniff"
            if "referrer-policy" not in headers:
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            if cors:
                headers.add_vary_header("Origin")
            if allow_origin is not None:
                headers["Access-Control-Allow-Origin"] = allow_origin
                headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        await send(message)

    return send_with_policy


def _preflight_granted(origin: str) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        },
    )


def _with_frame_ancestors(policy: str | None, frame_ancestors: str) -> str:
    """`policy` (a page's own CSP, if any) with our frame-ancestors directive in place of its own."""
    directives = [d.strip() for d in (policy or "").split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() != "frame-ancestors"]
    return "; ".join([*kept, f"frame-ancestors {frame_ancestors}"])


def _cors_path(path: str) -> bool:
    if not path.startswith(CORS_PREFIX):
        return False
    return not any(path == p or path.startswith(p + "/") for p in NO_CORS_PREFIXES)


def _query_key(scope: Scope) -> str | None:
    query: bytes = scope.get("query_string", b"")
    if b"key=" not in query:
        return None
    values = parse_qs(query.decode("latin-1")).get("key")
    return values[0] if values else None


@contextmanager
def _session_for(app: Any) -> Iterator[Session]:
    # The same session provider the routes use, so an app whose `get_session` is overridden (the
    # tests' per-test transaction) reads through that override here as well.
    overrides = getattr(app, "dependency_overrides", {})
    made = overrides.get(get_session, get_session)()
    if isinstance(made, Session):
        yield made
        return
    try:
        yield next(made)
    finally:
        made.close()
