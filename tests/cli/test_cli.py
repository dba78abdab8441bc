"""The `tansiq` command: init, users and agencies, on both databases."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tansiq.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TANSIQ_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANSIQ_SECRET_KEY", "cli-test-key-" + "z" * 32)
    monkeypatch.setenv("NEW_PASSWORD", "a long enough password")
    return settings


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "serve", "demo", "user", "agency"):
        assert command in result.output


def test_init_is_idempotent(env):
    first = runner.invoke(app, ["init"])
    again = runner.invoke(app, ["init"])
    assert first.exit_code == again.exit_code == 0, first.output
    assert "0 reference rows added" in again.output


def test_user_add_list_disable(env):
    add = runner.invoke(
        app,
        [
            "user",
            "add",
            "op.one",
            "--role",
            "dispatcher",
            "--agency",
            "traffic",
            "--password-env",
            "NEW_PASSWORD",
        ],
    )
    assert add.exit_code == 0, add.output
    listed = runner.invoke(app, ["user", "list"])
    assert "op.one" in listed.output and "dispatcher" in listed.output
    assert runner.invoke(app, ["user", "disable", "op.one"]).exit_code == 0
    assert "yes" in runner.invoke(app, ["user", "list"]).output


def test_user_add_with_bad_input_fails_clearly(env):
    unknown_agency = runner.invoke(
        app,
        [
            "user",
            "add",
            "op.two",
            "--role",
            "viewer",
            "--agency",
            "nasa",
            "--password-env",
            "NEW_PASSWORD",
        ],
    )
    assert unknown_agency.exit_code == 1 and "nasa" in unknown_agency.output
    short = runner.invoke(
        app,
        [
            "user",
            "add",
            "op.three",
            "--role",
            "viewer",
            "--agency",
            "traffic",
            "--password-env",
            "UNSET_VARIABLE",
        ],
    )
    assert short.exit_code == 2
    missing = runner.invoke(app, ["user", "disable", "nobody"])
    assert missing.exit_code == 1


def test_agency_add_and_list(env):
    r = runner.invoke(
        app,
        [
            "agency",
            "add",
            "gcc_police",
            "--name-en",
            "GCC Police",
            "--name-ar",
            "الشرطة الخليجية",
            "--kind",
            "partner",
        ],
    )
    assert r.exit_code == 0, r.output
    listed = runner.invoke(app, ["agency", "list"], terminal_width=200)
    assert "gcc_police" in listed.output and "الشرطة الخليجية" in listed.output
    dup = runner.invoke(app, ["agency", "add", "gcc_police", "--name-en", "x", "--name-ar", "س"])
    assert dup.exit_code == 1
