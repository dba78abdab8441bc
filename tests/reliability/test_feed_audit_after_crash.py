"""A feed delivery of a classified record is in the audit trail even if the server is SIGKILLed
right after sending it: deliveries are recorded before they are sent (tansiq/audit/writer.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.reliability._feed import Subscriber, unaudited_deliveries
from tests.reliability._server import ServerProcess, add_people, fresh_database


def test_classified_deliveries_survive_a_sigkill_in_the_audit_trail(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as db, ServerProcess(db) as server:
        writer, reader = add_people(
            db,
            [
                ("pending.writer", "dispatcher", "public_security", "secret"),
                ("pending.reader", "dispatcher", "public_security", "secret"),
            ],
        )
        server.start()
        got: list[tuple[int, str, str]] = []
        with connect(
            f"{server.ws_url}?since=0", additional_headers=reader.headers, open_timeout=10
        ) as conn:
            for n in range(5):
                r = httpx.post(
                    f"{server.base_url}/api/v1/incidents",
                    json={"type": "theft", "lat": 29.37, "lon": 47.98, "classification": "secret"},
                    headers=writer.headers,
                    timeout=30,
                )
                assert r.status_code == 201, r.text
                msg = json.loads(conn.recv(timeout=10))
                got.append((msg["seq"], msg["type"], str(msg["record"]["id"])))
                if n == 4:
                    server.kill()  # right after the client has the message
                else:
                    time.sleep(0.5)  # earlier deliveries have had time to be written
        server.start()
        sub = Subscriber(server, reader, seed=0, deadline=0)
        sub.received = got
        classified, missing = unaudited_deliveries(db, [sub])
        server.stop()
    assert classified == 5
    assert missing == 0, f"{missing} of {classified} classified deliveries are not in the trail"
