"""What the fuzz test and the long fuzz run share: seed data, fresh tokens and the loaded schema.

The fuzzer acts as an admin with `secret` clearance. It gets a fresh token for every request
(issued with the user's current token version), so a fuzzed logout or password change cannot
lock it out for the rest of the run. Path parameters are replaced, half of the time, by ids and
codes that exist, so the fuzzer reaches past the 404 into the handlers.

Runs go through schemathesis' own engine (the one its command line uses), so every phase it
has (examples, coverage, fuzzing and, for the long run, stateful sequences) runs here as there.
The live feed over Server-Sent Events never ends on its own: it is read for a short while, then
the connection is closed and what arrived is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st
from sqlalchemy import select

from tansiq.access.models import User
from tansiq.access.security import issue_token
from tansiq.store.db import Store

OPENAPI_PATH = "/api/v1/openapi.json"
SSE_PATH = "/api/v1/feed/sse"
FUZZ_ADMIN = "fuzz.admin"
REQUEST_TIMEOUT_S = 20.0
SSE_READ_S = 0.5  # how long one look at the never-ending event stream lasts
SPOT = {"lat": 29.37, "lon": 47.98}

# The checks the issue asks for: no 5xx, and every response as its operation documents it.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# Every check schemathesis knows; those not in CHECKS are switched off explicitly.
ALL_CHECKS = (
    *CHECKS,
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)


@dataclass
class Seeded:
    """Records that exist before fuzzing starts, by path parameter name."""

    incident_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    assignment_ids: list[int] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)
    unit_types: list[str] = field(default_factory=list)

    def values_for(self, path: str, name: str) -> list[Any]:
        by_name: dict[str, list[Any]] = {
            "incident_id": self.incident_ids,
            "unit_id": self.unit_ids,
            "assignment_id": self.assignment_ids,
            "username": self.usernames,
            "agency": self.agencies,
        }
        if name == "code":
            if path.startswith("/api/v1/incident-types"):
                return self.incident_types
            if path.startswith("/api/v1/unit-types"):
                return self.unit_types
            return self.agencies
        return by_name.get(name, [])


def admin_token_factory(store: Store, secret: str, user_id: int) -> Callable[[], str]:
    """A fresh token for the fuzzing admin, valid under its current token version."""

    def token() -> str:
        with store.read() as session:
            version = session.execute(
                select(User.token_version).where(User.id == user_id)
            ).scalar_one()
        value, _ = issue_token(
            secret, user_id=user_id, token_version=version, lifetime=timedelta(hours=2)
        )
        return value

    return token


def seed(base_url: str, token: str) -> Seeded:
    """Agencies, types, users, incidents (shared, noted, moved on), units and assignments.

    The fuzzing admin and the agencies and types it depends on are left out of the lists the
    fuzzer draws from: it may disable, rename or deactivate only what was made for it.
    """
    out = Seeded()
    with httpx.Client(
        base_url=f"http://{base_url}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:

        def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
            r = http.post(path, json=body)
            assert r.status_code == status, (path, r.status_code, r.text)
            result: dict[str, Any] = r.json()
            return result

        for code in ("fuzz_agency_a", "fuzz_agency_b"):
            post(
                "/api/v1/agencies",
                {"code": code, "name_en": f"Agency {code}", "name_ar": "جهة للاختبار"},
            )
            out.agencies.append(code)
        post(
            "/api/v1/incident-types",
            {
                "code": "fuzz_type",
                "name_en": "Fuzz type",
                "name_ar": "نوع للاختبار",
                "lead_agency": "fuzz_agency_a",
            },
        )
        out.incident_types.append("fuzz_type")
        post(
            "/api/v1/unit-types",
            {"code": "fuzz_unit_type", "name_en": "Fuzz unit", "name_ar": "وحدة للاختبار"},
        )
        out.unit_types.append("fuzz_unit_type")
        for i, role in enumerate(("dispatcher", "viewer")):
            user = post(
                "/api/v1/users",
                {
                    "username": f"fuzz.{role}.{i}",
                    "password": "correct horse battery staple",
                    "role": role,
                    "agency": "fuzz_agency_a",
                    "clearance": "confidential",
                },
            )
            out.usernames.append(user["username"])

        classifications = ("public", "restricted", "confidential", "secret")
        for i in range(6):
            incident = post(
                "/api/v1/incidents",
                {
                    "type": "theft" if i % 2 else "fire",
                    "lat": SPOT["lat"] + i / 100,
                    "lon": SPOT["lon"] + i / 100,
                    "description": f"Seeded incident {i} حادث",
                    "area": "Hawalli",
                    "classification": classifications[i % 4],
                    "share_with": ["fuzz_agency_b"] if i % 3 == 0 else [],
                },
            )
            out.incident_ids.append(incident["id"])
            post(f"/api/v1/incidents/{incident['id']}/notes", {"text": f"note {i} ملاحظة"})
        for status in ("acknowledged", "dispatched"):
            post(f"/api/v1/incidents/{out.incident_ids[1]}/transitions", {"status": status}, 200)
        for i in range(4):
            unit = post(
                "/api/v1/units",
                {"callsign": f"FUZZ-{i}", "type": "patrol_car", **SPOT},
            )
            out.unit_ids.append(unit["id"])
        for incident_id, unit_id in zip(out.incident_ids[:3], out.unit_ids[:3], strict=True):
            assignment = post(f"/api/v1/incidents/{incident_id}/assignments", {"unit_id": unit_id})
            out.assignment_ids.append(assignment["id"])
        released = out.assignment_ids[0]
        post(f"/api/v1/incidents/{out.incident_ids[0]}/assignments/{released}/release", {}, 200)
    return out


def load_schema(
    base_url: str,
    token: Callable[[], str],
    seeded: Seeded,
    *,
    max_examples: int,
    seed_value: int,
    coverage: bool,
    stateful_steps: int | None = None,
    max_seconds: int | None = None,
    checks: tuple[str, ...] = CHECKS,
    continue_on_failure: bool = False,
) -> Any:
    """The API's own OpenAPI document, with fresh-token auth and seeded path parameters."""
    phases: dict[str, Any] = {
        "examples": {"enabled": True},
        "coverage": {"enabled": coverage},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": stateful_steps is not None},
    }
    if stateful_steps is not None:
        phases["stateful"]["max-steps"] = stateful_steps
    raw: dict[str, Any] = {
        "seed": seed_value,
        "workers": 1,
        "continue-on-failure": continue_on_failure,
        "generation": {
            "max-examples": max_examples,
            "deterministic": True,
            "database": "none",
            "mode": "all",
        },
        "phases": phases,
        "checks": {name: {"enabled": name in checks} for name in ALL_CHECKS},
        "request-timeout": REQUEST_TIMEOUT_S,
        "operations": [
            {"include-path": SSE_PATH, "request-timeout": SSE_READ_S, "max-stream-events": 1}
        ],
    }
    if max_seconds is not None:
        raw["max-time"] = max_seconds
    config = schemathesis.Config.from_dict(raw)
    schema = schemathesis.openapi.from_url(f"http://{base_url}{OPENAPI_PATH}", config=config)

    @schema.auth(refresh_interval=None)
    class FreshToken:
        def get(self, case: Any, context: Any) -> str:
            return token()

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        operation = getattr(context, "operation", None)
        if not path_parameters or operation is None:
            return st.just(path_parameters)
        choices = {
            name: values
            for name in path_parameters
            if (values := seeded.values_for(operation.path, name))
        }
        if not choices:
            return st.just(path_parameters)

        @st.composite
        def pick(draw: Any) -> dict[str, Any]:
            params = dict(path_parameters)
            for name, values in choices.items():
                if draw(st.booleans()):
                    params[name] = draw(st.sampled_from(values))
            return params

        return pick()

    return schema


