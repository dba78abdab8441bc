"""Hardening that every response and every log line keeps."""

from __future__ import annotations

import logging

from tansiq.config import Settings
from tests.conftest import PASSWORD, SECRET


def test_cors_is_closed_by_default(client):
    r = client.options(
        "/api/v1/incidents",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}
    r = client.get("/api/v1/health", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}


def test_api_responses_carry_security_headers(client, make_user):
    d = make_user()
    r = client.get("/api/v1/incidents", headers=d.headers)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    assert "server" not in {k.lower() for k in r.headers} or "uvicorn" not in r.headers["server"]


def test_secrets_stay_out_of_settings_repr_errors_and_logs(client, make_user, caplog):
    settings = Settings(secret_key=SECRET, demo_password="demo-secret-value")
    assert SECRET not in repr(settings) and "demo-secret-value" not in repr(settings)
    user = make_user()
    with caplog.at_level(logging.DEBUG):
        bad = client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": "wrong-but-secret-1"}
        )
        missing = client.post("/api/v1/auth/token", data={"password": PASSWORD})
        token = client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        ).json()
    for response in (bad, missing):
        assert "wrong-but-secret-1" not in response.text and PASSWORD not in response.text
    logged = caplog.text
    for secret in ("wrong-but-secret-1", PASSWORD, token["access_token"], SECRET):
        assert secret not in logged


def test_unexpected_errors_answer_a_bilingual_500_without_internals(settings, make_user):
    from fastapi.testclient import TestClient

    from tansiq.app import create_app

    app = create_app(settings)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError(f"database password is {SECRET}")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom")
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    assert SECRET not in r.text and "RuntimeError" not in r.text and r.json()["detail_ar"]
    assert r.json()["request_id"] == r.headers["X-Request-ID"]
