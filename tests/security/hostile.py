"""Helpers for the hostile-input tests: problem checks, "nothing changed" snapshots, raw HTTP."""

from __future__ import annotations

import socket
from typing import Any

PROBLEM = "application/problem+json"
SPOT = {"lat": 29.37, "lon": 47.98}

# Strings that break naive SQL, HTML, templates, shells or terminals; all are valid text a
# dispatcher might paste, so the API must store and return each of them exactly.
INJECTIONS = [
    "'; DROP TABLE incidents; --",
    '" OR "1"="1',
    "1' OR '1'='1' /*",
    "Robert'); DROP TABLE users;--",
    "%' AND 1=1 --",
    "admin'--",
    "1; SELECT pg_sleep(5)",
    "\\'; \\\" \\\\",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "$(rm -rf /) `id`",
    "\x1b[31mred\x1b[0m",
    "حريق ' OR 1=1 -- \u202eنص معكوس",
]


def assert_problem(response: Any, status: int | tuple[int, ...] | None = None) -> dict[str, Any]:
    """A refusal: 4xx, problem+json, a stable code and the detail in English and Arabic."""
    wanted = (status,) if isinstance(status, int) else status
    if wanted is not None:
        assert response.status_code in wanted, (response.status_code, response.text[:500])
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["code"] and body["detail"] and body["detail_ar"], body
    return body


def snapshot(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    """Everything a refused request could have half-written, as the API shows it."""

    def get(path: str) -> Any:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r.json()

    incidents = get("/api/v1/incidents?limit=500")["items"]
    return {
        "incidents": incidents,
        "timelines": {i["id"]: get(f"/api/v1/incidents/{i['id']}/timeline") for i in incidents},
        "units": get("/api/v1/units?limit=500")["items"],
        "users": get("/api/v1/users"),
        "agencies": get("/api/v1/agencies?include_inactive=true"),
        "incident_types": get("/api/v1/incident-types"),
        "unit_types": get("/api/v1/unit-types"),
        "head": get("/api/v1/feed/head"),
    }


def raw_request(server: str, request: bytes, timeout: float = 10.0) -> tuple[int, bytes, bytes]:
    """Send bytes exactly as given (no client clean-up); return (status, head, body)."""
    host, port = server.split(":")
    chunks: list[bytes] = []
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(request)
        for _ in range(10_000):  # bounded: the server closes after one answer
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), data[:200]
    return int(head.split(b" ", 2)[1]), head, body


def raw_get(server: str, target: bytes, extra: bytes = b"", token: str | None = None) -> Any:
    auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
    return raw_request(
        server,
        b"GET "
        + target
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + auth
        + extra
        + b"Connection: close\r\n\r\n",
    )


def header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None
