"""ASGI middleware: request ids, security headers and the request body limit."""

from __future__ import annotations

import logging
import re
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tansiq.audit import context as audit_context
from tansiq.errors import PROBLEM_MEDIA_TYPE, Problem

logger = logging.getLogger("tansiq.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
API_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


class HeadersMiddleware:
    """Give every request an id (the client's, if it is safe to echo) and every response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        is_api = scope["path"].startswith("/api/")
        client = scope.get("client")
        # Who is acting and from where, for the audit trail of whatever this request changes.
        audit_context.current.set(
            audit_context.RequestContext(request_id=rid, client=client[0] if client else None)
        )

        started = False
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            # NUL cannot be stored or compared on PostgreSQL; refuse it wherever it arrives.
            if scope["type"] == "http":
                payload = orjson.dumps(Problem(400, "nul_character").body(rid, None))
                await send_with_headers_start(send, rid, is_api, 400, payload)
            return

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(SECURITY_HEADERS)
                if is_api:
                    names = {h[0].lower() for h in headers}
                    headers.extend(h for h in API_HEADERS if h[0] not in names)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Caught here, inside this middleware, so even a 500 carries the request id and
            # the security headers, and says nothing about the internals.
            logger.exception("unhandled error, request id %s", rid)
            if started or scope["type"] != "http":
                raise
            payload = orjson.dumps(Problem(500, "internal_error").body(rid, scope.get("path")))
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": payload})


async def send_with_headers_start(
    send: Send, rid: str, is_api: bool, status: int, payload: bytes
) -> None:
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        (b"x-request-id", rid.encode()),
        *SECURITY_HEADERS,
        *(API_HEADERS if is_api else []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse bodies over the limit before any of them reaches a handler or the database."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(scope, send)
                return
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        problem = Problem(413, "body_too_large", limit=self.max_bytes)
        payload = orjson.dumps(problem.body(request_id_of(scope), scope.get("path")))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
