"""Assertions on RFC 9457 problem responses, shared by the API tests."""

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None, location: str | None = None
) -> dict[str, Any]:
    """The response is a problem+json of `status`; with `field`, its `errors` name that field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    assert problem["title"] and problem["detail"]
    if field is not None:
        named = [(e["field"], e["location"]) for e in problem.get("errors", [])]
        assert any(f == field and (location is None or loc == location) for f, loc in named), (
            f"{field!r} ({location}) not among {named}"
        )
    return problem
