"""The access matrix: roles x agencies x clearances x classifications x sharing x actions.

Users of 7 roles x 3 agencies (the owner, a partner records may be shared with, an outsider) x 4
clearances meet records of 4 classifications x 3 sharings (none, with the partner, with an agency
no actor belongs to), over HTTP against a live server, on SQLite and PostgreSQL:

- list, search, the live feed and feed replay: every user against every record (the full
  product, 1008 cases each);
- read, count, update, transition, assign and share: every agency x clearance x classification
  x sharing (144 combinations) with the roles taking turns, for changes both a role that may and,
  for every third combination, one that may not (see `Matrix.design`);
- then a whole run of changes watched through the feed (live and replayed over WebSocket and
  SSE), and the state it leaves: refused changes leave no trace, permitted ones land.

What each case must answer comes from the rule as `_matrix_spec` states it, not from the server's
code. A leak is any answer that shows a user more than that rule allows, including a refusal that
differs from the answer about a record that does not exist. Run with -s to see the counts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tansiq.app import create_app
from tansiq.config import Settings
from tests.access._matrix_cases import Matrix
from tests.access._matrix_world import live_server
from tests.conftest import SECRET, _reset_postgres


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """One world per database for the whole module, served by one live server."""
    data_dir: Path = tmp_path_factory.mktemp(f"matrix_{request.param}")
    if request.param == "sqlite":
        target = data_dir / "tansiq.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        _reset_postgres(url)
    settings = Settings(database_url=url, data_dir=data_dir, secret_key=SECRET)
    app = create_app(settings)
    with live_server(app) as server:
        m = Matrix(request.param, app.state.store, server, SECRET)
        try:
            yield m
        finally:
            m.close()
            print("\n" + m.summary())


def _report(m: Matrix, *groups: str) -> str:
    lines = m.failed(*groups)
    shown = "\n".join(lines[:60])
    more = f"\n... and {len(lines) - 60} more" if len(lines) > 60 else ""
    return f"{len(lines)} cases fail:\n{shown}{more}\n{m.summary()}"


def test_feed_brings_each_user_exactly_the_records_they_may_see(matrix: Matrix) -> None:
    matrix.ensure("world")
    assert not matrix.failed("feed_world"), _report(matrix, "feed_world")


def test_reading_a_record_one_may_not_see_answers_404(matrix: Matrix) -> None:
    matrix.ensure("reads")
    assert not matrix.failed("read"), _report(matrix, "read")


def test_lists_searches_and_counts_hold_exactly_the_visible_records(matrix: Matrix) -> None:
    matrix.ensure("reads")
    assert not matrix.failed("collections"), _report(matrix, "collections")


def test_changes_succeed_exactly_where_role_sight_and_ownership_allow(matrix: Matrix) -> None:
    matrix.ensure("mutations")
    assert not matrix.failed("mutations"), _report(matrix, "mutations")


def test_the_feed_of_a_whole_run_carries_exactly_the_visible_events(matrix: Matrix) -> None:
    matrix.ensure("final")
    assert not matrix.failed("feed_run"), _report(matrix, "feed_run")


def test_refused_changes_leave_no_trace_and_permitted_ones_land(matrix: Matrix) -> None:
    matrix.ensure("final")
    assert not matrix.failed("state"), _report(matrix, "state")


def test_matrix_has_at_least_500_distinct_cases_and_no_leak(matrix: Matrix) -> None:
    matrix.ensure("final")
    print("\n" + matrix.summary())
    for line in matrix.known:
        print("known server fault:", line)
    assert len(matrix.cases) >= 500, matrix.summary()
    assert not matrix.leaks, "\n".join(matrix.leaks[:60]) + "\n" + matrix.summary()
