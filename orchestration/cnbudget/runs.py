"""Dagster runs started from Python: the local instance they are recorded in, quiet
console logging, and the message of a failed run."""

from __future__ import annotations

import os
import sqlite3
from functools import cache
from pathlib import Path

from dagster import DagsterInstance
from filelock import FileLock

from cnbudget import settings

DAGSTER_YAML = """\
# Dagster's local instance for cnbudget (runs, event logs, partitions) in this folder.
telemetry:
  enabled: false
"""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def dagster_home() -> Path:
    """DAGSTER_HOME (default: .dagster beside the project), exported so worker processes
    and `dagster dev` use the same instance; created with telemetry off on first use."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


@cache
def _sqlite_commits_without_waiting_for_the_disk() -> None:
    """Dagster's SQLite storage writes each event in a transaction and connection of its
    own: at SQLite's default synchronous=FULL every commit waits for the disk (8 ms
    here), and one load writes some 500 events (dbt's models and tests, the checks), so
    a third of a one-document load was spent waiting. Its databases are in WAL mode,
    where synchronous=NORMAL stays consistent if a process dies; a power cut may lose the
    last events of the run history, never the warehouse, which is the record."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _normal_sync(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def local_instance() -> DagsterInstance:
    """Dagster's local instance in DAGSTER_HOME, the one the UI shows. Opened under a
    lock: the first opening creates its SQLite storage, and two processes doing that at
    once (concurrent loads, extraction workers) would corrupt its schema version."""
    _sqlite_commits_without_waiting_for_the_disk()
    home = dagster_home()
    with FileLock(home / ".instance.lock"):
        return DagsterInstance.get()


def run_failure(result) -> tuple[str, str]:
    """The message and kind (raw.load_errors.error_kind) of a failed run's first failure."""
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            reason = data.user_failure_data.metadata.get("reason")
            return data.user_failure_data.description, reason.value if reason else "failed"
        if data.error:
            return data.error.message.strip().splitlines()[-1], "error"
    return "the run failed", "error"
