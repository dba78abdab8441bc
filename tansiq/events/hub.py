"""The live feed hub: puts committed events in order and fans them out to subscribers.

Each subscriber has its own bounded queue, filtered by the same visibility rule as every query.
Position reports for a unit still waiting in a queue are replaced by the newer one (latest
wins), keeping order by sequence; incident events are never dropped or reordered. A subscriber
whose queue fills anyway is told it is too slow and disconnected, so it cannot slow anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tansiq.access.policy import Principal
from tansiq.access.principals import ACCESS_EVENTS
from tansiq.events import log
from tansiq.events.types import Event

if TYPE_CHECKING:
    from tansiq.events.bus import EventBus
    from tansiq.store.db import Store

logger = logging.getLogger(__name__)

GAP_WAIT_S = 0.05  # an out-of-order publish from another thread normally arrives within this
CATCH_UP_BATCH = 1000
POLL_S = 0.5  # events committed by another process, or whose publish was lost, arrive within this


class _Entry:
    __slots__ = ("alive", "event")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.alive = True


class Subscriber:
    """One connection's view of the feed."""

    def __init__(self, principal: Principal, *, floor: int, max_queue: int) -> None:
        self.principal = principal
        self.floor = floor  # events at or below it were (or will be) sent by replay
        self.max_queue = max_queue
        self.closed: str | None = None  # the error code it was closed with
        self.on_close: Callable[[], object] | None = None
        self._queue: deque[_Entry] = deque()
        self._latest: dict[str, _Entry] = {}
        self._live = 0
        self._ready = asyncio.Event()

    def offer(self, event: Event) -> None:
        if self.closed or event.seq <= self.floor or not self.principal.sees(event.audience):
            return
        key = event.coalesce_key
        if key is not None:
            old = self._latest.get(key)
            if old is not None and old.alive:
                old.alive = False
                self._live -= 1
        if self._live >= self.max_queue:
            self.close("feed_too_slow")
            return
        entry = _Entry(event)
        self._queue.append(entry)
        self._live += 1
        if key is not None:
            self._latest[key] = entry
        self._ready.set()

    def close(self, code: str) -> None:
        if self.closed is None:
            self.closed = code
            self._ready.set()
            if self.on_close is not None:
                self.on_close()

    async def next_batch(self, limit: int = 256) -> list[Event]:
        """Wait for events (or for closure) and take up to `limit` of them, in order."""
        while not self._queue and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        batch: list[Event] = []
        while self._queue and len(batch) < limit:
            entry = self._queue.popleft()
            if not entry.alive:
                continue
            self._live -= 1
            key = entry.event.coalesce_key
            if key is not None and self._latest.get(key) is entry:
                del self._latest[key]
            batch.append(entry.event)
        return batch


class FeedHub:
    def __init__(self, store: Store, bus: EventBus, poll_s: float = POLL_S) -> None:
        self.store = store
        self.bus = bus
        self.poll_s = poll_s
        self.head = 0
        self._subscribers: set[Subscriber] = set()
        self._reorder: dict[int, Event] = {}
        self._unlisten: Callable[[], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._gap_task: asyncio.Task[None] | None = None
        # Told of every access change in the log, whichever process wrote it (principal caches).
        self.access_listeners: list[Callable[[Sequence[Event]], None]] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.head = await asyncio.to_thread(self._db_head)
        self._unlisten = self.bus.listen(self._on_events, loop)
        self._tasks.append(asyncio.create_task(self._poll(), name="feed-poll"))

    async def stop(self) -> None:
        if self._unlisten:
            self._unlisten()
        for task in [*self._tasks, self._gap_task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.close_all("server_shutdown")

    def close_all(self, code: str) -> None:
        for sub in list(self._subscribers):
            sub.close(code)

    def subscribe(self, principal: Principal, floor: int, max_queue: int) -> tuple[Subscriber, int]:
        """Register a subscriber; returns it and the head up to which the caller must replay."""
        sub = Subscriber(principal, floor=floor, max_queue=max_queue)
        self._subscribers.add(sub)
        return sub, self.head

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def _db_head(self) -> int:
        with self.store.read() as session:
            return log.head(session)

    def _on_events(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.seq > self.head:
                self._reorder[event.seq] = event
        self._drain()

    def _drain(self) -> None:
        while self.head + 1 in self._reorder:
            event = self._reorder.pop(self.head + 1)
            self.head = event.seq
            self._fan_out(event)
        if self._reorder and (self._gap_task is None or self._gap_task.done()):
            self._gap_task = asyncio.create_task(self._fill_gap(GAP_WAIT_S))

    def _fan_out(self, event: Event) -> None:
        if event.type in ACCESS_EVENTS:
            for listener in self.access_listeners:
                listener([event])
            if event.type == "user.access_changed":
                user_id = event.data.get("user_id")
                for sub in self._subscribers:
                    if sub.principal.user_id == user_id:
                        sub.close("token_revoked")
            return
        for sub in self._subscribers:
            sub.offer(event)

    async def _fill_gap(self, wait: float) -> None:
        await asyncio.sleep(wait)
        if not self._reorder:
            return
        await self._catch_up(min(self._reorder) - 1)

    async def _catch_up(self, until: int) -> None:
        while self.head < until:
            after = self.head
            upto = min(until, after + CATCH_UP_BATCH)
            missing = await asyncio.to_thread(self._read_range, after, upto)
            self._on_events(missing)
            if self.head == after:  # the log has a hole we cannot fill; never wait forever on it
                logger.error("event log has no seq %d; skipping to %d", after + 1, upto)
                self.head = upto
                self._drain()

    def _read_range(self, after: int, until: int) -> list[Event]:
        with self.store.read() as session:
            return log.read_range(session, after, until)

    async def _poll(self) -> None:
        marker: object | None = None
        loop = asyncio.get_running_loop()
        asked = loop.time()
        while True:
            await asyncio.sleep(self.poll_s)
            # Skip the query when the database files show no commit since the last look (a
            # file time is coarse, so ask anyway at least every POLL_S).
            now = self.store.change_marker()
            if now is not None and now == marker and loop.time() - asked < POLL_S:
                continue
            marker, asked = now, loop.time()
            try:
                db_head = await asyncio.to_thread(self._db_head)
                if db_head > self.head:
                    await self._catch_up(db_head)
            except Exception:  # the database may be briefly unavailable; try again next tick
                logger.exception("feed poll failed")
