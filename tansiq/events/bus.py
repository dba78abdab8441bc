"""The event bus port and its in-process adapter.

Services publish committed events; the live feed hub listens. The port is small on purpose: a
NATS JetStream adapter (several server nodes) implements the same two methods, and the hub never
assumes the events came from its own process: it checks sequence numbers and fills any gap from
the event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from tansiq.events.types import Event

Listener = Callable[[Sequence[Event]], None]


class EventBus(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Hand committed events to listeners; called from any thread, never blocks on them."""

    def listen(self, listener: Listener, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """Call `listener` on `loop` for every published batch; returns an unsubscribe."""


class InProcessBus:
    """Delivers to listeners in this process, on their own event loops."""

    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, asyncio.AbstractEventLoop]] = []
        self._lock = threading.Lock()

    def publish(self, events: Sequence[Event]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener, loop in listeners:
            if loop.is_closed():
                continue
            # The loop may close between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(listener, events)

    def listen(self, listener: Listener, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        entry = (listener, loop)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe
