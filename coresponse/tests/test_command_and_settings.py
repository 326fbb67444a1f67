"""The `coresponse` console script and the production settings, run as a shell would run them."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

COMMAND = Path(sys.executable).with_name("coresponse")


def run(args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(env)
    return subprocess.run(
        [str(COMMAND), *args], capture_output=True, text=True, env=environment, timeout=120
    )


def test_console_script_migrates_a_fresh_sqlite_database(tmp_path):
    result = run(["migrate", "--no-input"], CORESPONSE_VAR_DIR=str(tmp_path), DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    # WAL (persistent in the file) keeps readers going while an import writes.
    with sqlite3.connect(tmp_path / "coresponse.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"dispatch_call", "field_encounter", "people_person"} <= tables


def test_production_deploy_checks_are_clean(tmp_path):
    result = run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        CORESPONSE_ENV="production",
        SECRET_KEY="x" * 64 + "-a-long-random-production-key",
        ALLOWED_HOSTS="coresponse.example.org",
        CORESPONSE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run(
        ["check"], CORESPONSE_ENV="production", SECRET_KEY="", CORESPONSE_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
