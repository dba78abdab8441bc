"""Fixtures for the security tests: a real server with seeded data and its OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import SECRET

# Bounded so that both databases together stay under two minutes (about 2,500 cases each); the
# long run is benchmarks/fuzz_long.py.
MAX_EXAMPLES = 15
SEED = 20261122


@dataclass
class FuzzTarget:
    base_url: str
    token: Callable[[], str]
    seeded: Any


@pytest.fixture
def fuzz_target(live_server: str, store: Any, make_user: Any) -> FuzzTarget:
    """A live server, an admin with secret clearance, and records behind the ids."""
    pytest.importorskip("schemathesis", reason="schemathesis is not installed (dev dependency)")
    from tests.security.fuzzing import FUZZ_ADMIN, admin_token_factory, seed

    admin = make_user("admin", "systems_information", "secret", username=FUZZ_ADMIN)
    token = admin_token_factory(store, SECRET, admin.user_id)
    return FuzzTarget(live_server, token, seed(live_server, token()))


@pytest.fixture
def fuzz_schema(fuzz_target: FuzzTarget) -> Any:
    """The served OpenAPI document, loaded by schemathesis, with every check the issue asks for."""
    from tests.security.fuzzing import load_schema

    return load_schema(
        fuzz_target.base_url,
        fuzz_target.token,
        fuzz_target.seeded,
        max_examples=MAX_EXAMPLES,
        seed_value=SEED,
        coverage=True,
    )
