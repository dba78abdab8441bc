"""A graceful stop tells each open feed why it ends: the `feed.closed` message with code
`server_shutdown` (close code 1001), sent before uvicorn closes the connections itself (1012),
so clients can tell a restart from a fault and resume with `since=`.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.reliability._server import ServerProcess, add_people, fresh_database


def test_a_graceful_stop_sends_feed_closed_server_shutdown(tmp_path: Path) -> None:
    messages: list[dict[str, Any]] = []
    close_code = None
    with fresh_database("sqlite", tmp_path) as db, ServerProcess(db) as server:
        (person,) = add_people(db, [("pending.shutdown", "viewer", "public_security", "secret")])
        server.start()
        with connect(
            f"{server.ws_url}?since=0", additional_headers=person.headers, open_timeout=10
        ) as conn:
            time.sleep(0.5)
            assert server.proc is not None
            server.proc.send_signal(signal.SIGINT)
            try:
                while True:
                    messages.append(json.loads(conn.recv(timeout=15)))
            except ConnectionClosed as closed:
                close_code = closed.rcvd.code if closed.rcvd else None
        server.stop()
    assert messages and messages[-1]["type"] == "feed.closed", (messages, close_code)
    assert messages[-1]["data"]["code"] == "server_shutdown"
    assert close_code == 1001
