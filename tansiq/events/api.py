"""The live feed over WebSocket (/api/v1/feed) and Server-Sent Events (/api/v1/feed/sse).

A client that connects with `since=<seq>` first gets every later event it may see, read from
the log, then live events from the hub; the hub queue is opened before the log is read and
holds only events after the replay's end, so nothing is missed or repeated at the seam.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, WebSocket
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.websockets import WebSocketDisconnect

from tansiq.access import service as access
from tansiq.access.policy import Principal
from tansiq.access.security import CHALLENGE, decode_token
from tansiq.api.deps import StoreDep, Who
from tansiq.api.middleware import request_id_of
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit.writer import DeliveryAuditor
from tansiq.config import Settings
from tansiq.errors import PROBLEM_MEDIA_TYPE, Problem
from tansiq.events import log
from tansiq.events.hub import FeedHub, Subscriber
from tansiq.events.types import Event
from tansiq.store.db import Store

router = APIRouter(prefix="/api/v1/feed", tags=["feed"], responses=PROBLEM_RESPONSES)
HEARTBEAT_S = 15.0
CLOSE_GRACE_S = 2.0
CLOSE_CODES = {
    "feed_too_slow": 4008,
    "token_revoked": 4001,
    "token_expired": 4001,
    "server_shutdown": 1001,
}


def _authenticate(
    store: Store, settings: Settings, authorization: str | None, ticket: str | None
) -> tuple[Principal, datetime]:
    """A bearer token in the Authorization header, or a feed ticket in the query (browsers)."""
    if authorization and authorization.lower().startswith("bearer "):
        token, purpose = authorization[7:].strip(), "access"
    elif ticket:
        token, purpose = ticket, "feed"
    else:
        raise Problem(401, "unauthenticated", headers=CHALLENGE)
    with store.read() as session:
        principal = access.principal_for_token(session, settings.signing_key, token, purpose)
    return principal, decode_token(settings.signing_key, token, purpose).expires_at


def _read_head(store: Store) -> int:
    with store.read() as session:
        return log.head(session)


def _replay_batch(store: Store, who: Principal, after: int, until: int, limit: int) -> list[Event]:
    with store.read() as session:
        return log.read_visible(
            session,
            after=after,
            until=until,
            agency_id=who.agency_id,
            clearance=int(who.clearance),
            limit=limit,
        )


async def _open(
    app_state: Any, headers: Any, since: int | None, ticket: str | None
) -> tuple[Principal, datetime, Subscriber, int, int]:
    """Authenticate, check `since`, and register with the hub: (who, expiry, sub, after, until)."""
    store: Store = app_state.store
    hub: FeedHub = app_state.hub
    settings: Settings = app_state.settings
    who, expires = await asyncio.to_thread(
        _authenticate, store, settings, headers.get("authorization"), ticket
    )
    if since is not None:
        head = max(hub.head, await asyncio.to_thread(_read_head, store))
        if since < 0 or since > head:
            raise Problem(400, "feed_since_out_of_range", head=head)
    floor = hub.head if since is None else since
    sub, replay_to = hub.subscribe(who, floor, settings.feed_queue_max)
    return who, expires, sub, floor, replay_to


async def _pump(
    store: Store,
    who: Principal,
    sub: Subscriber,
    after: int,
    until: int,
    batch: int,
    deadline: datetime,
    emit: Callable[[Event], Awaitable[None]],
    auditor: DeliveryAuditor,
    idle: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """Send the replay, then live events, until the subscriber is closed; returns why it ended.

    Deliveries of classified events are recorded before they are sent, so a crash can never
    leave a delivery without its audit entry."""
    last = after
    while last < until:
        events = await asyncio.to_thread(_replay_batch, store, who, last, until, batch)
        if not events:
            break
        await auditor.record(who, events)
        for event in events:
            await emit(event)
        last = events[-1].seq
    while True:
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            return "token_expired"
        try:
            async with asyncio.timeout(min(remaining, HEARTBEAT_S)):
                events = await sub.next_batch()
        except TimeoutError:
            if idle is not None:
                await idle()
            continue
        await auditor.record(who, events)
        for event in events:
            await emit(event)
        if sub.closed and not events:
            return sub.closed


def _closing_message(code: str, last_seq: int) -> str:
    problem = Problem(400, code)
    return orjson.dumps(
        {
            "seq": last_seq,
            "type": "feed.closed",
            "data": {
                "code": code,
                "detail": problem.detail("en"),
                "detail_ar": problem.detail("ar"),
            },
        }
    ).decode()


@router.websocket("")
async def feed_websocket(
    websocket: WebSocket,
    since: Annotated[int | None, Query()] = None,
    ticket: Annotated[str | None, Query(max_length=2048)] = None,
) -> None:
    """Live events as JSON text messages: {"seq", "type", "at", "record", "data"}."""
    state = websocket.app.state
    try:
        who, expires, sub, after, until = await _open(state, websocket.headers, since, ticket)
    except Problem as problem:
        body = problem.body(request_id_of(websocket.scope), websocket.url.path)
        with contextlib.suppress(RuntimeError):
            await websocket.send_denial_response(
                JSONResponse(
                    body,
                    status_code=problem.status,
                    headers=problem.headers,
                    media_type=PROBLEM_MEDIA_TYPE,
                )
            )
            return
        await websocket.close(code=1008)
        return
    hub: FeedHub = state.hub
    auditor: DeliveryAuditor = state.auditor
    last_sent = after
    try:
        await websocket.accept()

        async def emit(event: Event) -> None:
            nonlocal last_sent
            await websocket.send({"type": "websocket.send", "text": event.wire()})
            last_sent = event.seq

        async def drain_client() -> None:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

        pump = asyncio.create_task(
            _pump(
                state.store,
                who,
                sub,
                after,
                until,
                state.settings.feed_replay_batch,
                expires,
                emit,
                auditor,
            )
        )
        reader = asyncio.create_task(drain_client())
        # A client that stops reading blocks its own sends, not the hub; once its queue is closed
        # it gets a short grace period before the connection is cut.
        loop = asyncio.get_running_loop()
        sub.on_close = lambda: loop.call_later(CLOSE_GRACE_S, pump.cancel)
        done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        reader.cancel()
        if pump in done:
            reason = (sub.closed or "server_shutdown") if pump.cancelled() else pump.result()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.send_text(_closing_message(reason, last_sent)), 1)
                await asyncio.wait_for(websocket.close(code=CLOSE_CODES.get(reason, 1011)), 1)
        else:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await pump
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away (or the server is stopping) during the handshake or a send
    finally:
        hub.unsubscribe(sub)


@router.get("/sse", response_class=StreamingResponse)
async def feed_sse(
    request: Request,
    since: Annotated[int | None, Query()] = None,
    ticket: Annotated[str | None, Query(max_length=2048)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Live events as Server-Sent Events; `Last-Event-ID` (or `since`) resumes after that seq."""
    if since is None and last_event_id:
        try:
            since = int(last_event_id)
        except ValueError:
            raise Problem(400, "feed_since_out_of_range", head="?") from None
    state = request.app.state
    who, expires, sub, after, until = await _open(state, request.headers, since, ticket)
    hub: FeedHub = state.hub
    auditor: DeliveryAuditor = state.auditor

    async def stream() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1024)
        last_sent = after

        async def emit(event: Event) -> None:
            nonlocal last_sent
            await queue.put(event.sse())
            last_sent = event.seq

        async def idle() -> None:
            await queue.put(b": keep-alive\n\n")

        async def run() -> None:
            reason = await _pump(
                state.store,
                who,
                sub,
                after,
                until,
                state.settings.feed_replay_batch,
                expires,
                emit,
                auditor,
                idle,
            )
            message = _closing_message(reason, last_sent)
            await queue.put(f"event: feed.closed\ndata: {message}\n\n".encode())
            await queue.put(None)

        task = asyncio.create_task(run())
        try:
            yield b"retry: 2000\n\n"
            while (chunk := await queue.get()) is not None:
                yield chunk
        finally:
            task.cancel()
            hub.unsubscribe(sub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/head")
def feed_head(who: Who, store: StoreDep) -> dict[str, int]:
    """The newest sequence number, for clients deciding where to start."""
    return {"seq": _read_head(store)}
