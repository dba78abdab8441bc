"""Several server processes (TANSIQ_WORKERS): every subscriber gets every event once and in
order whichever process wrote it, a dead worker is replaced, and Ctrl-C stops them all."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.reliability._server import (
    ServerProcess,
    add_people,
    fresh_database,
    postgres_unreachable,
)

WORKERS = 2


def _children(pid: int) -> set[int]:
    """Live, non-zombie children of `pid` that are server workers (not the resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z" and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def _wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class _Listener(threading.Thread):
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.conn = connect(url, additional_headers=headers, open_timeout=20)
        self.messages: list[dict[str, Any]] = []

    def run(self) -> None:
        with self.conn:
            try:
                while True:
                    self.messages.append(json.loads(self.conn.recv(timeout=30)))
            except (ConnectionClosed, TimeoutError):
                pass


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_workers_share_one_feed_and_stop_together(kind: str, tmp_path: Path) -> None:
    if kind == "postgres" and (reason := postgres_unreachable()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires PostgreSQL: {reason}")
        pytest.skip(reason)
    with fresh_database(kind, tmp_path) as db, ServerProcess(db) as server:
        server.env["TANSIQ_WORKERS"] = str(WORKERS)
        (person,) = add_people(
            db, [("workers.dispatcher", "dispatcher", "public_security", "secret")]
        )
        server.start()
        assert server.proc is not None
        assert _wait_for(lambda: len(_children(server.proc.pid)) == WORKERS, 30)

        # Many connections, so the kernel hands some to each worker.
        listeners = [_Listener(f"{server.ws_url}?since=0", person.headers) for _ in range(6)]
        for listener in listeners:
            listener.start()
        created = []
        for i in range(40):
            with httpx.Client(base_url=server.base_url, headers=person.headers) as http:
                r = http.post(
                    "/api/v1/incidents",
                    json={"type": "theft", "lat": 29.37, "lon": 47.97, "description": f"w{i}"},
                )
                assert r.status_code == 201, r.text
                created.append(r.json()["id"])

        def all_arrived() -> bool:
            return all(
                {
                    m["data"]["incident"]["id"]
                    for m in ls.messages
                    if m["type"] == "incident.created"
                }
                >= set(created)
                for ls in listeners
            )

        assert _wait_for(all_arrived, 20)

        # A worker that dies is replaced; the service keeps answering meanwhile.
        victim = min(_children(server.proc.pid))
        os.kill(victim, signal.SIGKILL)
        assert _wait_for(
            lambda: (
                len(_children(server.proc.pid)) == WORKERS
                and victim not in _children(server.proc.pid)
            ),
            30,
        )
        assert httpx.get(f"{server.base_url}/api/v1/health", timeout=5).status_code == 200

        late = _Listener(f"{server.ws_url}?since=0", person.headers)
        late.start()
        assert _wait_for(lambda: len(late.messages) >= len(created), 20)
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0
        for listener in [*listeners, late]:
            listener.join(timeout=10)
        assert not _children(server.proc.pid)

    for listener in listeners:
        seqs = [m["seq"] for m in listener.messages if m["type"] != "feed.closed"]
        assert seqs == sorted(set(seqs)), "an event arrived twice or out of order"
        ids = [
            m["data"]["incident"]["id"]
            for m in listener.messages
            if m["type"] == "incident.created"
        ]
        assert sorted(ids) == sorted(created)
    # Subscribers of the killed worker lost their connection; the others were told why it ended.
    assert late.messages[-1]["type"] == "feed.closed"
    assert late.messages[-1]["data"]["code"] == "server_shutdown"
