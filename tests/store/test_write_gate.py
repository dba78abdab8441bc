"""The in-process write lock gives way to interactive writers over bulk (telemetry) ones."""

from __future__ import annotations

import threading
import time

from tansiq.store.db import WriteGate


def _start(gate: WriteGate, bulk: bool, order: list[str], name: str) -> threading.Thread:
    def run() -> None:
        gate.acquire(bulk)
        order.append(name)
        gate.release()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_until_blocked(thread: threading.Thread) -> None:
    time.sleep(0.02)  # long enough for the thread to reach the gate's wait
    assert thread.is_alive()


def test_a_waiting_interactive_writer_goes_before_a_bulk_writer_that_asked_first():
    for _ in range(20):  # a lock without the preference lets either win: it would lose some
        gate, order = WriteGate(), []
        gate.acquire(False)  # an operator's write in progress
        bulk = _start(gate, True, order, "positions")
        _wait_until_blocked(bulk)
        operator = _start(gate, False, order, "incident")
        _wait_until_blocked(operator)
        gate.release()
        bulk.join(5)
        operator.join(5)
        assert order == ["incident", "positions"]


def test_writers_exclude_each_other_and_none_is_left_waiting():
    gate, inside, most = WriteGate(), [0], [0]
    guard = threading.Lock()

    def work(bulk: bool) -> None:
        for _ in range(200):
            gate.acquire(bulk)
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            with guard:
                inside[0] -= 1
            gate.release()

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert most[0] == 1
