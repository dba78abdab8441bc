"""Exception handlers: every failure leaves as problem+json, in English and Arabic."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from tansiq.api.middleware import request_id_of
from tansiq.errors import PROBLEM_MEDIA_TYPE, Problem, validation_error

logger = logging.getLogger("tansiq.api")


class FieldError(BaseModel):
    loc: list[str | int]
    type: str
    msg: str
    msg_ar: str


class ProblemBody(BaseModel):
    """RFC 9457 problem details with a stable code and Arabic text beside the English."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    title_ar: str
    detail_ar: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemBody"}}}
# Every API route may answer these; declaring 422 also replaces FastAPI's default shape for it.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemBody, "description": description, "content": _PROBLEM_CONTENT}
    for status, description in (
        (400, "Bad request (cursor, bbox, time range, If-Match, JSON)"),
        (401, "Not signed in, or the token is invalid, expired or revoked"),
        (403, "The role may not do this"),
        (404, "Not found, or not visible to the caller"),
        (409, "Conflict with the current state"),
        (412, "The record changed since the caller read it"),
        (413, "Request body too large"),
        (422, "Validation failed"),
        (429, "Too many failed sign-ins"),
    )
}


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(request_id_of(request.scope), request.url.path),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [validation_error(dict(e)) for e in exc.errors()]
        return problem_response(request, Problem(422, "validation_failed", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "route_not_found", 405: "method_not_allowed", 401: "unauthenticated"}
        problem = Problem(
            exc.status_code,
            codes.get(exc.status_code, "bad_request"),
            headers=dict(exc.headers or {}),
        )
        return problem_response(request, problem)