@dataclass
class Finding:
    check: str
    operation: str
    status: int | None
    title: str
    curl: str

    def line(self) -> str:
        return f"{self.check}: {self.operation} -> {self.status}: {self.title}\n    {self.curl}"


@dataclass
class FuzzReport:
    cases: int = 0
    responses: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop_reason: str = ""
    by_status: dict[int, int] = field(default_factory=dict)

    def failed(self) -> bool:
        return bool(self.findings or self.errors)

    def describe(self, limit: int = 40) -> str:
        seen: set[tuple[str, str, int | None, str]] = set()
        lines = []
        # Server errors first: they are the ones a cut-off list must not lose.
        ordered = sorted(self.findings, key=lambda f: f.check != "not_a_server_error")
        for f in ordered:
            key = (f.check, f.operation, f.status, f.title)
            if key not in seen:
                seen.add(key)
                lines.append(f.line())
        lines += [f"error: {e}" for e in self.errors]
        more = len(lines) - limit
        return "\n".join(lines[:limit] + ([f"... and {more} more"] if more > 0 else []))

    def summary(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "responses": self.responses,
            "server_errors": self.server_errors,
            "schema_violations": self.schema_violations,
            "distinct_findings": len({(f.check, f.operation, f.status) for f in self.findings}),
            "engine_errors": len(self.errors),
            "stop_reason": self.stop_reason,
            "responses_by_status": dict(sorted(self.by_status.items())),
        }


def run(schema: Any, on_event: Callable[[Any], None] | None = None) -> FuzzReport:
    """Run every configured phase over every operation; count cases, responses and findings."""
    from schemathesis.engine import events, from_schema

    report = FuzzReport()
    for event in from_schema(schema).execute():
        if on_event is not None:
            on_event(event)
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _collect(report, event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            report.stop_reason = str(event.stop_reason)
    return report


def _collect(report: FuzzReport, recorder: Any) -> None:
    report.cases += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            report.responses += 1
            code = interaction.response.status_code
            report.by_status[code] = report.by_status.get(code, 0) + 1
    for case_id, checks in recorder.checks.items():
        node = recorder.cases.get(case_id)
        case = node.value if node is not None else None
        response = recorder.find_response(case_id=case_id)
        for check in checks:
            if check.failure_info is None:
                continue
            if check.name == "not_a_server_error":
                report.server_errors += 1
            else:
                report.schema_violations += 1
            report.findings.append(
                Finding(
                    check=check.name,
                    operation=f"{case.method} {case.path}" if case is not None else "?",
                    status=response.status_code if response is not None else None,
                    title=check.failure_info.failure.title,
                    curl=check.failure_info.code_sample,
                )
            )
