"""Exception handlers: every failure leaves as problem+json, in English and Arabic."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tansiq.api.middleware import request_id_of
from tansiq.errors import PROBLEM_MEDIA_TYPE, Problem
from tansiq.i18n.catalogue import catalogue, message

logger = logging.getLogger("tansiq.api")


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(request_id_of(request.scope), request.url.path),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _field_error(err: dict[str, Any]) -> dict[str, Any]:
    kind = str(err.get("type", "value_error"))
    ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    key = f"validation.{kind}" if f"validation.{kind}" in catalogue() else "validation.default"
    return {
        "loc": list(err.get("loc", ())),
        "type": kind,
        "msg": message(key, "en", **ctx),
        "msg_ar": message(key, "ar", **ctx),
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(dict(e)) for e in exc.errors()]
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
